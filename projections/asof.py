"""Time travel: a mentorship's state at a moment, as rows of the read models' tables.

`replay` folds a stream's history (core/history.py) into rows shaped exactly like
the read models' rows, so the API shows a past state with the same types as the
current one. It does not read the read models: it is a second, independent
derivation of the same state from the same events, which the API tests compare.
Each feature's handlers sit beside its projection; this module composes them and
keeps the activity row, as projections/activity.py keeps its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import event_classes
from mentorlog.projections.activity import KIND_OF
from mentorlog.projections.feedback import FeedbackAsOf
from mentorlog.projections.goals import GoalsAsOf
from mentorlog.projections.meetings import MeetingsAsOf
from mentorlog.projections.mentorships import BEGINS, STATUS_OF, MentorshipsAsOf
from mentorlog.projections.milestones import MilestonesAsOf
from mentorlog.projections.notes import NotesAsOf
from mentorlog.projections.replayed import Opener, Replayed
from mentorlog.projections.reviews import ReviewsAsOf

__all__ = ["Replayed", "replay"]

# A history entry names its event's class; a mentorship's are classes of Mentorship.
_MENTORSHIP_EVENTS = event_classes()


def event_class(entry: HistoryEntry) -> type | None:
    """The Mentorship event class a history entry records, or None."""
    return _MENTORSHIP_EVENTS.get(entry.type)


def replay(
    mentorship_id: str,
    entries: Sequence[HistoryEntry],
    as_of: datetime,
    open_sealed: Opener,
) -> Replayed | None:
    """Fold a mentorship's events into its state; None if it did not exist yet."""
    if not entries or event_class(entries[0]) not in BEGINS:
        return None
    state = Replayed(as_of=as_of, entries=[], mentorship={"id": mentorship_id})
    fold = MentorshipReplay(open_sealed)
    for entry in entries:
        fold.apply(state, entry)
    state.entries = list(entries)
    return state


class MentorshipReplay(
    MentorshipsAsOf,
    GoalsAsOf,
    MilestonesAsOf,
    MeetingsAsOf,
    NotesAsOf,
    ReviewsAsOf,
    FeedbackAsOf,
):
    """Folds a mentorship's history entries into rows, a handler per event class."""

    def apply(self, s: Replayed, e: HistoryEntry) -> None:
        """Apply one entry; keep the activity row's status and interactions."""
        cls = event_class(e)
        if cls is None:
            return
        at = e.occurred_at.isoformat()
        handler = self.handlers.get(cls)
        if handler is not None:
            handler(self, s, e, e.payload, at)
        status = STATUS_OF.get(cls)
        if cls in BEGINS:
            s.activity = {
                "mentorship_id": s.mentorship["id"],
                "seq": e.sequence,
                "program_id": s.mentorship["program_id"],
                "status": status,
                "last_kind": None,
                "last_at": None,
                "last_by": None,
                "quiet_since": at,
                "interactions": 0,
                "updated_at": at,
            }
        elif status is not None:
            s.activity.update(status=status, updated_at=at)
            if status == "active":  # started or resumed: quiet from now
                s.activity["quiet_since"] = at
        kind = KIND_OF.get(cls)
        if kind is not None:
            s.activity.update(
                last_kind=kind,
                last_at=at,
                last_by=e.actor,
                quiet_since=at,
                interactions=s.activity["interactions"] + 1,
                updated_at=at,
            )
