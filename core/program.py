"""The Program aggregate: criteria, formats, starter goals and a connection plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import event
from eventsourcing.utils import get_topic
from mentorlog.core.clock import ClockedAggregate
from mentorlog.core.errors import InvalidInput, NotEligible
from mentorlog.core.nudges import NudgeRules
from mentorlog.plugins.interfaces import Problem


class Program(NudgeRules, ClockedAggregate):
    """A mentoring program, as its admins define it (its nudge rules: a part)."""

    if TYPE_CHECKING:  # the event classes the @event decorators below make
        StarterGoalAdded: ClassVar[type[ClockedAggregate.Event]]
        ConnectionPlanSet: ClassVar[type[ClockedAggregate.Event]]
        AdminAdded: ClassVar[type[ClockedAggregate.Event]]

    @event("Created")
    def __init__(
        self,
        *,
        actor: str,
        name: str,
        description: str,
        eligibility: dict[str, float],
        duration_months: int,
        cadence_days: int,
        formats: list[str],
        default_framework: str,
        admins: list[str],
    ) -> None:
        self.name = name
        self.description = description
        self.eligibility = dict(eligibility)
        self.duration_months = duration_months
        self.cadence_days = cadence_days
        self.formats = list(formats)
        self.default_framework = default_framework
        self.admins = list(admins)
        self.starter_goals: list[dict[str, Any]] = []
        self.connection_plan: list[dict[str, Any]] = []
        self.created_by = actor

    def check_eligible(
        self, name: str, side: str, *, years_experience: float, tenure_years: float
    ) -> None:
        """Refuse a person the program's criteria exclude from that side.

        Mentors (every guiding role) need the minimum years of experience, mentees
        (every learning role) the minimum tenure; peers have no minimum.
        """
        rules = self.eligibility
        if side == "mentor":
            need = rules.get("mentor_min_years_experience", 0)
            if years_experience < need:
                raise NotEligible(
                    f"{name} has {years_experience:g} years of experience; "
                    f"mentors in '{self.name}' need {need:g}",
                    "participants",
                )
        if side == "mentee":
            need = rules.get("mentee_min_tenure_years", 0)
            if tenure_years < need:
                raise NotEligible(
                    f"{name} has {tenure_years:g} years of tenure; "
                    f"mentees in '{self.name}' need {need:g}",
                    "participants",
                )

    def add_starter_goal(
        self,
        *,
        actor: str,
        goal_id: str,
        title: str,
        framework: str,
        fields: dict[str, Any],
        term: str,
        locked: bool,
    ) -> None:
        """Add a goal that every new mentorship of the program starts with."""
        if any(g["title"] == title for g in self.starter_goals):
            raise InvalidInput([Problem("title", f"starter goal '{title}' exists")])
        self._add_starter_goal(
            actor=actor,
            goal_id=goal_id,
            title=title,
            framework=framework,
            fields=fields,
            term=term,
            locked=locked,
        )

    @event("StarterGoalAdded")
    def _add_starter_goal(
        self,
        *,
        actor: str,
        goal_id: str,
        title: str,
        framework: str,
        fields: dict[str, Any],
        term: str,
        locked: bool,
    ) -> None:
        self.starter_goals.append(
            {
                "id": goal_id,
                "title": title,
                "framework": framework,
                "fields": dict(fields),
                "term": term,
                "locked": locked,
            }
        )

    @event("ConnectionPlanSet")
    def set_connection_plan(
        self, *, actor: str, meetings: list[dict[str, Any]]
    ) -> None:
        """Replace the timeline of planned meetings."""
        self.connection_plan = [dict(m) for m in meetings]

    def add_admin(self, *, actor: str, person_id: str) -> None:
        """Make a person an admin of the program."""
        if person_id in self.admins:
            raise InvalidInput([Problem("personId", "already an admin")])
        self._add_admin(actor=actor, person_id=person_id)

    @event("AdminAdded")
    def _add_admin(self, *, actor: str, person_id: str) -> None:
        self.admins.append(person_id)


# The events that make someone a program's admin (admins are never removed).
ADMIN_TOPICS = (
    get_topic(Program.Created),
    get_topic(Program.AdminAdded),
)
