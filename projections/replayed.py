"""A mentorship's state at a moment, as read-model rows, and what each feature's
as-of handlers share (projections/asof.py composes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.projections.base import ERASED_CONTENT, EventHandlers, Row
from mentorlog.projections.readers import Item, Readers

Opener = Callable[[Any, Any], Any]  # (value, what to give if the key is gone)
Payload = dict[str, Any]


@dataclass
class Replayed:
    """A mentorship's state after its events up to `as_of`, as read-model rows."""

    as_of: datetime
    entries: list[HistoryEntry]
    mentorship: Row
    participants: list[Row] = field(default_factory=list)
    goals: dict[str, Row] = field(default_factory=dict)
    milestones: dict[str, Row] = field(default_factory=dict)
    meetings: dict[str, Row] = field(default_factory=dict)
    reviews: list[Row] = field(default_factory=list)
    feedback: list[Row] = field(default_factory=list)
    notes: dict[str, Row] = field(default_factory=dict)
    activity: Row = field(default_factory=dict)
    # Who reads each private goal and note now (not as of then), if known.
    readers: dict[Item, Readers] | None = None

    def forget_erased(self) -> None:
        """Blank what erased owners wrote in plain text before it was sealed."""
        for (kind, item_id), readers in (self.readers or {}).items():
            if readers.erased and kind == "goal" and item_id in self.goals:
                goal = self.goals[item_id]
                if goal["status_note"]:
                    goal["status_note"] = ERASED_CONTENT

    def readers_of(self, item: Item, row: Row, owner: str) -> Readers:
        """Who reads a private item's content: as shared now, else as of then."""
        if self.readers is not None and item in self.readers:
            return self.readers[item]
        return Readers(row[owner], frozenset(row["shared_with"]))

    def rows(self, table: str) -> list[Row]:
        """The rows of one read-model table, in the order they were recorded."""
        found: dict[str, Any] = {
            "participants": self.participants,
            "goals": list(self.goals.values()),
            "milestones": list(self.milestones.values()),
            "meetings": list(self.meetings.values()),
            "reviews": self.reviews,
            "feedback": self.feedback,
            "notes": list(self.notes.values()),
        }
        return list(found[table])

    def row(self, table: str, entity_id: str) -> Row | None:
        """One row of a per-mentorship table by its own ID, or None."""
        return next((r for r in self.rows(table) if r["id"] == entity_id), None)


# A feature's as-of handlers sit beside its projection (projections/goals.py, ...):
# each changes the Replayed rows as the projection's handler of the same event
# class changes its table. They take (self, state, entry, payload, at).
class AsOf(EventHandlers):
    """The as-of handlers of one feature's events; sealed values opened by opener."""

    def __init__(self, open_sealed: Opener) -> None:
        self.open_sealed = open_sealed
