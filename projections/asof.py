"""Time travel: a mentorship's state at a moment, as rows of the read models' tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.activity import KIND_OF
from mentorlog.projections.base import ERASED_CONTENT, EventHandlers, Row, handles
from mentorlog.projections.mentorships import STATUS_OF
from mentorlog.projections.readers import Item, Readers

Opener = Callable[[Any, Any], Any]  # (value, what to give if the key is gone)
Payload = dict[str, Any]

# A history entry names its event's class; a mentorship's are classes of Mentorship.
_MENTORSHIP_EVENTS: dict[str, type] = {
    value.__name__: value
    for value in vars(M).values()
    if isinstance(value, type) and issubclass(value, M.Event)
}


def event_class(entry: HistoryEntry) -> type | None:
    """The Mentorship event class a history entry records, or None."""
    return _MENTORSHIP_EVENTS.get(entry.type)


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


# `replay` folds a stream's history (core/history.py) into rows shaped exactly like
# the read models' rows, so the API shows a past state with the same types as the
# current one. It does not read the read models: it is a second, independent
# derivation of the same state from the same events, which the API tests compare.
def replay(
    mentorship_id: str,
    entries: Sequence[HistoryEntry],
    as_of: datetime,
    open_sealed: Opener,
) -> Replayed | None:
    """Fold a mentorship's events into its state; None if it did not exist yet."""
    if not entries or event_class(entries[0]) is not M.Proposed:
        return None
    fold = MentorshipReplay(open_sealed)
    state = fold.start(mentorship_id, entries[0], as_of)
    for entry in entries[1:]:
        fold.apply(state, entry)
    state.entries = list(entries)
    return state


# Each handler changes the rows as the projections' handlers of its event classes
# change their tables (an event a newcomer adds needs a handler in both places).
class MentorshipReplay(EventHandlers):
    """Folds a mentorship's history entries into rows, a handler per event class."""

    def __init__(self, open_sealed: Opener) -> None:
        self.open_sealed = open_sealed

    def apply(self, s: Replayed, e: HistoryEntry) -> None:
        """Apply one entry, and count it if the participants interacted."""
        cls = event_class(e)
        if cls is None:
            return
        at = e.occurred_at.isoformat()
        handler = self.handlers.get(cls)
        if handler is not None:
            handler(self, s, e, e.payload, at)
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

    def start(
        self, mentorship_id: str, entry: HistoryEntry, as_of: datetime
    ) -> Replayed:
        """The state a proposal starts: its mentorship, participants and activity."""
        p = entry.payload
        at = entry.occurred_at.isoformat()
        return Replayed(
            as_of=as_of,
            entries=[],
            mentorship={
                "id": mentorship_id,
                "seq": entry.sequence,
                "program_id": p["program_id"],
                "format": p["format"],
                "purpose": p["purpose"],
                "status": "proposed",
                "status_reason": "",
                "agreement": None,
                "version": entry.sequence,
                "created_at": at,
                "started_at": None,
                "closed_at": None,
                "updated_at": at,
            },
            participants=[
                {
                    "mentorship_id": mentorship_id,
                    "person_id": x["person_id"],
                    "role": x["role"],
                    "side": x["side"],
                    "position": i,
                }
                for i, x in enumerate(p["participants"])
            ],
            activity={
                "mentorship_id": mentorship_id,
                "seq": entry.sequence,
                "program_id": p["program_id"],
                "status": "proposed",
                "last_kind": None,
                "last_at": None,
                "last_by": None,
                "quiet_since": at,
                "interactions": 0,
                "updated_at": at,
            },
        )

    @handles(*STATUS_OF)
    def status_changed(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        cls = event_class(e)
        status = STATUS_OF[cls]
        s.mentorship.update(
            status=status,
            status_reason=p.get("reason") or p.get("note") or "",
            version=e.sequence,
            updated_at=at,
        )
        if cls is M.Started:
            s.mentorship["started_at"] = at
        if status in ("completed", "ended"):
            s.mentorship["closed_at"] = at
        s.activity.update(status=status, updated_at=at)
        if cls in (M.Started, M.Resumed):
            s.activity["quiet_since"] = at

    @handles(M.AgreementRecorded)
    def agreement_recorded(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.mentorship.update(
            agreement={
                "communication": p["communication"],
                "confidentiality": p["confidentiality"],
                "schedule": p["schedule"],
                "outcomes": list(p["outcomes"]),
                "recorded_by": e.actor,
                "recorded_at": at,
                "signatures": [],
            },
            version=e.sequence,
            updated_at=at,
        )

    @handles(M.AgreementSigned)
    def agreement_signed(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        agreement = s.mentorship["agreement"]
        agreement["signatures"] = [
            *agreement["signatures"],
            {"person_id": p["person_id"], "signed_at": at},
        ]
        s.mentorship.update(version=e.sequence, updated_at=at)

    @handles(M.GoalSet)
    def goal_set(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["goal_id"],
            "seq": e.sequence,
            "title": self.open_sealed(p["title"], ERASED_CONTENT),
            "framework": p["framework"],
            "fields": self.open_sealed(p["fields"], {}),
            "term": p["term"],
            "private": bool(p["private"]),
            "owner_id": p["owner_id"],
            "starter_goal_id": p["starter_goal_id"],
            "locked": bool(p["locked"]),
            "status": "open",
            "progress": 0.0,
            "set_by": e.actor,
            "status_note": "",
            "created_at": at,
            "updated_at": at,
            "shared_with": [],
        }

    @handles(M.GoalRevised)
    def goal_revised(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]].update(
            title=self.open_sealed(p["title"], ERASED_CONTENT),
            fields=self.open_sealed(p["fields"], {}),
            updated_at=at,
        )

    @handles(M.GoalProgressRecorded)
    def goal_progress_recorded(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.goals[p["goal_id"]].update(progress=p["progress"], updated_at=at)

    @handles(M.GoalAchieved)
    def goal_achieved(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]].update(
            status="achieved",
            progress=100.0,
            status_note=self.open_sealed(p["note"], ERASED_CONTENT),
            updated_at=at,
        )

    @handles(M.GoalAbandoned)
    def goal_abandoned(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]].update(
            status="abandoned",
            status_note=self.open_sealed(p["reason"], ERASED_CONTENT),
            updated_at=at,
        )

    @handles(M.GoalSharingChanged)
    def goal_sharing_changed(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.goals[p["goal_id"]].update(shared_with=list(p["shared_with"]), updated_at=at)

    @handles(M.NoteWritten)
    def note_written(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.notes[p["note_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["note_id"],
            "seq": e.sequence,
            "author_id": p["author_id"],
            "meeting_id": p["meeting_id"],
            "text": self.open_sealed(p["text"], ERASED_CONTENT),
            "private": bool(p["private"]),
            "shared_with": [],
            "created_at": at,
            "updated_at": at,
        }

    @handles(M.NoteRevised)
    def note_revised(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.notes[p["note_id"]].update(
            text=self.open_sealed(p["text"], ERASED_CONTENT), updated_at=at
        )

    @handles(M.NoteSharingChanged)
    def note_sharing_changed(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.notes[p["note_id"]].update(shared_with=list(p["shared_with"]), updated_at=at)

    @handles(M.MilestoneReached)
    def milestone_reached(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.milestones[p["milestone_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["milestone_id"],
            "seq": e.sequence,
            "title": p["title"],
            "goal_id": p["goal_id"],
            "note": p["note"],
            "reached_by": e.actor,
            "reached_at": at,
            "celebration": None,
            "celebrated_at": None,
        }

    @handles(M.MilestoneCelebrated)
    def milestone_celebrated(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.milestones[p["milestone_id"]].update(celebration=p["how"], celebrated_at=at)

    @handles(M.MeetingScheduled)
    def meeting_scheduled(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.meetings[p["meeting_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["meeting_id"],
            "seq": e.sequence,
            "scheduled_for": p["scheduled_for"],
            "duration_minutes": p["duration_minutes"],
            "agenda": list(p["agenda"]),
            "plan_number": p["plan_number"],
            "status": "scheduled",
            "notes": "",
            "reason": "",
            "scheduled_by": e.actor,
            "created_at": at,
            "updated_at": at,
            "attended": [],
        }

    @handles(M.MeetingHeld)
    def meeting_held(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        everyone = [x["person_id"] for x in s.participants]
        s.meetings[p["meeting_id"]].update(
            status="held",
            notes=p["notes"],
            duration_minutes=p["duration_minutes"],
            attended=[x for x in everyone if x not in p.get("absent", [])],
            updated_at=at,
        )

    @handles(M.MeetingCancelled)
    def meeting_cancelled(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.meetings[p["meeting_id"]].update(
            status="cancelled", reason=p["reason"], updated_at=at
        )

    @handles(M.ReviewRecorded)
    def review_recorded(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.reviews.append(
            {
                "mentorship_id": s.mentorship["id"],
                "id": p["review_id"],
                "seq": e.sequence,
                "progress_rating": p["progress_rating"],
                "went_well": p["went_well"],
                "challenges": p["challenges"],
                "support": list(p["support"]),
                "next_steps": p["next_steps"],
                "recorded_by": e.actor,
                "recorded_at": at,
            }
        )

    @handles(M.FeedbackGiven)
    def feedback_given(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.feedback.append(
            {
                "mentorship_id": s.mentorship["id"],
                "id": p["feedback_id"],
                "seq": e.sequence,
                "source": p["source"],
                "about_id": p["about_id"],
                "rating": p["rating"],
                "text": p["text"],
                "given_by": e.actor,
                "given_at": at,
            }
        )
