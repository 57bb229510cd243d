"""A mentorship's milestones: their events and rules (a part of Mentorship)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from mentorlog.core.errors import InvalidTransition, NotFound
from mentorlog.core.participation import Participation


class Milestones(Participation):
    """Milestones reached, optionally towards a goal, and how they were celebrated."""

    class MilestoneReached(Aggregate.Event):
        """A milestone was reached."""

        field_descriptions = {
            "milestone_id": "The milestone's global ID.",
            "title": "What was reached.",
            "goal_id": "The global ID of the goal it marks, if any.",
            "note": "A note about it.",
        }

        actor: str
        milestone_id: str
        title: str
        goal_id: str | None
        note: str

        def apply(self, aggregate: Any) -> None:
            """Add the milestone, not yet celebrated."""
            aggregate.milestones[self.milestone_id] = {
                "id": self.milestone_id,
                "title": self.title,
                "goal_id": self.goal_id,
                "note": self.note,
                "reached_by": self.actor,
                "celebrated": False,
                "celebration": "",
            }

    class MilestoneCelebrated(Aggregate.Event):
        """A milestone's celebration was recorded."""

        field_descriptions = {
            "milestone_id": "The milestone's global ID.",
            "how": "How it was celebrated.",
        }

        actor: str
        milestone_id: str
        how: str

        def apply(self, aggregate: Any) -> None:
            """Keep how the milestone was celebrated."""
            aggregate.milestones[self.milestone_id]["celebrated"] = True
            aggregate.milestones[self.milestone_id]["celebration"] = self.how

    def reach_milestone(
        self,
        *,
        actor: str,
        milestone_id: str,
        title: str,
        goal_id: str | None,
        note: str,
    ) -> None:
        """Record a milestone reached, optionally towards a goal."""
        self._require_open("milestone")
        if goal_id is not None:
            self.goal(goal_id)
        self.trigger_event(
            self.MilestoneReached,
            actor=actor,
            milestone_id=milestone_id,
            title=title,
            goal_id=goal_id,
            note=note,
        )

    def celebrate_milestone(self, *, actor: str, milestone_id: str, how: str) -> None:
        """Record how a reached milestone was celebrated."""
        milestone = self.milestones.get(milestone_id)
        if milestone is None:
            raise NotFound(f"no milestone {milestone_id}", "milestoneId")
        if milestone["celebrated"]:
            raise InvalidTransition("this milestone was already celebrated")
        self.trigger_event(
            self.MilestoneCelebrated, actor=actor, milestone_id=milestone_id, how=how
        )
