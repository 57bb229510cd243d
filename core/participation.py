"""What every part of a mentorship reads: its participants, status and goals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mentorlog.core.clock import ClockedAggregate
from mentorlog.core.errors import MentorshipClosed, NotFound

OPEN_STATES = ("proposed", "active", "paused")


class Participation(ClockedAggregate):
    """The state a mentorship's parts share, and the questions they ask of it.

    Mentorship (core/mentorship.py) is made of parts, one module per feature
    (agreement, goals, milestones, meetings, notes, reviews, feedback), each
    holding its events and rules. A part's events are declared as classes in its
    module; eventsourcing redefines them on Mentorship, so every event's topic is
    `mentorlog.core.mentorship:Mentorship.<Name>`, whichever part holds it. An
    event describes itself for the API: its docstring, `field_descriptions`, and
    `private_item` if it concerns a goal or note that may be private.
    """

    if TYPE_CHECKING:  # set by Mentorship.__init__; declared here for the parts
        program_id: str
        format: str
        participants: list[dict[str, str]]
        status: str
        agreement: dict[str, Any] | None
        goals: dict[str, dict[str, Any]]
        milestones: dict[str, dict[str, Any]]
        meetings: dict[str, dict[str, Any]]
        reviews: list[dict[str, Any]]
        feedback: list[dict[str, Any]]
        notes: dict[str, dict[str, Any]]

    def side_of(self, person_id: str) -> str | None:
        """Return the participant's side (mentor, mentee, peer), or None."""
        for p in self.participants:
            if p["person_id"] == person_id:
                return p["side"]
        return None

    def person_ids(self) -> list[str]:
        """Return the IDs of every participant."""
        return [p["person_id"] for p in self.participants]

    def goal(self, goal_id: str) -> dict[str, Any]:
        """Return a goal or raise NotFound."""
        try:
            return self.goals[goal_id]
        except KeyError:
            raise NotFound(f"no goal {goal_id} in this mentorship", "goalId") from None

    def _require_open(self, what: str) -> None:
        if self.status not in OPEN_STATES:
            raise MentorshipClosed(
                f"the mentorship is {self.status}: no new {what} can be added"
            )
