"""The Subscription type: a mentorship's or a program's events, as they are recorded.

Subscriptions run over a WebSocket at /graphql with the graphql-transport-ws protocol;
the token goes in the `connection_init` payload as `{"Authorization": "Bearer ..."}`.
Each pushes the events recorded after it began, in the order of the log, typed as in
a mentorship's history (private goal content hidden from all but its owner), each
with its `position` in the log and its mentorship. Given `after` (a cursor of the
`events` query, or an event's position as one), it first sends what was recorded
since, then goes on live: a client that read the log up to a cursor, or lost its
socket, resumes there and gets each event exactly once. What the token may not read
ends the subscription with the error an unknown ID gets.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from functools import partial
from typing import Annotated

import strawberry
from graphql import GraphQLError
from mentorlog.core.access import Principal
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_read_mentorship
from mentorlog.core.privacy import is_sealed
from mentorlog.schema import ids
from mentorlog.schema.context import Context, Info
from mentorlog.schema.errors import BAD_REQUEST, ClientError
from mentorlog.schema.events import decode_position
from mentorlog.schema.fanout import (
    DELIVERY,
    GROUPS,
    Delivery,
    Group,
    Renderer,
    Rendering,
)
from mentorlog.schema.feed import EventFeed, FeedEnded, FeedItem, Subscriber
from mentorlog.schema.graph import one
from mentorlog.schema.history import MentorshipEvent, to_event
from mentorlog.schema.programs.types import Program
from strawberry.types import ExecutionResult

from mentorlog.services import Services

NOT_FOUND = "NOT_FOUND"
GONE = 10.0  # seconds a subscription whose socket closed waits to be cancelled


def _refusal(error: NotFound) -> GraphQLError:
    """The error that ends a subscription to what is unknown or not readable."""
    return GraphQLError(
        error.message, extensions={"code": NOT_FOUND, "field": error.field}
    )


def _readable_mentorship(
    services: Services, principal: Principal, mentorship_id: str
) -> None:
    """Raise NotFound unless the mentorship exists and the principal may read it."""
    refused = NotFound(f"no mentorship with ID {mentorship_id}", "mentorshipId")
    try:
        found = services.app.get_mentorship(mentorship_id)
    except NotFound:
        raise refused from None
    if not may_read_mentorship(principal, found.program_id, found.person_ids()):
        raise refused


async def _event(info: Info, item: FeedItem) -> MentorshipEvent | None:
    """The item as its GraphQL event, for this subscriber's token."""
    principal = info.context.principal
    app = info.context.services.app
    args = (
        item.entry,
        item.mentorship_id,
        principal,
        item.facts.readers,
        app.sealer.open,
        item.notification_id,
    )
    if any(is_sealed(value) for value in item.entry.payload.values()):
        return await asyncio.to_thread(to_event, *args)  # opening reads the key store
    return to_event(*args)


async def _answer(info: Info, delivery: Delivery, item: FeedItem) -> str | None:
    """The `next` payload of the item for the delivery's group, as JSON text: its
    selection executed through the schema, once, with the event as root value."""
    node = await _event(info, item)
    if node is None:
        return None
    context = info.context
    alike = Context(
        services=context.services,
        db=context.db,
        principal=context.principal,
        follows_projections=context.follows_projections,
    )
    results = await info.schema.subscribe(
        delivery.query,
        variable_values=delivery.variables,
        context_value=alike,
        root_value=Rendering(node),
        operation_name=delivery.operation_name,
    )
    if isinstance(results, ExecutionResult):  # refused before it ran
        return _payload(results)
    async with aclosing(results):
        async for result in results:
            return _payload(result)
    return None


def _payload(result: ExecutionResult) -> str:
    """A result as graphql-transport-ws's `next` payload, in JSON."""
    payload: dict[str, object] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return json.dumps(payload, separators=(",", ":"))


def _sender(
    group: Group,
    delivery: Delivery,
    follows: Callable[[FeedItem], bool],
    render: Callable[[FeedItem], Awaitable[str | None]],
) -> Callable[[FeedItem], Awaitable[bool]]:
    """Sending an item its group's payload, when the subscription follows it;
    the send answers False once the socket is gone."""

    async def send(item: FeedItem) -> bool:
        if not follows(item):
            return True
        answer = await group.payload(item.notification_id, partial(render, item))
        return answer is None or await delivery.send(answer)

    return send


async def _stream(
    info: Info, subscriber: Subscriber, every_mentorship: bool
) -> AsyncGenerator[MentorshipEvent, None]:
    """Yield the subscriber's events that the token may read, until it is ended.

    Over the socket, each event is sent as its group's one answer instead
    (schema/fanout.py), and nothing is yielded.
    """
    context = info.context
    feed = context.feed
    assert feed is not None
    principal = context.principal
    delivery = DELIVERY.get()

    def follows(item: FeedItem) -> bool:
        facts = item.facts
        return subscriber.wants(item) and (
            not every_mentorship
            or may_read_mentorship(principal, facts.program_id, facts.person_ids)
        )

    group = GROUPS.join(delivery.key) if delivery is not None else None
    send: Callable[[FeedItem], Awaitable[bool]] | None = None
    if group is not None and delivery is not None:
        render = partial(_answer, info, delivery)
        group.add_renderer(subscriber, Renderer(follows, render))
        send = _sender(group, delivery, follows, render)

        async def hand(item: FeedItem) -> None:
            if send is not None and not await send(item):
                subscriber.direct = None  # gone: its handler cancels it soon

        subscriber.direct = hand  # the feed's own turn at what the loop does
    try:
        async for item in feed.items(subscriber):
            if send is not None:
                if not await send(item):
                    # The socket is gone: its handler cancels this task soon.
                    await asyncio.sleep(GONE)
                    return
                continue
            if not follows(item):
                continue
            node = await _event(info, item)
            if node is not None:
                context.refresh()  # each event reads people and programs afresh
                yield node
    except FeedEnded as ended:
        raise GraphQLError(ended.message, extensions={"code": ended.code}) from None
    finally:
        feed.unsubscribe(subscriber)
        if group is not None:
            group.remove_renderer(subscriber)
            GROUPS.leave(group)


AFTER = (
    "Send first the events recorded after this cursor (an `events` cursor, as its "
    "edges and pages give), then go on live; when left out, only events recorded "
    "from now on."
)


def _position(after: str | None) -> int | None:
    """The log position of a subscription's `after`, or a GraphQLError."""
    if after is None:
        return None
    try:
        return decode_position(after, "after")
    except ClientError as error:
        raise GraphQLError(error.message, extensions=error.extensions) from None


async def _subscribe(
    feed: EventFeed, principal: Principal, after: str | None, **follows: str
) -> Subscriber:
    """Subscribe for the principal; a token gone since the socket opened ends it."""
    position = _position(after)
    try:
        return await feed.subscribe(
            principal.credential_id,
            principal.person_id,
            after=position,
            principal=principal,
            **follows,
        )
    except FeedEnded as ended:
        raise GraphQLError(ended.message, extensions={"code": ended.code}) from None


@strawberry.type(
    description="Events pushed as they are recorded, over a WebSocket at /graphql "
    "(graphql-transport-ws; the token goes in the connection_init payload as "
    '{"Authorization": "Bearer <token>"}). Each subscription sends the events '
    "recorded after it began (or after the cursor given as `after`), oldest "
    "first, showing what your token may read; "
    "an ID you may not read ends it with the NOT_FOUND error an unknown ID gets."
)
class Subscription:
    @strawberry.subscription(
        description="Each new event of one mentorship, as its history types it "
        "(a private goal's content is hidden unless it is yours)."
    )
    async def mentorship_events(
        self,
        info: Info,
        mentorship_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The mentorship's global ID."),
        ],
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[MentorshipEvent, None]:
        if isinstance(info.root_value, Rendering):  # a group's one execution
            yield info.root_value.node
            return
        context = info.context
        feed = context.feed
        if feed is None:
            raise GraphQLError(
                "subscriptions are served over the WebSocket only",
                extensions={"code": BAD_REQUEST},
            )
        try:
            node_id = ids.decode(mentorship_id, "Mentorship", "mentorshipId")
            await asyncio.to_thread(
                _readable_mentorship, context.services, context.principal, node_id
            )
        except NotFound as error:
            raise _refusal(error) from None
        subscriber = await _subscribe(
            feed, context.principal, after, mentorship_id=node_id
        )
        async for node in _stream(info, subscriber, every_mentorship=False):
            yield node

    @strawberry.subscription(
        description="Each new event of every mentorship of one program that you may "
        "read (admins and auditors: all of them; participants: their own)."
    )
    async def program_activity(
        self,
        info: Info,
        program_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The program's global ID."),
        ],
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[MentorshipEvent, None]:
        if isinstance(info.root_value, Rendering):  # a group's one execution
            yield info.root_value.node
            return
        context = info.context
        feed = context.feed
        if feed is None:
            raise GraphQLError(
                "subscriptions are served over the WebSocket only",
                extensions={"code": BAD_REQUEST},
            )
        try:
            node_id = ids.decode(program_id, "Program", "programId")
        except NotFound as error:
            raise _refusal(error) from None
        # Readable exactly when the `program` query would show it.
        if await one(info, program_id, Program) is None:
            raise _refusal(NotFound(f"no program with ID {node_id}", "programId"))
        subscriber = await _subscribe(
            feed, context.principal, after, program_id=node_id
        )
        async for node in _stream(info, subscriber, every_mentorship=True):
            yield node
