"""GraphQL over HTTP: the spec's media types and statuses, on Strawberry's ASGI view.

The view answers HTTP itself: it reads the parameters (schema/requests.py) and
runs the operation through the app's `Operations` (schema/operations.py: each
document parsed and validated once, executed on graphql-core); Strawberry's view
serves the WebSocket and the GraphiQL page.

Responses use `application/json` unless the client asks for
`application/graphql-response+json` by name: a request without an Accept header,
or with `*/*`, gets `application/json`, as the GraphQL-over-HTTP spec's SHOULDs
(and the graphql-http audit) ask. With `application/graphql-response+json`, a
request error (the document does not parse or validate, so nothing ran) answers
400 and carries no `data`; with `application/json` every well-formed request
answers 200. A mutation sent with GET answers 405.

A request that is not well-formed answers 4xx under either media type, with a
GraphQL-shaped error whose `extensions.code` says why (schema/requests.py,
docs/errors.md): a body that is not UTF-8 JSON, not an object, nested too deeply
or over the size limit (413), or a document of several operations without
`operationName`; nothing runs.

Every operation needs `Authorization: Bearer <token>`; without one, or with an
unknown or revoked token (or one of an erased person), the answer is 401 with a
GraphQL-shaped error whose code is UNAUTHENTICATED, before the document is even
parsed. With an identity provider configured (core/oidc.py), the token may also
be its JWT; one refused answers 401 with `extensions.reason` saying why
(TOKEN_EXPIRED, IDENTITY_NOT_LINKED, ...; docs/errors.md). A person with several
grants names the one to act in with the `Mentorlog-Grant` header. Only the
GraphiQL page (when enabled) is served without a token; it sends none of its own.
The app gives the view its own GraphiQL page (mentorlog/web/), which loads only
assets the app serves.

Subscriptions run over a WebSocket at the same path with the graphql-transport-ws
protocol (schema/websocket.py). The token goes in the `connection_init` payload,
`{"Authorization": "Bearer <token>"}`; without a valid one the socket is closed
with 4403 and the reason a 401 gives. The socket carries subscriptions only:
queries and mutations go over HTTP, where a request reads the read models afresh,
and get an error over the socket. Over HTTP a subscription is refused with 400.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import ExecutionResult
from mentorlog.core.access import TOKEN_PREFIX, Principal
from mentorlog.core.errors import Unauthenticated, Unavailable
from mentorlog.core.oidc import Verifier
from mentorlog.schema.context import NOBODY, Context
from mentorlog.schema.errors import CONNECTION_LOST, INTERNAL, UNAUTHENTICATED
from mentorlog.schema.operations import Operations
from mentorlog.schema.requests import (
    DEFAULT_MAX_BODY_BYTES,
    BadJSON,
    check_length,
    code_of,
    decode_json,
    error_body,
    limited,
    read_params,
)
from mentorlog.schema.websocket import Refused, Socket, SubscriptionsOnly
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_TOKEN_LENGTH = 512
# Which of the person's grants an identity provider's token acts in.
GRANT_HEADER = "mentorlog-grant"
# Over HTTP in the Authorization header; over a WebSocket in connection_init.
NO_TOKEN = "send Authorization: Bearer <token>"

log = logging.getLogger("mentorlog.api")


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when neither is acceptable.

    A media type named exactly wins over a wildcard; a wildcard (or no header)
    gets application/json, which every client reads.
    """
    if not accept or not accept.strip():
        return JSON
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
        name = media.lower()
        for offered in (JSON, GRAPHQL_RESPONSE):
            if quality <= 0:
                continue
            if name == offered:
                rank = 3 if offered == GRAPHQL_RESPONSE else 2  # a tie: the newer
            elif name in ("*/*", "application/*"):
                rank = 1 if offered == JSON else 0
            else:
                continue
            candidate = (quality, rank, offered)
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


def encode(body: dict[str, Any]) -> bytes:
    """The response's JSON: orjson's (16x json's on a page of 100), or json's for
    what orjson refuses (an integer beyond 64 bits in a JSON value)."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":")).encode()


def respond(result: ExecutionResult, media_type: str) -> Response:
    """The answer to a result: 200, or 400 for a request error under its own type.

    A request error (nothing ran) carries no `data`, under either media type.
    """
    request_error = is_request_error(result)
    body: dict[str, Any] = {} if request_error else {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    status = 400 if request_error and media_type == GRAPHQL_RESPONSE else 200
    return Response(
        encode(body),
        status_code=status,
        headers={"content-type": f"{media_type}; charset=utf-8"},
    )


def error_response(
    status: int,
    message: str,
    code: str,
    media_type: str | None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A GraphQL-shaped error answering a request that did not run."""
    return Response(
        error_body(message, code, **extensions),
        status_code=status,
        headers={
            "content-type": f"{media_type or JSON}; charset=utf-8",
            **(headers or {}),
        },
    )


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view, speaking the GraphQL-over-HTTP spec's media types."""

    graphql_transport_ws_handler_class = SubscriptionsOnly
    websocket_adapter_class = Socket  # type: ignore[assignment]

    def __init__(
        self,
        schema: Any,
        graphql_ide: Any = "graphiql",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        ide_page: str | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=graphql_ide,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.max_body_bytes = max_body_bytes
        self.ide_page = ide_page

    @property
    def graphql_ide_html(self) -> str:
        """The IDE's page: the one given (served on local assets), or Strawberry's."""
        return self.ide_page or super().graphql_ide_html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve HTTP (answering every failure as a GraphQL error); defer the rest."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, limited(receive, self.max_body_bytes))
        media_type = negotiate(request.headers.get("accept"))
        try:
            response = await self._serve(request, media_type)
        except Unauthenticated as error:
            reason = getattr(error, "reason", None)
            challenge = 'Bearer realm="mentorlog"'
            if reason is not None:  # RFC 6750's error for a token that does not hold
                challenge += ', error="invalid_token"'
            response = error_response(
                401,
                error.message,
                UNAUTHENTICATED,
                media_type,
                {"WWW-Authenticate": challenge},
                **({"reason": reason} if reason else {}),
            )
        except HTTPException as error:
            headers = None
            if error.status_code == 405:  # GET is for queries; POST for both
                allow = "POST" if request.method == "GET" else "GET, POST"
                headers = {"Allow": allow}
            response = error_response(
                error.status_code, error.reason, code_of(error), media_type, headers
            )
        except (Unavailable, *CONNECTION_LOST):
            raise  # the app answers 503 UNAVAILABLE (mentorlog/app.py)
        except Exception:
            error_id = uuid.uuid4().hex[:16]
            log.exception("unexpected error %s serving a request", error_id)
            response = error_response(
                500,
                f"Unexpected error (error ID {error_id}).",
                INTERNAL,
                media_type,
                errorId=error_id,
            )
        await response(scope, receive, send)

    async def _serve(self, request: Request, media_type: str | None) -> Response:
        """The response to a request whose failures raise."""
        if self._wants_ide(request):
            if self.graphql_ide is None:
                raise HTTPException(404, "Not Found")
            return await self.render_graphql_ide(request)
        if media_type is None:
            raise HTTPException(
                406, f"this endpoint answers with {GRAPHQL_RESPONSE} or {JSON}"
            )
        if request.method not in ("GET", "POST"):
            raise HTTPException(405, "GraphQL is served over GET and POST only")
        check_length(request.headers.get("content-length"), self.max_body_bytes)
        principal = await self._authenticate(request)
        params = await read_params(request)
        operations: Operations = request.app.state.operations
        result = await operations.run(
            params.query,
            params.variables,
            params.operation_name,
            Context.of(request, principal),
            request.method,
        )
        return respond(result, media_type)

    def decode_json(self, data: str | bytes) -> object:
        """Decode a socket's message: UTF-8 JSON, not too large or deep."""
        if len(data) > self.max_body_bytes:
            raise BadJSON(f"the message is larger than {self.max_body_bytes} bytes")
        return decode_json(data)

    @staticmethod
    def _wants_ide(request: Request) -> bool:
        """A browser's GET without a query: the GraphiQL page (or 404 without one)."""
        accept = request.headers.get("accept", "")
        return (
            request.method == "GET"
            and request.query_params.get("query") is None
            and ("text/html" in accept or "*/*" in accept)
        )

    @classmethod
    async def _authenticate(cls, request: Request) -> Principal:
        """The principal of the request's bearer token, or raise Unauthenticated."""
        return await cls._principal(
            request,
            request.headers.get("authorization", ""),
            request.headers.get(GRANT_HEADER),
        )

    @staticmethod
    async def _principal(
        request: Request | WebSocket, header: str, grant: str | None = None
    ) -> Principal:
        """The principal an Authorization value names, or raise Unauthenticated.

        A token of mentorlog's (mlg_...) names a credential; with an identity
        provider configured, a JWT from it names an identity, acting in the grant
        `grant` names (or the person's only one).
        """
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated(NO_TOKEN)
        services = request.app.state.services
        app = services.app
        verifier: Verifier | None = services.oidc
        if verifier is not None and not token.startswith(TOKEN_PREFIX):
            claims = await verifier.verify(token)
            grant = grant.strip() if grant else None
            email = claims.email if claims.email_verified else None
            identity: Principal = await asyncio.to_thread(
                app.authenticate_identity,
                claims.issuer,
                claims.subject,
                grant or None,
                email,
            )
            return identity
        if len(token) > MAX_TOKEN_LENGTH or not token.isprintable():
            raise Unauthenticated("the token is unknown")
        # The steady state: a kept principal, no thread hop; else load it.
        kept: Principal | None = app.kept_principal(token)
        if kept is not None:
            return kept
        principal: Principal = await asyncio.to_thread(app.authenticate, token)
        return principal

    async def get_context(self, request: Any, response: Any) -> Context:
        """A WebSocket's context (HTTP builds its own in `_serve`): it acts as
        nobody until its connection_init is accepted."""
        context = Context.of(request, NOBODY)
        context.response = response
        return context

    async def on_ws_connect(self, context: Context) -> None:
        """Accept a connection_init whose payload names a valid token; else refuse."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization", ""))
        grant = params.get(GRANT_HEADER, params.get("grant"))
        try:
            if not isinstance(header, str):
                raise Unauthenticated(NO_TOKEN)
            if grant is not None and not isinstance(grant, str):
                raise Unauthenticated(f"{GRANT_HEADER} must be a string")
            context.sign_in(await self._principal(context.request, header, grant))
        except Unauthenticated as error:
            raise Refused(error.message) from None
