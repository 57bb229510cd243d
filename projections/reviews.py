"""Projection of periodic reviews: the reviews table."""

from __future__ import annotations

from typing import Any

from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import Projection, dumps, handles, iso, oid


class Reviews(Projection):
    """Periodic reviews (check-ins)."""

    name = "reviews"
    tables = ("reviews",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS reviews ("
        "mentorship_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "progress_rating INTEGER NOT NULL, went_well TEXT NOT NULL, "
        "challenges TEXT NOT NULL, support TEXT NOT NULL, next_steps TEXT NOT NULL, "
        "recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "PRIMARY KEY (mentorship_id, id))",
        "CREATE INDEX IF NOT EXISTS reviews_seq ON reviews (mentorship_id, seq)",
    )

    @handles(M.ReviewRecorded)
    def recorded(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO reviews VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.review_id,
                pos,
                e.progress_rating,
                e.went_well,
                e.challenges,
                dumps(e.support),
                e.next_steps,
                e.actor,
                iso(e.timestamp),
            ),
        )
