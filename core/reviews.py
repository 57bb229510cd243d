"""A mentorship's periodic reviews: their event and rule (a part of Mentorship)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from mentorlog.core.participation import Participation


class Reviews(Participation):
    """Periodic reviews (check-ins): a rating, what went well, challenges, support."""

    class ReviewRecorded(Aggregate.Event):
        """A periodic review (check-in) was recorded."""

        field_descriptions = {
            "review_id": "The review's global ID.",
            "progress_rating": "Progress so far, 1 to 5.",
            "went_well": "What went well.",
            "challenges": "What was hard.",
            "support": "The kinds of support given.",
            "next_steps": "What comes next.",
        }

        actor: str
        review_id: str
        progress_rating: int
        went_well: str
        challenges: str
        support: list[str]
        next_steps: str

        def apply(self, aggregate: Any) -> None:
            """Add the review."""
            aggregate.reviews.append(
                {
                    "id": self.review_id,
                    "progress_rating": self.progress_rating,
                    "went_well": self.went_well,
                    "challenges": self.challenges,
                    "support": list(self.support),
                    "next_steps": self.next_steps,
                    "by": self.actor,
                }
            )

    def record_review(
        self,
        *,
        actor: str,
        review_id: str,
        progress_rating: int,
        went_well: str,
        challenges: str,
        support: list[str],
        next_steps: str,
    ) -> None:
        """Record a periodic review (check-in) of the mentorship."""
        self._require_open("review")
        self.trigger_event(
            self.ReviewRecorded,
            actor=actor,
            review_id=review_id,
            progress_rating=progress_rating,
            went_well=went_well,
            challenges=challenges,
            support=support,
            next_steps=next_steps,
        )
