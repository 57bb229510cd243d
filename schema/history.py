"""A mentorship's history over GraphQL: one object type per event class.

The types are generated from the Mentorship aggregate's event classes: each field
of an event becomes a field of its type (IDs as global IDs, enums as enums,
anything else as JSON). An event class describes itself: its docstring describes
its type, its `field_descriptions` its fields (core/goals.py, ...). A new event
class or field without a description fails at import, so the schema never grows
undocumented.

Goal and note events carry content (a goal's title, fields and notes; a note's
text; each event's `private_item` names its content fields): for a private goal or
note it is shown to its owner and to the partners
they share it with, as the stream shares it now; others see the event with
`contentHidden: true` and those fields null. Sealed values are opened for those
readers or left out, never sent. A field an event class names `personal` (a
purpose quoting a mentee's request) is sealed only so erasure shreds it: it is
opened for whoever reads the event, and reads "[erased]" once its person is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import event_classes
from mentorlog.core.privacy import is_sealed
from mentorlog.projections.base import ERASED_CONTENT
from mentorlog.projections.readers import (
    Item,
    Readers,
    content_fields,
    item_of,
    private_readers,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import FeedbackSource, GoalTerm, RoleSide, SupportKind
from mentorlog.schema.errors import ClientError
from mentorlog.schema.graph import MentorshipRef, mentorship_of
from mentorlog.schema.ids import global_id, scoped_node_id
from mentorlog.schema.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_cursor,
    encode_cursor,
)
from mentorlog.schema.transparency import InclusionProof
from mentorlog.schema.values import Actor, Participant
from strawberry import relay
from strawberry.scalars import JSON

Opener = Callable[[Any, Any], Any]

# -- the interface -----------------------------------------------------------------


@strawberry.interface(
    description="One recorded event of a mentorship, as stored: its place in the "
    "stream, time, actor and chain hash. Each event class has its own type."
)
class MentorshipEvent:
    sequence: int = strawberry.field(
        description="Its place in the mentorship's event stream, from 1."
    )
    occurred_at: datetime = strawberry.field(description="When it was recorded.")
    actor: Actor = strawberry.field(description="Who caused it.")
    hash: str = strawberry.field(
        description="Its link in the stream's hash chain (SHA-256, hex): the hash of "
        "the previous link and this event, as `verify` recomputes it."
    )
    content_hidden: bool = strawberry.field(
        description="True when parts of its payload are withheld from you "
        "(the content of a private goal or note not shared with you); those fields "
        "are null."
    )
    position: int | None = strawberry.field(
        default=None,
        description="Its place in the whole event log, in recorded order (the "
        "global position; each event of every stream has its own): what an "
        "`events` cursor stands for. Given by `events` and the subscriptions; "
        "null in a mentorship's history, which reads one stream, not the log.",
    )
    stream: strawberry.Private[str]

    @strawberry.field(
        description="The mentorship it belongs to (null only for a moment, while "
        "the read models have not reached a new mentorship)."
    )
    async def mentorship(self, info: Info) -> MentorshipRef | None:
        return await mentorship_of(info, self.stream, None)

    @strawberry.field(
        description="Its leaf in the log's Merkle tree and the proof that the log "
        "of treeSize events holds it (RFC 9162); check it against a signed "
        "checkpoint of that size. A size beyond the log, or one the event came "
        "after, is a BAD_USER_INPUT error."
    )
    async def inclusion_proof(
        self,
        info: Info,
        tree_size: Annotated[
            int | None,
            strawberry.argument(
                description="The log size to prove against (a checkpoint's size); "
                "default: the log's size now."
            ),
        ] = None,
    ) -> InclusionProof:
        return await InclusionProof.of(
            info, self.stream, self.sequence, self.hash, tree_size
        )


# -- generating the event types ----------------------------------------------------

SCOPED = {
    "goal_id": "Goal",
    "milestone_id": "Milestone",
    "meeting_id": "Meeting",
    "review_id": "Review",
    "feedback_id": "Feedback",
    "note_id": "Note",
}
PEOPLE = frozenset({"person_id", "owner_id", "about_id", "author_id"})
PEOPLE_LISTS = frozenset({"absent", "shared_with"})
ENUMS: dict[str, type[Enum]] = {"term": GoalTerm, "source": FeedbackSource}
PLAIN = {"str": str, "int": int, "float": float, "bool": bool, "list[str]": list[str]}


def _annotations(cls: type) -> dict[str, str]:
    """An event class's own fields and their annotations, in order."""
    merged: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        # A part's events (core/goals.py, ...) are redefined on Mentorship.
        if klass.__module__.startswith("mentorlog.core."):
            merged.update(getattr(klass, "__dict__", {}).get("__annotations__", {}))
    return merged


def description(cls: type) -> str:
    """An event class's description: the docstring it was declared with."""
    for klass in cls.__mro__:
        doc = klass.__dict__.get("__doc__")
        # A redefined class's docstring is the signature its dataclass wrote.
        if (
            klass.__name__ == cls.__name__
            and doc
            and not doc.startswith(f"{cls.__name__}(")
        ):
            return str(doc)
    raise KeyError(f"give the event {cls.__name__} a docstring: its description")


def type_name(event_name: str) -> str:
    """The GraphQL type of an event: a bare verb is about the mentorship itself."""
    return (
        f"Mentorship{event_name}"
        if re.fullmatch(r"[A-Z][a-z]+", event_name)
        else event_name
    )


def _graphql_type(name: str, annotation: str, private: bool) -> Any:
    """The GraphQL type of an event's field, from its annotation."""
    optional = annotation.endswith(" | None") or private
    base = annotation.removesuffix(" | None")
    kind: Any
    if name in SCOPED or name in PEOPLE or name == "program_id":
        kind = strawberry.ID
    elif name in PEOPLE_LISTS:
        kind = list[strawberry.ID]
    elif name == "participants":
        kind = list[Participant]
    elif name in ENUMS:
        kind = ENUMS[name]
    elif name == "support":
        kind = list[SupportKind]
    elif name == "scheduled_for":
        kind = datetime
    elif name in ("title", "text", "purpose"):
        kind = str  # sealed when private or personal, but always text once opened
    else:
        kind = PLAIN.get(base, JSON)
    return kind | None if optional else kind


def _field_description(cls: type, name: str) -> str:
    """The description of an event's field, from its class; KeyError for none."""
    found = getattr(cls, "field_descriptions", {}).get(name)
    if not found:
        raise KeyError(
            f"describe the field '{name}' of event {cls.__name__} in its "
            "field_descriptions"
        )
    if name in content_fields(cls):
        kind = cls.private_item.kind  # type: ignore[attr-defined]
        found += f" Null when the {kind} is private and not shared with you."
    return str(found)


def _make_type(event_name: str, cls: type) -> type:
    """The GraphQL object type of one event class."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__}
    private = content_fields(cls)
    for name, annotation in _annotations(cls).items():
        if name == "actor":
            continue
        annotations[name] = _graphql_type(name, annotation, name in private)
        namespace[name] = strawberry.field(description=_field_description(cls, name))
    namespace["__annotations__"] = annotations
    namespace["event_name"] = event_name
    klass = type(type_name(event_name), (MentorshipEvent,), namespace)
    return strawberry.type(klass, description=description(cls))


EVENT_TYPES: dict[str, type] = {
    name: _make_type(name, cls) for name, cls in event_classes().items()
}
# Each event type's payload fields, in order (the actor is on the interface).
EVENT_FIELDS: dict[str, list[str]] = {
    name: [f for f in _annotations(cls) if f != "actor"]
    for name, cls in event_classes().items()
}
# Each event's fields that are a private goal's or note's content.
CONTENT: dict[str, frozenset[str]] = {
    name: content_fields(cls) for name, cls in event_classes().items()
}
# Each event's fields sealed with a person's key only so erasure shreds them.
PERSONAL: dict[str, frozenset[str]] = {
    name: frozenset(getattr(cls, "personal", ()))
    for name, cls in event_classes().items()
}

MentorshipEventType = strawberry.enum(
    cast(
        type[Enum],
        Enum(
            "MentorshipEventType",
            {
                re.sub(r"(?<!^)(?=[A-Z])", "_", type_name(name)).upper(): (
                    strawberry.enum_value(name, description=description(cls))
                )
                for name, cls in event_classes().items()
            },
        ),
    ),
    description="The kinds of event a mentorship records, to filter its history.",
)


# -- building events from the stored history ---------------------------------------


def _convert(
    name: str,
    value: Any,
    mentorship_id: str,
    may_open: bool,
    open_sealed: Opener,
) -> Any:
    """A payload value as its GraphQL field gives it (sealed: opened if may_open)."""
    if value is None:
        return None
    if name in SCOPED:
        return global_id(SCOPED[name], scoped_node_id(mentorship_id, str(value)))
    if name in PEOPLE:
        return global_id("Person", str(value))
    if name == "program_id":
        return global_id("Program", str(value))
    if name in PEOPLE_LISTS:
        return [global_id("Person", str(p)) for p in value]
    if name == "participants":
        return [
            Participant(
                role=p["role"], side=RoleSide(p["side"]), person_id=p["person_id"]
            )
            for p in value
        ]
    if name in ENUMS:
        return ENUMS[name](value)
    if name == "support":
        return [SupportKind(s) for s in value]
    if name == "scheduled_for":
        return datetime.fromisoformat(value)
    if is_sealed(value):
        if not may_open:
            return None
        # Opened for its readers; if the key is gone, as the read model shows it.
        return open_sealed(value, _erased(name))
    return value


def _erased(name: str) -> Any:
    """What a content field shows once its owner was erased."""
    return {} if name == "fields" else ERASED_CONTENT


def to_event(
    entry: HistoryEntry,
    mentorship_id: str,
    principal: Principal,
    readers: Mapping[Item, Readers],
    open_sealed: Opener,
    position: int | None = None,
) -> MentorshipEvent | None:
    """The GraphQL object of one stored event (None for an unknown event type).

    `position`: its place in the log, where the caller read it from the log.
    """
    cls = EVENT_TYPES.get(entry.type)
    if cls is None:
        return None
    item = item_of(entry.type, entry.payload)
    private = readers.get(item) if item is not None else None
    content = CONTENT[entry.type]
    hidden = private is not None and bool(content) and not private.allow(principal)
    # Sealed values belong to a private item: opened only for its readers.
    may_open = private is not None and not hidden
    values: dict[str, Any] = {}
    # Text an erased owner wrote before it was sealed goes too (older events).
    erased = private is not None and private.erased and not hidden
    personal = PERSONAL[entry.type]
    for name in EVENT_FIELDS[entry.type]:
        value = entry.payload.get(name)
        if hidden and name in content:
            values[name] = None
        elif name in personal and is_sealed(value):
            values[name] = open_sealed(value, ERASED_CONTENT)
        elif erased and isinstance(value, str) and value and name in content:
            values[name] = _erased(name)
        else:
            values[name] = _convert(name, value, mentorship_id, may_open, open_sealed)
    return cls(  # type: ignore[no-any-return]
        sequence=entry.sequence,
        occurred_at=entry.occurred_at,
        actor=Actor.parse(entry.actor),
        hash=entry.hash,
        content_hidden=hidden,
        position=position,
        stream=mentorship_id,
        **values,
    )


@strawberry.type(description="An event in a page of a mentorship's history.")
class MentorshipEventEdge:
    cursor: str = strawberry.field(description="Where this event is, for `after`.")
    node: MentorshipEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of a mentorship's events, oldest first.")
class MentorshipEventConnection:
    edges: list[MentorshipEventEdge] = strawberry.field(description="The events.")
    page_info: relay.PageInfo = strawberry.field(
        description="Whether more events follow, and the cursors at either end."
    )
    total_count: int = strawberry.field(
        description="How many events match the filter, on every page."
    )


def page_of_events(
    entries: Sequence[HistoryEntry],
    mentorship_id: str,
    principal: Principal,
    open_sealed: Opener,
    first: int | None,
    after: str | None,
    types: Sequence[str] | None,
    readers: Mapping[Item, Readers] | None = None,
) -> MentorshipEventConnection:
    """One page of a stream's events, after a cursor, of the given types.

    `readers`: who reads each private goal and note now (default: after `entries`).
    """
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise ClientError(
            f"first must be between 0 and {MAX_PAGE_SIZE}; page through longer "
            "histories with cursors",
            argument="first",
        )
    start = decode_cursor(after, "after") if after is not None else 0
    private = private_readers(entries) if readers is None else readers
    wanted = [e for e in entries if types is None or e.type in types]
    rest = [e for e in wanted if e.sequence > start]
    page = rest[:size]
    edges = []
    for entry in page:
        node = to_event(entry, mentorship_id, principal, private, open_sealed)
        if node is not None:
            edges.append(
                MentorshipEventEdge(cursor=encode_cursor(entry.sequence), node=node)
            )
    return MentorshipEventConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rest) > size,
            has_previous_page=len(rest) < len(wanted),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(wanted),
    )
