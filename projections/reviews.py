"""Projection of periodic reviews: the reviews table; as-of rows, metrics."""

from __future__ import annotations

from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import (
    EventHandlers,
    Projection,
    dumps,
    handles,
    iso,
    oid,
)
from mentorlog.projections.replayed import AsOf, Payload, Replayed


class Reviews(Projection):
    """Periodic reviews (check-ins)."""

    name = "reviews"
    tables = ("reviews",)
    interactions = {M.ReviewRecorded: "review"}
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


class ReviewsAsOf(AsOf):
    """The reviews' rows as of a moment."""

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


class ReviewsMetrics(EventHandlers):
    """What a review adds to its program's metrics (projections/program_metrics.py)."""

    @handles(M.ReviewRecorded)
    def review_recorded(self, t: Any, e: Any, pos: int) -> None:
        t.count(e, reviews=1, review_rating_sum=e.progress_rating)
