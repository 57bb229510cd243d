"""Running commands for mutations: the common input, perform(), IDs and results.

Each mutation runs its command in a worker thread (the event store is synchronous) as
the token's person, after checking the token may run it on its target (see
schema/authorize.py); it maps domain errors to `userErrors`, then waits until the
read models hold the new facts, so the payload reads its own write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from enum import Enum
from inspect import Parameter
from typing import Any

import strawberry
from mentorlog.core.application import Recorded
from mentorlog.core.commands.base import COMMANDS
from mentorlog.core.errors import MentorlogError, NotFound
from mentorlog.core.policy import ReadScope
from mentorlog.projections import queries
from mentorlog.schema import ids
from mentorlog.schema.authorize import Command
from mentorlog.schema.context import Info
from mentorlog.schema.errors import PROJECTION_TIMEOUT, UserError, user_errors
from mentorlog.schema.loaders import Loaders

ID = strawberry.ID
INPUT = "What the command needs."
MENTORSHIP_ID = "The mentorship's global ID."
PROGRAM_ID = "The program's global ID."
SHARED_WITH = (
    "The global IDs of the partners (participants of the mentorship) who may read "
    "it, besides its owner; this list replaces the previous one, and an empty list "
    "shares it with nobody."
)
USER_ERRORS = "Why the mutation was refused (nothing was recorded); empty on success."

Check = Callable[[], Awaitable[None]]


@strawberry.input(description="What every command input carries.")
class CommandInput:
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string unique to this change, chosen by the client; "
        "retrying with the same key records the change once and returns "
        "the same result.",
    )


async def perform(
    info: Info, command: Command, check: Check | None = None
) -> tuple[Recorded | None, list[UserError]]:
    """Run a command as the token's person; return what it recorded, or why not."""
    context = info.context
    try:
        if check is not None:
            await check()
        recorded = await asyncio.to_thread(
            command, context.services.app, context.principal
        )
    except MentorlogError as error:
        return None, user_errors(error)
    if context.feed is not None:
        context.feed.poke()  # this process's subscribers hear of it at once
    context.refresh()
    if not await context.wait_for(recorded.position):
        timeout = context.services.settings.write_timeout
        message = (
            f"recorded, but the read models did not catch up within {timeout:g}s; "
            "read it again shortly"
        )
        return None, [UserError(field=None, message=message, code=PROJECTION_TIMEOUT)]
    return recorded, []


def decode_all(values: Sequence[str], type_name: str, field: str) -> list[str]:
    """Decode a list of global IDs of one type."""
    return [ids.decode(v, type_name, field) for v in values]


def optional_id(value: str | None, type_name: str, field: str) -> str | None:
    """Decode a global ID that may be left out."""
    return ids.decode(value, type_name, field) if value is not None else None


def creator(info: Info) -> Loaders:
    """Loaders that show the creator what they just created, wherever it is."""
    principal = info.context.principal
    return Loaders(info.context.db, ReadScope(principal.person_id, everything=True))


async def scoped(
    info: Info, cls: Any, mentorship_id: str | None, recorded: Recorded | None
) -> Any:
    """The object inside a mentorship a command recorded, as the read models show it."""
    if recorded is None or mentorship_id is None:
        return None
    row = await info.context.loaders.by_key(cls.__name__).load(
        (mentorship_id, recorded.id)
    )
    return cls.from_row(row) if row else None


def scoped_id(value: str, type_name: str, field: str) -> str | None:
    """The mentorship of a scoped ID, for the payload; None if malformed."""
    try:
        return ids.decode_scoped(value, type_name, field)[0]
    except NotFound:
        return None


def decoded(value: str, type_name: str = "Mentorship") -> str | None:
    """Decode for the payload; a bad ID yields None and the command reports it."""
    try:
        return ids.decode(value, type_name, "id")
    except NotFound:
        return None


async def related(
    info: Info, value: str, field: str, scope: ReadScope | None = None
) -> str:
    """A person the token may read (or within `scope`), or the NotFound of a stranger.

    A stranger and an unknown ID get the same NotFound: a refusal does not tell
    that the person exists.
    """
    person_id = ids.decode(value, "Person", field)
    context = info.context
    found = await queries.people_by_id(context.db, [person_id], scope or context.scope)
    if person_id not in found:
        raise NotFound(f"no person with ID {person_id}", field)
    return person_id


def arg(description: str) -> Any:
    """A described argument."""
    return strawberry.argument(description=description)


def arguments(input: Any, command: str, **converted: Any) -> dict[str, Any]:
    """The command's keyword arguments, taken from its input by name.

    The command's signature (core/commands) is the one definition: each of its
    keyword-only parameters the input holds is passed, enums as their values and
    date-times in ISO 8601; `converted` gives those the API turns into core values
    first (global IDs, nested inputs). The target IDs a command takes positionally
    are the caller's.
    """
    names = [
        name
        for name, parameter in COMMANDS[command].parameters.items()
        if parameter.kind is Parameter.KEYWORD_ONLY and name != "actor"
    ]
    found = {n: plain(getattr(input, n)) for n in names if hasattr(input, n)}
    return {**found, **converted}


def plain(value: Any) -> Any:
    """An input value as the core takes it: enums as values, date-times as text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
