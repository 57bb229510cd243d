"""Projection of feedback: the feedback table."""

from __future__ import annotations

from typing import Any

from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import Projection, handles, iso, oid


class Feedback(Projection):
    """Feedback from participants and other sources."""

    name = "feedback"
    tables = ("feedback",)
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
