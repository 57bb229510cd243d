"""Feedback on a mentorship: its event (a part of Mentorship)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from mentorlog.core.participation import Participation


class Feedback(Participation):
    """Feedback from a participant, manager, peer, the program or self."""

    class FeedbackGiven(Aggregate.Event):
        """Feedback was given."""

        # Maybe about one participant.
        field_descriptions = {
            "feedback_id": "The feedback's global ID.",
            "source": "Who gave it.",
            "about_id": "The global ID of the participant it is about, if any.",
            "rating": "A 1-5 rating, if given.",
            "text": "The feedback itself.",
        }

        actor: str
        feedback_id: str
        source: str
        about_id: str | None
        rating: int | None
        text: str

        def apply(self, aggregate: Any) -> None:
            """Add the feedback."""
            aggregate.feedback.append(
                {
                    "id": self.feedback_id,
                    "source": self.source,
                    "about_id": self.about_id,
                    "rating": self.rating,
                    "text": self.text,
                    "by": self.actor,
                }
            )

    def give_feedback(
        self,
        *,
        actor: str,
        feedback_id: str,
        source: str,
        about_id: str | None,
        rating: int | None,
        text: str,
    ) -> None:
        """Record feedback from a participant or another source."""
        self.trigger_event(
            self.FeedbackGiven,
            actor=actor,
            feedback_id=feedback_id,
            source=source,
            about_id=about_id,
            rating=rating,
            text=text,
        )
