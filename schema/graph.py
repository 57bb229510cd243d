"""Shared by the node types: row times, nodes by ID, links up to mentorships."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, ForwardRef

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.projections.readers import Readers
from mentorlog.schema import ids
from mentorlog.schema.context import Info
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition

# The mentorship types sit above the objects inside a mentorship, programs and
# people, which point back up to them: those modules name the types lazily (resolved
# when the schema is built) and find their classes in the running schema, so no
# module imports one above it.
MENTORSHIPS = "mentorlog.schema.mentorships.types"
MentorshipRef: Any = Annotated[ForwardRef("Mentorship"), strawberry.lazy(MENTORSHIPS)]
MentorshipConnectionRef: Any = Annotated[
    ForwardRef("MentorshipConnection"), strawberry.lazy(MENTORSHIPS)
]

MENTORSHIP_FIELD = "The mentorship it belongs to (as of the same moment)."
ID_ARG = "A global ID."


def at(value: str) -> datetime:
    """A stored timestamp as a datetime."""
    return datetime.fromisoformat(value)


def when(value: str | None) -> datetime | None:
    """A stored timestamp that may be missing, as a datetime or None."""
    return datetime.fromisoformat(value) if value else None


def schema_type(info: Info, name: str) -> Any:
    """The class of one of the running schema's object types, by its GraphQL name."""
    definition = info.schema.get_type_by_name(name)
    assert isinstance(definition, StrawberryObjectDefinition), name
    return definition.origin


async def one(info: Info, value: str, cls: type[relay.Node]) -> relay.Node | None:
    """The node of this type with a global ID, or None (another type, or unreadable)."""
    parsed = ids.parse_global_id(value)
    if parsed is None or parsed[0] != cls.__name__:
        return None
    found = await cls.resolve_nodes(info=info, node_ids=[parsed[1]])  # type: ignore[misc]
    return next(iter(found), None)


async def load_scoped(
    info: Info, type_name: str, node_ids: Iterable[str]
) -> list[Row | None]:
    """Rows of objects inside a mentorship, by their node IDs."""
    keys = [tuple(n.split(":", 1)) for n in node_ids]
    loader = info.context.loaders.by_key(type_name)
    return await loader.load_many(keys)  # type: ignore[arg-type]


async def mentorship_of(info: Info, mentorship_id: str, replay: Replayed | None) -> Any:
    """The mentorship an object belongs to, replayed with it or as it is now."""
    mentorship = schema_type(info, "Mentorship")
    if replay is not None:
        return mentorship.from_replay(replay)
    row = await info.context.loaders.mentorship.load(mentorship_id)
    return mentorship.from_row(row) if row else None


def readers_of(
    row: Row, replay: Replayed | None, kind: str, owner: str
) -> Readers | None:
    """Who reads a private goal's or note's content; None when it is not private."""
    if not row["private"]:
        return None
    if replay is not None:
        return replay.readers_of((kind, row["id"]), row, owner)
    return Readers(row[owner], frozenset(row["shared_with"]))
