"""Review commands: record a periodic review (check-in)."""

from __future__ import annotations

from collections.abc import Sequence

from mentorlog.core.commands.base import Recorded, Service, command, new_id
from mentorlog.core.inputs import (
    SUPPORT_KINDS,
    check_choice,
    check_int,
    check_text,
)
from mentorlog.core.mentorship import Mentorship


class ReviewCommands(Service):
    """Review commands: record a periodic review (check-in)."""

    @command
    def record_review(
        self,
        mentorship_id: str,
        *,
        actor: str,
        progress_rating: int,
        went_well: str = "",
        challenges: str = "",
        support: Sequence[str] = (),
        next_steps: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record a periodic review: rating 1-5, what went well, challenges, support."""
        problems = [
            *check_int("progressRating", progress_rating, 1, 5),
            *check_text("wentWell", went_well, required=False, max_len=5000),
            *check_text("challenges", challenges, required=False, max_len=5000),
            *check_text("nextSteps", next_steps, required=False, max_len=5000),
        ]
        for kind in support:
            problems += check_choice("support", kind, SUPPORT_KINDS)
        self._raise_problems(problems)

        def change(m: Mentorship) -> str:
            review_id = new_id()
            m.record_review(
                actor=actor,
                review_id=review_id,
                progress_rating=progress_rating,
                went_well=went_well,
                challenges=challenges,
                support=list(dict.fromkeys(support)),
                next_steps=next_steps,
            )
            return review_id

        return self._on_mentorship(mentorship_id, change)
