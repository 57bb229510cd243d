"""The graphql-transport-ws socket: subscriptions only, and every frame checked.

A frame that is not a protocol message (not a JSON object, no string type, a
subscribe without a string id or an object payload with a string query, JSON
nested too deeply) closes the socket with 4400 and a reason saying what is wrong.
A connection_init without a valid token closes it with 4403 and the reason HTTP
gives in its 401. An operation that is not a subscription, that the document does
not name, or beyond the per-socket limit is answered with an error message whose
`extensions.code` says why; the socket stays open.
"""

from __future__ import annotations

import sys
from typing import Any

from graphql import GraphQLError, OperationType
from mentorlog.core.inputs import excerpt
from mentorlog.schema.context import Context
from mentorlog.schema.errors import BAD_REQUEST, SUBSCRIPTION_LIMIT_REACHED
from mentorlog.schema.fanout import DELIVERY, Delivery
from mentorlog.schema.requests import BadJSON, RequestError, kind_of, select_operation
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

SOCKET_CARRIES_SUBSCRIPTIONS = (
    "this WebSocket carries subscriptions only; send queries and mutations over HTTP"
)
# A WebSocket close frame holds a reason of at most 123 bytes.
MAX_REASON_BYTES = 123
MAX_ID_LENGTH = 100


class Refused(Exception):
    """A connection_init the server refuses, with the reason the client is told."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fit(reason: str) -> str:
    """A close reason that fits a close frame (and is always UTF-8)."""
    reason = excerpt(reason, MAX_REASON_BYTES)
    while len(reason.encode()) > MAX_REASON_BYTES:
        reason = reason[:-2] + "…"
    return reason


def frame_problem(message: object) -> str | None:
    """What makes a frame no graphql-transport-ws message we take, or None."""
    if not isinstance(message, dict):
        return f"a message must be a JSON object, not {kind_of(message)}"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "a message needs a type (a string)"
    if kind not in ("subscribe", "complete"):
        return None
    operation_id = message.get("id")
    if not isinstance(operation_id, str) or not operation_id:
        return f"a {kind} message needs an id (a non-empty string)"
    if len(operation_id) > MAX_ID_LENGTH:
        return f"an id is at most {MAX_ID_LENGTH} characters long"
    if kind == "complete":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return f"a subscribe payload must be an object, not {kind_of(payload)}"
    if not isinstance(payload.get("query"), str):
        return "a subscribe payload needs a query (a string)"
    for key in ("variables", "extensions"):
        if not isinstance(payload.get(key), dict | None):
            return f"a subscribe payload's {key} must be an object or null"
    if not isinstance(payload.get("operationName"), str | None):
        return "a subscribe payload's operationName must be a string or null"
    return None


class Socket(ASGIWebSocketAdapter):
    """Strawberry's WebSocket adapter, closing with reasons that fit a close frame."""

    async def close(self, code: int, reason: str) -> None:
        """Close with the code and the reason, shortened to fit."""
        await super().close(code, fit(reason))


class SubscriptionsOnly(BaseGraphQLTransportWSHandler[Context, None]):
    """The graphql-transport-ws handler: frames checked, subscriptions only."""

    async def handle_message(self, message: Message) -> None:
        """Close with 4400 on a malformed frame; handle the others."""
        problem = frame_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_invalid_message(self, error_message: str) -> None:
        """Close with 4400, saying why a frame that is not JSON we take was refused."""
        # Strawberry reports every undecodable frame alike; the BadJSON it was
        # raised from (our decoder's) says what is wrong with this one.
        cause = getattr(sys.exc_info()[1], "__cause__", None)
        if isinstance(cause, BadJSON):
            error_message = f"the message is not JSON we take: {cause.message}"
        await super().handle_invalid_message(error_message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """Acknowledge a valid token; refuse others with 4403 and the reason why."""
        try:
            await super().handle_connection_init(message)
        except Refused as refused:
            await self.websocket.close(code=4403, reason=refused.reason)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Start a subscription; answer any other operation with a coded error."""
        operation_id = message["id"]
        if not self.connection_acknowledged or operation_id in self.operations:
            await super().handle_subscribe(message)  # closes the socket
            return
        limit = self.max_subscriptions_per_connection
        if limit is not None and len(self.operations) >= limit:
            await self._refuse(
                operation_id,
                f"this socket already runs {limit} subscriptions, the most it may",
                SUBSCRIPTION_LIMIT_REACHED,
            )
            return
        payload: dict[str, Any] = dict(message["payload"])
        try:
            operation = select_operation(payload["query"], payload.get("operationName"))
        except RequestError as error:
            await self._refuse(operation_id, error.reason, error.code)
            return
        if operation is not None and operation.operation != OperationType.SUBSCRIPTION:
            await self._refuse(operation_id, SOCKET_CARRIES_SUBSCRIPTIONS, BAD_REQUEST)
            return
        # The operation's task, made by the handler, inherits the delivery.
        token = DELIVERY.set(
            Delivery(
                operation_id=operation_id,
                query=payload["query"],
                operation_name=payload.get("operationName"),
                variables=payload.get("variables"),
                principal=self.context.principal,
                send_text=self.context.request.send_text,
            )
        )
        try:
            await super().handle_subscribe(message)
        finally:
            DELIVERY.reset(token)

    async def _refuse(self, operation_id: str, message: str, code: str) -> None:
        error = GraphQLError(message, extensions={"code": code})
        await self.send_message(
            {"id": operation_id, "type": "error", "payload": [error.formatted]}
        )
