"""GraphQL over HTTP: Strawberry's ASGI view with the spec's media types and statuses.

Responses use `application/graphql-response+json` unless the client prefers
`application/json`. With the former, a request error (the document does not parse or
validate, so nothing ran) answers 400 and carries no `data`; with the latter every
well-formed request answers 200. A mutation sent with GET answers 405.

Every operation needs `Authorization: Bearer <token>`; without one, or with an
unknown or revoked token (or one of an erased person), the answer is 401 with a
GraphQL-shaped error whose code is UNAUTHENTICATED, before the document is even
parsed. Only the GraphiQL page (when enabled) is served without a token; it sends
none of its own.

Subscriptions run over a WebSocket at the same path with the graphql-transport-ws
protocol. The token goes in the `connection_init` payload, `{"Authorization":
"Bearer <token>"}`; without a valid one the socket is closed with 4403 Forbidden.
The socket carries subscriptions only: queries and mutations go over HTTP, where a
request reads the read models afresh, and get an error over the socket. Over HTTP a
subscription is refused with 405.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast
from graphql.error import GraphQLSyntaxError
from mentorlog.core.access import Principal
from mentorlog.core.errors import Unauthenticated
from mentorlog.schema.api import CACHE_SIZE
from mentorlog.schema.context import NOBODY, Context
from mentorlog.schema.errors import UNAUTHENTICATED
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MEDIA_TYPE_HEADER = "x-mentorlog-media-type"
MAX_TOKEN_LENGTH = 512
SUBSCRIPTIONS_NEED_A_SOCKET = (
    "subscriptions run over a WebSocket at this path (protocol graphql-transport-ws)"
)
SOCKET_CARRIES_SUBSCRIPTIONS = (
    "this WebSocket carries subscriptions only; send queries and mutations over HTTP"
)


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when neither is acceptable."""
    if not accept or not accept.strip():
        return GRAPHQL_RESPONSE
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        for rank, offered in enumerate((JSON, GRAPHQL_RESPONSE)):
            if quality > 0 and media.lower() in (offered, "*/*", "application/*"):
                # Exact names beat wildcards; on a tie the newer media type wins.
                exact = 2 if media.lower() == offered else 0
                candidate = (quality, exact + rank, offered)
                if best is None or candidate > best:
                    best = candidate
    return best[2] if best else None


def is_request_error(result: ExecutionResult) -> bool:
    """True when the document failed to parse or validate, so execution never began."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or [])
    )


def is_subscription(payload: Any) -> bool | None:
    """Whether a subscribe message's operation is a subscription; None if unparsable."""
    try:
        document = _get_parse_cache(CACHE_SIZE)(payload["query"])
        operation = get_operation_ast(document, payload.get("operationName"))
    except (GraphQLSyntaxError, KeyError, TypeError, AttributeError):
        return None
    if operation is None:
        return None
    return operation.operation == OperationType.SUBSCRIPTION


class SubscriptionsOnly(BaseGraphQLTransportWSHandler[Context, None]):
    """The graphql-transport-ws handler, refusing queries and mutations."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Start a subscription; answer any other operation with an error."""
        operation_id = message.get("id")
        if (
            self.connection_acknowledged
            and operation_id not in self.operations
            and is_subscription(message.get("payload")) is False
        ):
            error = GraphQLError(
                SOCKET_CARRIES_SUBSCRIPTIONS, extensions={"code": "BAD_REQUEST"}
            )
            await self.send_message(
                {"id": operation_id, "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view, speaking the GraphQL-over-HTTP spec's media types."""

    graphql_transport_ws_handler_class = SubscriptionsOnly

    def __init__(self, schema: Any, graphql_ide: Any = "graphiql") -> None:
        super().__init__(
            schema,
            graphql_ide=graphql_ide,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve HTTP (answering failures as GraphQL errors); defer the rest."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media_type = negotiate(request.headers.get("accept"))
        graphiql = self._wants_graphiql(request)
        try:
            if media_type is None and not graphiql:
                raise HTTPException(
                    406, f"this endpoint answers with {GRAPHQL_RESPONSE} or {JSON}"
                )
            if graphiql:
                response = await self.render_graphql_ide(request)
            else:
                request.state.principal = await self._authenticate(request)
                response = await self.run(request)
        except Unauthenticated as error:
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": error.message,
                            "extensions": {"code": UNAUTHENTICATED},
                        }
                    ]
                },
                status_code=401,
                media_type=media_type or JSON,
                headers={"WWW-Authenticate": 'Bearer realm="mentorlog"'},
            )
        except HTTPException as error:
            headers = {"Allow": "POST"} if error.status_code == 405 else None
            response = JSONResponse(
                {"errors": [{"message": error.reason}]},
                status_code=error.status_code,
                media_type=media_type or JSON,
                headers=headers,
            )
        await response(scope, receive, send)

    def _wants_graphiql(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    @classmethod
    async def _authenticate(cls, request: Request) -> Principal:
        """The principal of the request's bearer token, or raise Unauthenticated."""
        return await cls._principal(request, request.headers.get("authorization", ""))

    @staticmethod
    async def _principal(request: Request | WebSocket, header: str) -> Principal:
        """The principal an Authorization value names, or raise Unauthenticated."""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("send the header Authorization: Bearer <token>")
        if len(token) > MAX_TOKEN_LENGTH or not token.isprintable():
            raise Unauthenticated("the token is unknown")
        app = request.app.state.services.app
        principal: Principal = await asyncio.to_thread(app.authenticate, token)
        return principal

    async def get_context(self, request: Any, response: Any) -> Context:
        """Build the request's context from the services the app's lifespan opened.

        A WebSocket's context acts as nobody until its connection_init is accepted.
        """
        state = request.app.state
        websocket = isinstance(request, WebSocket)
        return Context(
            services=state.services,
            db=state.read_db,
            principal=NOBODY if websocket else request.state.principal,
            follows_projections=state.follows_projections,
            request=request,
            response=response,
            feed=state.feed,
        )

    async def on_ws_connect(self, context: Context) -> None:
        """Accept a connection_init whose payload names a valid token; else refuse."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization", ""))
        try:
            if not isinstance(header, str):
                raise Unauthenticated("send Authorization: Bearer <token>")
            context.sign_in(await self._principal(context.request, header))
        except Unauthenticated:
            raise ConnectionRejectionError from None

    async def get_sub_response(self, request: Any) -> Response:
        """A sub-response that remembers the negotiated media type."""
        sub_response = await super().get_sub_response(request)
        media_type = negotiate(request.headers.get("accept")) or JSON
        sub_response.headers[MEDIA_TYPE_HEADER] = media_type
        return sub_response

    async def execute_operation(  # type: ignore[override]
        self,
        request: Any,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        """Execute the request's operation; a subscription over HTTP is a 400."""
        if isinstance(request_data, GraphQLRequestData) and is_subscription(
            {"query": request_data.query, "operationName": request_data.operation_name}
        ):
            raise HTTPException(400, SUBSCRIPTIONS_NEED_A_SOCKET)
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def execute_single(  # type: ignore[override]
        self,
        request: Any,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Execute one operation; a mutation over GET is 405, not 400."""
        try:
            return await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError) and (
                request_adapter.method == "GET"
            ):
                raise HTTPException(
                    405, "mutations need POST; GET serves queries only"
                ) from error
            raise

    async def process_result(
        self, request: Any, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Leave `data` out of a request error's response, as the spec asks."""
        processed = await super().process_result(request, result)
        if is_request_error(result):
            processed.pop("data", None)
        return processed

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """Set the negotiated media type, and 400 for request errors under it."""
        media_type = sub_response.headers.get(MEDIA_TYPE_HEADER, JSON)
        del sub_response.headers[MEDIA_TYPE_HEADER]
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        single = response_data if isinstance(response_data, dict) else None
        if (
            media_type == GRAPHQL_RESPONSE
            and single is not None
            and "data" not in single
            and not sub_response.status_code
        ):
            response.status_code = 400
        return response
