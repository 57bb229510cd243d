"""Feedback commands: from a participant, manager, peer, the program or self."""

from __future__ import annotations

from mentorlog.core.commands.base import Recorded, Service, command, new_id
from mentorlog.core.errors import (
    NotAParticipant,
)
from mentorlog.core.inputs import (
    FEEDBACK_SOURCES,
    check_choice,
    check_int,
    check_text,
)
from mentorlog.core.mentorship import Mentorship


class FeedbackCommands(Service):
    """Feedback commands: from a participant, manager, peer, the program or self."""

    @command
    def give_feedback(
        self,
        mentorship_id: str,
        *,
        actor: str,
        text: str,
        source: str = "participant",
        about_id: str | None = None,
        rating: int | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record feedback from a participant, manager, peer, the program or self."""
        problems = [
            *check_text("text", text, max_len=5000),
            *check_choice("source", source, FEEDBACK_SOURCES),
        ]
        if rating is not None:
            problems += check_int("rating", rating, 1, 5)
        self._raise_problems(problems)

        def change(m: Mentorship) -> str:
            if about_id is not None and m.side_of(about_id) is None:
                raise NotAParticipant("feedback is about a participant", "aboutId")
            feedback_id = new_id()
            m.give_feedback(
                actor=actor,
                feedback_id=feedback_id,
                source=source,
                about_id=about_id,
                rating=rating,
                text=text,
            )
            return feedback_id

        return self._on_mentorship(mentorship_id, change)
