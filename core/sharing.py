"""Sharing a private goal or note: only its owner shares it, with partners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mentorlog.core.errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotAParticipant,
)
from mentorlog.plugins.interfaces import Problem

SHARED_WITH = (
    "Global IDs of the participants it is shared with, besides its owner "
    "(empty: nobody)."
)


@dataclass(frozen=True)
class PrivateItem:
    """What an event says of a goal or note that may be private.

    Declared on the event class as `private_item`: the item's kind ("goal" or
    "note", its ID in the `<kind>_id` field); `content`, the fields that are its
    content, withheld from who may not read it when private (metadata is not);
    `owner`, on the event that makes the item, the field naming its owner. An event
    with a `shared_with` field changes whom it is shared with.
    """

    kind: str
    content: tuple[str, ...] = ()
    owner: str | None = None


def check_sharing(
    side_of: Callable[[str], str | None],
    item: dict[str, Any],
    owner_id: str | None,
    by: str,
    shared_with: list[str],
    what: str,
) -> None:
    """Only the owner shares a private item, with other participants."""
    field = f"{what}Id"
    if not item["private"]:
        raise InvalidInput(
            [Problem(field, f"the {what} is not private: every reader sees it")]
        )
    if by != owner_id:
        raise Forbidden(f"only its owner shares a private {what}", field)
    strangers = [p for p in shared_with if side_of(p) is None]
    if strangers:
        raise NotAParticipant(
            f"not a participant: {', '.join(strangers)}", "sharedWith"
        )
    if owner_id in shared_with:
        raise InvalidInput(
            [Problem("sharedWith", f"the owner reads their own {what} already")]
        )
    if sorted(shared_with) == sorted(item["shared_with"]):
        raise InvalidTransition(
            f"the {what} is shared with exactly these people already", field
        )
