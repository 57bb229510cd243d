"""Projection of feedback: the feedback table; as-of rows, metrics."""

from __future__ import annotations

from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import EventHandlers, Projection, handles, iso, oid
from mentorlog.projections.replayed import AsOf, Payload, Replayed


class Feedback(Projection):
    """Feedback from participants and other sources."""

    name = "feedback"
    tables = ("feedback",)
    interactions = {M.FeedbackGiven: "feedback"}
    ddl = (
        "CREATE TABLE IF NOT EXISTS feedback ("
        "mentorship_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "source TEXT NOT NULL, about_id TEXT, rating INTEGER, text TEXT NOT NULL, "
        "given_by TEXT NOT NULL, given_at TEXT NOT NULL, "
        "PRIMARY KEY (mentorship_id, id))",
        "CREATE INDEX IF NOT EXISTS feedback_seq ON feedback (mentorship_id, seq)",
    )

    @handles(M.FeedbackGiven)
    def given(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO feedback VALUES (?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.feedback_id,
                pos,
                e.source,
                e.about_id,
                e.rating,
                e.text,
                e.actor,
                iso(e.timestamp),
            ),
        )


class FeedbackAsOf(AsOf):
    """The feedback's rows as of a moment."""

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


class FeedbackMetrics(EventHandlers):
    """What rated feedback adds to its program's metrics (program_metrics.py)."""

    @handles(M.FeedbackGiven)
    def feedback_given(self, t: Any, e: Any, pos: int) -> None:
        if e.rating is not None:
            t.count(e, rated_feedback=1, feedback_rating_sum=e.rating)
