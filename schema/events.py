"""The log's feed over GraphQL: every mentorship event you may read, in recorded order.

`events` pages through the whole event log (the store's notifications, in the order
they were recorded) and gives the mentorship events among them, typed as in a
mentorship's history and hidden alike: a mentorship you may not read is left out,
and a private goal's or note's content is for its readers as the stream shares it
now. Its cursors are positions in the log, so a client reads up to the end and
subscribes `after` the page's `cursor` (schema/subscriptions.py), missing nothing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import strawberry
from eventsourcing.utils import get_topic
from mentorlog.core.access import Principal
from mentorlog.core.errors import NotFound
from mentorlog.core.history import to_entry
from mentorlog.core.inputs import excerpt
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.policy import may_read_mentorship
from mentorlog.projections.readers import mark_erased
from mentorlog.schema import ids
from mentorlog.schema.context import Info
from mentorlog.schema.errors import ClientError
from mentorlog.schema.feed import Facts
from mentorlog.schema.history import MentorshipEvent, MentorshipEventType, to_event
from mentorlog.schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from strawberry import relay

from mentorlog.services import Services

CURSOR_PREFIX = "log:"
READ_PAGE = 500  # notifications read from the store at a time
SCAN_LIMIT = 5_000  # notifications one request reads at most, matching or not

# Every Mentorship event's stored topic, by the event's name.
TOPICS: dict[str, str] = {
    value.__name__: get_topic(value)
    for value in vars(Mentorship).values()
    if isinstance(value, type) and issubclass(value, Mentorship.Event)
}


def encode_position(position: int) -> str:
    """An opaque cursor for a position in the log."""
    return base64.b64encode(f"{CURSOR_PREFIX}{position}".encode()).decode()


def decode_position(cursor: str, argument: str) -> int:
    """The log position a cursor stands for, or a ClientError naming the argument."""
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode()
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    number = text.removeprefix(CURSOR_PREFIX)
    if not text.startswith(CURSOR_PREFIX) or not number.isdigit():
        raise ClientError(
            f"'{excerpt(cursor)}' is not a valid cursor of the event log for "
            f"{argument}",
            argument=argument,
        )
    return int(number)


@strawberry.type(description="An event in a page of the log.")
class LogEventEdge:
    cursor: str = strawberry.field(
        description="Its position in the log, for `after` (here or in a subscription)."
    )
    node: MentorshipEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of the log's events, in recorded order.")
class LogEventConnection:
    edges: list[LogEventEdge] = strawberry.field(description="The events.")
    page_info: relay.PageInfo = strawberry.field(
        description="Whether the log goes on past this page (hasNextPage: more "
        "events are recorded after `cursor`, matching or not), and the cursors of "
        "its first and last events."
    )
    cursor: str = strawberry.field(
        description="Where this page's reading of the log ended: pass it as `after` "
        "for the next page, or to a subscription to follow on from here. It moves "
        "on past events that did not match, so it is given even for an empty page."
    )


@dataclass(frozen=True)
class Filter:
    """What a page of the log keeps: event types, one program, one mentorship."""

    topics: Sequence[str]
    program_id: str | None
    mentorship_id: str | None


def _node_id(value: strawberry.ID | None, type_name: str, argument: str) -> str | None:
    """A filter's global ID as its node ID; a malformed one is bad input."""
    if value is None:
        return None
    try:
        return ids.decode(value, type_name, argument)
    except NotFound as error:
        raise ClientError(error.message, argument=argument) from None


def read_log(
    services: Services,
    principal: Principal,
    after: int,
    first: int,
    wanted: Filter,
) -> tuple[list[MentorshipEvent], int, bool]:
    """Up to `first` readable events after a position (blocking: the store).

    Returns the events, the position reading ended at, and whether the log goes on.
    """
    app = services.app
    recorder: Any = app.recorder
    facts: dict[str, Facts | None] = {}
    links: dict[str, dict[int, str]] = {}
    found: list[MentorshipEvent] = []
    # Read first: a page that ends the matching events has read the log this far.
    head = recorder.max_notification_id() or 0
    position, scanned = after, 0
    while len(found) < first and scanned < SCAN_LIMIT:
        # First as many as the page wants (all may match); then whole read pages.
        wants = first - len(found) if not scanned else READ_PAGE
        limit = min(READ_PAGE, SCAN_LIMIT - scanned, wants)
        notifications = recorder.select_notifications(
            position, limit, topics=wanted.topics, inclusive_of_start=False
        )
        if len(notifications) < limit:
            # What follows the last of them (up to head) did not match: skip it,
            # unless the page fills first.
            end = max(head, notifications[-1].id if notifications else 0)
        else:
            end = 0
        scanned += len(notifications)
        for notification in notifications:
            position = notification.id
            key = str(notification.originator_id)
            if wanted.mentorship_id not in (None, key):
                continue
            if key not in facts:
                facts[key] = _readable(services, principal, key)
            known = facts[key]
            if known is None or wanted.program_id not in (None, known.program_id):
                continue
            if key not in links:
                links[key] = dict(recorder.select_links(notification.originator_id))
            event: Any = app.mapper.to_domain_event(notification)
            entry = to_entry(event, links[key].get(event.originator_version, ""))
            node = to_event(
                entry, key, principal, known.readers, app.sealer.open, notification.id
            )
            if node is not None:
                found.append(node)
            if len(found) == first:
                break
        if len(found) < first and end:
            position = max(position, end)
        if len(notifications) < limit:
            break
    head = max(head, recorder.max_notification_id() or 0)
    return found, position, position < head


def _readable(services: Services, principal: Principal, key: str) -> Facts | None:
    """A mentorship's facts as it is now, if the principal may read it; else None."""
    app = services.app
    state: Any = app.repository.get(UUID(key))
    facts = Facts.of(state)
    if not may_read_mentorship(principal, facts.program_id, facts.person_ids):
        return None
    readers = mark_erased(facts.readers, app.sealer.keys.get)
    return Facts(facts.program_id, facts.person_ids, readers)


@strawberry.type
class EventQueries:
    @strawberry.field(
        description="The event log itself: every mentorship event your token may "
        "read, in the order it was recorded across all streams, typed and hidden as "
        "in a mentorship's history (a private goal's or note's content only for its "
        "readers). Page through it with `after`; a page reads at most 5,000 events "
        "of the log, so it may hold fewer than `first` and still have a next page. "
        "An unknown or unreadable program or mentorship gives an empty page."
    )
    async def events(
        self,
        info: Info,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="Return events after this cursor (an edge's, or a "
                "page's `cursor`); from the start of the log when left out."
            ),
        ] = None,
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Return at most this many events (default 20, at most 100)."
            ),
        ] = None,
        types: Annotated[
            list[MentorshipEventType] | None,  # type: ignore[valid-type]
            strawberry.argument(
                description="Only events of these types; all when left out."
            ),
        ] = None,
        program_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only events of this program's mentorships."
            ),
        ] = None,
        mentorship_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this mentorship's events."),
        ] = None,
    ) -> LogEventConnection:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(
                f"first must be between 0 and {MAX_PAGE_SIZE}; page on with cursors",
                argument="first",
            )
        start = decode_position(after, "after") if after is not None else 0
        names = [str(t.value) for t in types] if types is not None else list(TOPICS)  # type: ignore[attr-defined]
        wanted = Filter(
            topics=sorted(TOPICS[name] for name in names),
            program_id=_node_id(program_id, "Program", "programId"),
            mentorship_id=_node_id(mentorship_id, "Mentorship", "mentorshipId"),
        )
        context = info.context
        found: list[MentorshipEvent] = []
        position, more = start, False
        if wanted.topics:  # none: `types` was empty (no topics would read them all)
            found, position, more = await context.in_thread(
                read_log, context.services, context.principal, start, size, wanted
            )
        edges = [
            LogEventEdge(cursor=encode_position(node.position or 0), node=node)
            for node in found
        ]
        return LogEventConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=more,
                has_previous_page=start > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            cursor=encode_position(position),
        )
