"""Milestone commands: reach one, celebrate it."""

from __future__ import annotations

from mentorlog.core.commands.base import Recorded, Service, command, new_id
from mentorlog.core.inputs import (
    check_text,
)
from mentorlog.core.mentorship import Mentorship


class MilestoneCommands(Service):
    """Milestone commands: reach one, celebrate it."""

    @command
    def reach_milestone(
        self,
        mentorship_id: str,
        *,
        actor: str,
        title: str,
        goal_id: str | None = None,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record a milestone reached."""
        self._raise_problems(
            [
                *check_text("title", title, max_len=200),
                *check_text("note", note, required=False, max_len=5000),
            ]
        )

        def change(m: Mentorship) -> str:
            milestone_id = new_id()
            m.reach_milestone(
                actor=actor,
                milestone_id=milestone_id,
                title=title.strip(),
                goal_id=goal_id,
                note=note,
            )
            return milestone_id

        return self._on_mentorship(mentorship_id, change)

    @command
    def celebrate_milestone(
        self,
        mentorship_id: str,
        milestone_id: str,
        *,
        actor: str,
        how: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record how a milestone was celebrated."""
        self._raise_problems(check_text("how", how, max_len=2000))

        def change(m: Mentorship) -> str:
            m.celebrate_milestone(actor=actor, milestone_id=milestone_id, how=how)
            return milestone_id

        return self._on_mentorship(mentorship_id, change)
