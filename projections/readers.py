"""Who reads each private goal's and note's content: its owner, and whom they chose."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from mentorlog.core.access import Principal
from mentorlog.core.history import HistoryEntry
from mentorlog.core.policy import may_read_private

GOAL_EVENT = re.compile(r"Goal[A-Z]")
NOTE_EVENT = re.compile(r"Note[A-Z]")


@dataclass(frozen=True)
class Readers:
    """Who reads a private goal's or note's content: its owner, and whom they chose."""

    owner_id: str | None
    shared_with: frozenset[str] = frozenset()
    # The owner was erased: their key is gone, and with it the content.
    erased: bool = False

    def allow(self, principal: Principal) -> bool:
        """True when the principal may read the content."""
        return may_read_private(principal, self.owner_id, self.shared_with)


Item = tuple[str, str]  # ("goal" or "note", its ID in the mentorship)


def item_of(event_name: str, payload: Mapping[str, Any]) -> Item | None:
    """The goal or note an event is about, if any."""
    if GOAL_EVENT.match(event_name):
        return ("goal", str(payload.get("goal_id")))
    if NOTE_EVENT.match(event_name):
        return ("note", str(payload.get("note_id")))
    return None


# Folded from a mentorship's events (GoalSet, NoteWritten and the sharing changes),
# so the history, the time-travel views and the subscriptions decide alike.
def track(
    readers: dict[Item, Readers], event_name: str, payload: Mapping[str, Any]
) -> bool:
    """Fold one event into the private items' readers; True if it changed them."""
    if event_name == "GoalSet" and payload.get("private"):
        readers[("goal", str(payload["goal_id"]))] = Readers(payload.get("owner_id"))
        return True
    if event_name == "NoteWritten" and payload.get("private"):
        readers[("note", str(payload["note_id"]))] = Readers(payload["author_id"])
        return True
    if event_name in ("GoalSharingChanged", "NoteSharingChanged"):
        item = item_of(event_name, payload)
        if item in readers:
            assert item is not None
            shared = frozenset(payload["shared_with"])
            readers[item] = replace(readers[item], shared_with=shared)
            return True
    return False


def private_readers(entries: Iterable[HistoryEntry]) -> dict[Item, Readers]:
    """The private goals and notes of a stream and their readers, after its events."""
    readers: dict[Item, Readers] = {}
    for entry in entries:
        track(readers, entry.type, entry.payload)
    return readers


def mark_erased(
    readers: Mapping[Item, Readers], key_of: Callable[[str], bytes | None]
) -> dict[Item, Readers]:
    """The readers, each marked erased when its owner's key is gone (blocking I/O)."""
    owners = {r.owner_id for r in readers.values() if r.owner_id is not None}
    gone = {owner for owner in owners if key_of(owner) is None}
    return {item: replace(r, erased=r.owner_id in gone) for item, r in readers.items()}
