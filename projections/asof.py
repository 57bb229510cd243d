"""Time travel: a mentorship's state at a moment, rebuilt by replaying its events.

`replay` folds a stream's history (core/history.py) into rows shaped exactly like
the read models' rows, so the API shows a past state with the same types as the
current one. It does not read the read models: it is a second, independent
derivation of the same state from the same events, which the API tests compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.projections.base import ERASED_CONTENT
from mentorlog.projections.readers import Item, Readers

Row = dict[str, Any]
Opener = Callable[[Any, Any], Any]  # (value, what to give if the key is gone)

STATUS_OF = {
    "Started": "active",
    "Paused": "paused",
    "Resumed": "active",
    "Completed": "completed",
    "Ended": "ended",
}
# The events that count as the participants interacting (as in the activity model).
KIND_OF = {
    "MeetingHeld": "meeting_held",
    "ReviewRecorded": "review",
    "GoalProgressRecorded": "goal_progress",
    "GoalAchieved": "goal_achieved",
    "FeedbackGiven": "feedback",
}


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


def replay(
    mentorship_id: str,
    entries: Sequence[HistoryEntry],
    as_of: datetime,
    open_sealed: Opener,
) -> Replayed | None:
    """Fold a mentorship's events into its state; None if it did not exist yet."""
    if not entries or entries[0].type != "Proposed":
        return None
    state: Replayed | None = None
    for entry in entries:
        if state is None:
            state = _proposed(mentorship_id, entry, as_of)
            continue
        apply = _APPLY.get(entry.type)
        if apply is not None:
            apply(
                state, entry, entry.payload, entry.occurred_at.isoformat(), open_sealed
            )
        kind = KIND_OF.get(entry.type)
        if kind is not None:
            at = entry.occurred_at.isoformat()
            state.activity.update(
                last_kind=kind,
                last_at=at,
                last_by=entry.actor,
                quiet_since=at,
                interactions=state.activity["interactions"] + 1,
                updated_at=at,
            )
    if state is not None:
        state.entries = list(entries)
    return state


def _proposed(mentorship_id: str, entry: HistoryEntry, as_of: datetime) -> Replayed:
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


Apply = Callable[[Replayed, HistoryEntry, dict[str, Any], str, Opener], None]


def _status(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
    status = STATUS_OF[e.type]
    s.mentorship.update(
        status=status,
        status_reason=p.get("reason") or p.get("note") or "",
        version=e.sequence,
        updated_at=at,
    )
    if e.type == "Started":
        s.mentorship["started_at"] = at
    if status in ("completed", "ended"):
        s.mentorship["closed_at"] = at
    s.activity.update(status=status, updated_at=at)
    if e.type in ("Started", "Resumed"):
        s.activity["quiet_since"] = at


def _agreement(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
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


def _signed(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
    agreement = s.mentorship["agreement"]
    agreement["signatures"] = [
        *agreement["signatures"],
        {"person_id": p["person_id"], "signed_at": at},
    ]
    s.mentorship.update(version=e.sequence, updated_at=at)


def _goal_set(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, open_sealed: Opener
) -> None:
    s.goals[p["goal_id"]] = {
        "mentorship_id": s.mentorship["id"],
        "id": p["goal_id"],
        "seq": e.sequence,
        "title": open_sealed(p["title"], ERASED_CONTENT),
        "framework": p["framework"],
        "fields": open_sealed(p["fields"], {}),
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


def _goal_revised(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, open_sealed: Opener
) -> None:
    s.goals[p["goal_id"]].update(
        title=open_sealed(p["title"], ERASED_CONTENT),
        fields=open_sealed(p["fields"], {}),
        updated_at=at,
    )


def _progress(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
    s.goals[p["goal_id"]].update(progress=p["progress"], updated_at=at)


def _achieved(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, open_sealed: Opener
) -> None:
    s.goals[p["goal_id"]].update(
        status="achieved",
        progress=100.0,
        status_note=open_sealed(p["note"], ERASED_CONTENT),
        updated_at=at,
    )


def _abandoned(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, open_sealed: Opener
) -> None:
    s.goals[p["goal_id"]].update(
        status="abandoned",
        status_note=open_sealed(p["reason"], ERASED_CONTENT),
        updated_at=at,
    )


def _goal_shared(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
    s.goals[p["goal_id"]].update(shared_with=list(p["shared_with"]), updated_at=at)


def _note_written(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, open_sealed: Opener
) -> None:
    s.notes[p["note_id"]] = {
        "mentorship_id": s.mentorship["id"],
        "id": p["note_id"],
        "seq": e.sequence,
        "author_id": p["author_id"],
        "meeting_id": p["meeting_id"],
        "text": open_sealed(p["text"], ERASED_CONTENT),
        "private": bool(p["private"]),
        "shared_with": [],
        "created_at": at,
        "updated_at": at,
    }


def _note_revised(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, open_sealed: Opener
) -> None:
    s.notes[p["note_id"]].update(
        text=open_sealed(p["text"], ERASED_CONTENT), updated_at=at
    )


def _note_shared(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
    s.notes[p["note_id"]].update(shared_with=list(p["shared_with"]), updated_at=at)


def _milestone(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
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


def _celebrated(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
    s.milestones[p["milestone_id"]].update(celebration=p["how"], celebrated_at=at)


def _scheduled(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
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


def _held(s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener) -> None:
    everyone = [x["person_id"] for x in s.participants]
    s.meetings[p["meeting_id"]].update(
        status="held",
        notes=p["notes"],
        duration_minutes=p["duration_minutes"],
        attended=[x for x in everyone if x not in p.get("absent", [])],
        updated_at=at,
    )


def _cancelled(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
    s.meetings[p["meeting_id"]].update(
        status="cancelled", reason=p["reason"], updated_at=at
    )


def _review(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
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


def _feedback(
    s: Replayed, e: HistoryEntry, p: dict[str, Any], at: str, _: Opener
) -> None:
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


_APPLY: dict[str, Apply] = {
    **dict.fromkeys(STATUS_OF, _status),
    "AgreementRecorded": _agreement,
    "AgreementSigned": _signed,
    "GoalSet": _goal_set,
    "GoalRevised": _goal_revised,
    "GoalProgressRecorded": _progress,
    "GoalAchieved": _achieved,
    "GoalAbandoned": _abandoned,
    "GoalSharingChanged": _goal_shared,
    "MilestoneReached": _milestone,
    "MilestoneCelebrated": _celebrated,
    "MeetingScheduled": _scheduled,
    "MeetingHeld": _held,
    "MeetingCancelled": _cancelled,
    "ReviewRecorded": _review,
    "FeedbackGiven": _feedback,
    "NoteWritten": _note_written,
    "NoteRevised": _note_revised,
    "NoteSharingChanged": _note_shared,
}
