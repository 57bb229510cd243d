"""A mentorship's goals: their events and rules (a part of Mentorship)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from mentorlog.core.errors import GoalLocked, InvalidTransition
from mentorlog.core.participation import Participation
from mentorlog.core.sharing import SHARED_WITH, PrivateItem, check_sharing

GOAL_ID = {"goal_id": "The goal's global ID."}


class Goals(Participation):
    """Goals set in a framework, revised, measured, achieved, abandoned, shared."""

    class GoalSet(Aggregate.Event):
        """A goal was set."""

        # Its fields were checked by its framework; title and fields sealed if private.
        private_item = PrivateItem("goal", ("title", "fields"), owner="owner_id")
        field_descriptions = GOAL_ID | {
            "title": "The goal's title.",
            "framework": "The goal framework's name.",
            "fields": "The framework's field values.",
            "term": "Short or long term.",
            "private": "Whether only the goal's owner may see its content.",
            "owner_id": "The global ID of the participant who owns the goal, if any.",
            "starter_goal_id": "The program starter goal it came from, if any.",
            "locked": "A locked starter goal: only a program admin may change it.",
        }

        actor: str
        goal_id: str
        title: Any
        framework: str
        fields: Any
        term: str
        private: bool
        owner_id: str | None
        starter_goal_id: str | None
        locked: bool

        def apply(self, aggregate: Any) -> None:
            """Add the goal, open and at no progress."""
            aggregate.goals[self.goal_id] = {
                "id": self.goal_id,
                "title": self.title,
                "framework": self.framework,
                "fields": dict(self.fields),
                "term": self.term,
                "private": self.private,
                "owner_id": self.owner_id,
                "starter_goal_id": self.starter_goal_id,
                "locked": self.locked,
                "status": "open",
                "progress": 0.0,
                "set_by": self.actor,
                "shared_with": [],
            }

    class GoalRevised(Aggregate.Event):
        """A goal's title or fields were revised."""

        private_item = PrivateItem("goal", ("title", "fields", "reason"))
        field_descriptions = GOAL_ID | {
            "title": "The goal's new title.",
            "fields": "The goal's new field values.",
            "reason": "Why it was revised.",
        }

        actor: str
        goal_id: str
        title: Any
        fields: Any
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Replace the goal's title and fields."""
            aggregate.goals[self.goal_id]["title"] = self.title
            aggregate.goals[self.goal_id]["fields"] = dict(self.fields)

    class GoalProgressRecorded(Aggregate.Event):
        """Progress towards a goal was recorded."""

        private_item = PrivateItem("goal", ("measurement", "note"))
        field_descriptions = GOAL_ID | {
            "progress": "Percent complete after this event, 0-100.",
            "measurement": "What was measured: a percent, or each key result's value.",
            "note": "A note on the progress.",
        }

        actor: str
        goal_id: str
        progress: float
        measurement: dict[str, Any]
        note: str

        def apply(self, aggregate: Any) -> None:
            """Keep the goal's progress."""
            aggregate.goals[self.goal_id]["progress"] = self.progress

    class GoalAchieved(Aggregate.Event):
        """A goal was achieved."""

        private_item = PrivateItem("goal", ("note",))
        field_descriptions = GOAL_ID | {"note": "The note it was achieved with."}

        actor: str
        goal_id: str
        note: str

        def apply(self, aggregate: Any) -> None:
            """Close the goal as achieved, at full progress."""
            aggregate.goals[self.goal_id]["status"] = "achieved"
            aggregate.goals[self.goal_id]["progress"] = 100.0

    class GoalAbandoned(Aggregate.Event):
        """A goal was abandoned."""

        private_item = PrivateItem("goal", ("reason",))
        field_descriptions = GOAL_ID | {"reason": "Why it was abandoned."}

        actor: str
        goal_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Close the goal as abandoned."""
            aggregate.goals[self.goal_id]["status"] = "abandoned"

    class GoalSharingChanged(Aggregate.Event):
        """The owner of a private goal changed whom it is shared with."""

        private_item = PrivateItem("goal")
        field_descriptions = GOAL_ID | {"shared_with": SHARED_WITH}

        actor: str
        goal_id: str
        shared_with: list[str]

        def apply(self, aggregate: Any) -> None:
            """Keep whom the goal is shared with."""
            aggregate.goals[self.goal_id]["shared_with"] = list(self.shared_with)

    def set_goal(
        self,
        *,
        actor: str,
        goal_id: str,
        title: Any,
        framework: str,
        fields: Any,
        term: str,
        private: bool,
        owner_id: str | None,
        starter_goal_id: str | None = None,
        locked: bool = False,
    ) -> None:
        """Set a new goal (fields already checked by its framework)."""
        self._require_open("goal")
        self.trigger_event(
            self.GoalSet,
            actor=actor,
            goal_id=goal_id,
            title=title,
            framework=framework,
            fields=fields,
            term=term,
            private=private,
            owner_id=owner_id,
            starter_goal_id=starter_goal_id,
            locked=locked,
        )

    def _require_changeable(self, goal_id: str, actor_is_admin: bool) -> dict[str, Any]:
        goal = self._require_open_goal(goal_id)
        if goal["locked"] and not actor_is_admin:
            raise GoalLocked(
                "this starter goal is locked by the program: only a program admin "
                "can change it",
                "goalId",
            )
        return goal

    def _require_open_goal(self, goal_id: str) -> dict[str, Any]:
        goal = self.goal(goal_id)
        if goal["status"] != "open":
            raise InvalidTransition(f"the goal is {goal['status']}", "goalId")
        return goal

    def revise_goal(
        self,
        *,
        actor: str,
        actor_is_admin: bool,
        goal_id: str,
        title: Any,
        fields: Any,
        reason: str,
    ) -> None:
        """Revise a goal's title and fields, with a reason."""
        self._require_open("goal revision")
        self._require_changeable(goal_id, actor_is_admin)
        self.trigger_event(
            self.GoalRevised,
            actor=actor,
            goal_id=goal_id,
            title=title,
            fields=fields,
            reason=reason,
        )

    def record_goal_progress(
        self,
        *,
        actor: str,
        goal_id: str,
        progress: float,
        measurement: dict[str, Any],
        note: str,
    ) -> None:
        """Record progress towards an open goal."""
        self._require_open("progress")
        self._require_open_goal(goal_id)
        self.trigger_event(
            self.GoalProgressRecorded,
            actor=actor,
            goal_id=goal_id,
            progress=progress,
            measurement=measurement,
            note=note,
        )

    def achieve_goal(self, *, actor: str, goal_id: str, note: str) -> None:
        """Mark an open goal achieved."""
        self._require_open("achievement")
        self._require_open_goal(goal_id)
        self.trigger_event(self.GoalAchieved, actor=actor, goal_id=goal_id, note=note)

    def abandon_goal(
        self, *, actor: str, actor_is_admin: bool, goal_id: str, reason: str
    ) -> None:
        """Abandon an open goal, with a reason."""
        self._require_open("goal change")
        self._require_changeable(goal_id, actor_is_admin)
        self.trigger_event(
            self.GoalAbandoned, actor=actor, goal_id=goal_id, reason=reason
        )

    def share_goal(
        self, *, actor: str, by: str, goal_id: str, shared_with: list[str]
    ) -> None:
        """Set whom a private goal's owner shares it with (none: nobody)."""
        goal = self.goal(goal_id)
        check_sharing(self.side_of, goal, goal["owner_id"], by, shared_with, "goal")
        self.trigger_event(
            self.GoalSharingChanged,
            actor=actor,
            goal_id=goal_id,
            shared_with=shared_with,
        )
