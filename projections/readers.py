"""Who reads each private goal's and note's content: its owner, and whom they chose."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from mentorlog.core.access import Principal
from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import event_classes
from mentorlog.core.policy import may_read_private
from mentorlog.core.sharing import PrivateItem

# What each Mentorship event says of a goal or note that may be private, by name
# (declared on its class: core/goals.py, core/notes.py).
PRIVATE_ITEMS: dict[str, PrivateItem] = {
    name: cls.private_item  # type: ignore[attr-defined]
    for name, cls in event_classes().items()
    if hasattr(cls, "private_item")
}


def content_fields(cls: type) -> frozenset[str]:
    """The fields of an event class that are a private item's content."""
    item: PrivateItem | None = getattr(cls, "private_item", None)
    return frozenset(item.content) if item is not None else frozenset()


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
    found = PRIVATE_ITEMS.get(event_name)
    if found is None:
        return None
    return (found.kind, str(payload.get(f"{found.kind}_id")))


# Folded from a mentorship's events (those making a private item, with its owner,
# and the sharing changes), so the history, the time-travel views and the
# subscriptions decide alike.
def track(
    readers: dict[Item, Readers], event_name: str, payload: Mapping[str, Any]
) -> bool:
    """Fold one event into the private items' readers; True if it changed them."""
    found = PRIVATE_ITEMS.get(event_name)
    if found is None:
        return False
    item = (found.kind, str(payload.get(f"{found.kind}_id")))
    if found.owner is not None and payload.get("private"):
        readers[item] = Readers(payload.get(found.owner))
        return True
    if "shared_with" in payload and item in readers:
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
