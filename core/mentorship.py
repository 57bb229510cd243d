"""The Mentorship aggregate: one stream per mentorship, the auditor's unit of replay."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event
from mentorlog.core.agreement import Agreement
from mentorlog.core.errors import InvalidTransition, NotAParticipant
from mentorlog.core.feedback import Feedback
from mentorlog.core.goals import Goals
from mentorlog.core.meetings import Meetings
from mentorlog.core.milestones import Milestones
from mentorlog.core.notes import Notes
from mentorlog.core.nudges import Nudges
from mentorlog.core.reviews import Reviews


class Mentorship(
    Agreement, Goals, Milestones, Meetings, Notes, Reviews, Feedback, Nudges
):
    """A mentoring relationship in one format, from proposal to its end.

    Its lifecycle is here; its agreement, goals, milestones, meetings, notes,
    reviews, feedback and nudges are parts, each in a module of its own (see
    core/participation.py). The parts' order is the order the API lists events in.
    """

    # v2: each meeting names who attended (snapshots of v1 lack it).
    # v3: notes, and whom each private goal is shared with.
    # v4: the match score it was proposed with.
    class_version = 5

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Give a v1 snapshot's meetings their attendance: all, if held."""
        everyone = [p["person_id"] for p in state["participants"]]
        for meeting in state["meetings"].values():
            meeting["attended"] = list(everyone) if meeting["status"] == "held" else []

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A v2 snapshot knew no notes, and shared no private goal."""
        state["notes"] = {}
        for goal in state["goals"].values():
            goal["shared_with"] = []

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """A v3 snapshot was proposed with no recorded match score."""
        state["match"] = None

    @staticmethod
    def upcast_v4_v5(state: dict[str, Any]) -> None:
        """A v4 snapshot's meetings were in UTC, with no place, never moved."""
        for meeting in state["meetings"].values():
            meeting.update(time_zone="UTC", location="", conference_url="", revision=0)

    # -- lifecycle -------------------------------------------------------
    # Each event's docstring and field descriptions are its GraphQL description.

    class Proposed(Aggregate.Created):
        """The mentorship was proposed: its program, format and people."""

        field_descriptions = {
            "program_id": "The program's global ID.",
            "format": "The name of the mentorship's format.",
            "participants": "The people taking part, with their roles.",
            "purpose": "What the mentorship is for.",
        }
        # Sealed only so erasure shreds it, and opened for whoever reads the event:
        # a purpose quoting a mentee's request holds it sealed with their key.
        personal = ("purpose",)
        actor: str
        program_id: str
        format: str
        participants: list[dict[str, str]]
        purpose: Any

    @event(Proposed)
    def __init__(
        self,
        *,
        actor: str,
        program_id: str,
        format: str,
        participants: list[dict[str, str]],
        purpose: Any,
    ) -> None:
        self.program_id = program_id
        self.format = format
        self.participants = [dict(p) for p in participants]
        self.purpose = purpose
        self.status = "proposed"
        self.status_reason = ""
        self.agreement: dict[str, Any] | None = None
        self.goals: dict[str, dict[str, Any]] = {}
        self.milestones: dict[str, dict[str, Any]] = {}
        self.meetings: dict[str, dict[str, Any]] = {}
        self.reviews: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.notes: dict[str, dict[str, Any]] = {}
        self.match: dict[str, Any] | None = None

    class Started(Aggregate.Event):
        """The mentorship started: eligibility and capacity were checked."""

        actor: str

        def apply(self, aggregate: Any) -> None:
            """Make it active."""
            aggregate.status = "active"

    class Paused(Aggregate.Event):
        """The mentorship was paused."""

        field_descriptions = {"reason": "Why it was paused."}
        actor: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Make it paused, with the reason."""
            aggregate.status = "paused"
            aggregate.status_reason = self.reason

    class Resumed(Aggregate.Event):
        """The paused mentorship resumed."""

        actor: str

        def apply(self, aggregate: Any) -> None:
            """Make it active again."""
            aggregate.status = "active"
            aggregate.status_reason = ""

    class Completed(Aggregate.Event):
        """The mentorship was completed."""

        field_descriptions = {"note": "The note it completed with."}
        actor: str
        note: str

        def apply(self, aggregate: Any) -> None:
            """Close it as completed, with the note."""
            aggregate.status = "completed"
            aggregate.status_reason = self.note

    class Ended(Aggregate.Event):
        """The mentorship was ended early."""

        field_descriptions = {"reason": "Why it ended early."}
        actor: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Close it as ended, with the reason."""
            aggregate.status = "ended"
            aggregate.status_reason = self.reason

    class Withdrawn(Aggregate.Event):
        """The proposal was withdrawn before it started: no mentorship ended."""

        field_descriptions = {"reason": "Why the proposal was withdrawn."}
        actor: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Close the proposal as withdrawn, with the reason."""
            aggregate.status = "withdrawn"
            aggregate.status_reason = self.reason

    class ProposalDeclined(Aggregate.Event):
        """A proposed participant declined the proposal before it started."""

        field_descriptions = {
            "person_id": "The participant who declined.",
            "reason": "Why they declined.",
        }
        actor: str
        person_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Close the proposal as declined, with the reason."""
            aggregate.status = "declined"
            aggregate.status_reason = self.reason

    class MatchScored(Aggregate.Event):
        """The match score the mentorship was proposed with, explained."""

        field_descriptions = {
            "total": "The match's total score, 0-1.",
            "contributions": "Each plugin's weighted, explained part of the score.",
        }
        actor: str
        total: float
        contributions: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            """Keep the score it was proposed with."""
            aggregate.match = {
                "total": self.total,
                "contributions": [dict(c) for c in self.contributions],
            }

    def start(self, *, actor: str) -> None:
        """Make a proposed mentorship active."""
        if self.status != "proposed":
            raise InvalidTransition(
                f"only a proposed mentorship starts, not {self.status}"
            )
        self.trigger_event(self.Started, actor=actor)

    def pause(self, *, actor: str, reason: str) -> None:
        """Pause an active mentorship."""
        if self.status != "active":
            raise InvalidTransition(
                f"only an active mentorship pauses, not {self.status}"
            )
        self.trigger_event(self.Paused, actor=actor, reason=reason)

    def resume(self, *, actor: str) -> None:
        """Resume a paused mentorship."""
        if self.status != "paused":
            raise InvalidTransition(
                f"only a paused mentorship resumes, not {self.status}"
            )
        self.trigger_event(self.Resumed, actor=actor)

    def complete(self, *, actor: str, note: str) -> None:
        """Close an active or paused mentorship as completed."""
        if self.status not in ("active", "paused"):
            raise InvalidTransition(f"a {self.status} mentorship cannot complete")
        self.trigger_event(self.Completed, actor=actor, note=note)

    def end(self, *, actor: str, reason: str) -> None:
        """End an open mentorship early, with a reason."""
        self._require_open("end")
        self.trigger_event(self.Ended, actor=actor, reason=reason)

    def withdraw(self, *, actor: str, reason: str) -> None:
        """Withdraw a proposal that has not started."""
        if self.status != "proposed":
            raise InvalidTransition(
                f"only a proposed mentorship is withdrawn, not {self.status}"
            )
        self.trigger_event(self.Withdrawn, actor=actor, reason=reason)

    def decline(self, *, actor: str, person_id: str, reason: str) -> None:
        """A proposed participant declines a proposal that has not started."""
        if self.side_of(person_id) is None:
            raise NotAParticipant("only a proposed participant declines a proposal")
        if self.status != "proposed":
            raise InvalidTransition(
                f"only a proposed mentorship is declined, not {self.status}"
            )
        self.trigger_event(
            self.ProposalDeclined, actor=actor, person_id=person_id, reason=reason
        )

    def record_match(
        self, *, actor: str, total: float, contributions: list[dict[str, Any]]
    ) -> None:
        """Record the match score the mentorship is proposed with."""
        self.trigger_event(
            self.MatchScored, actor=actor, total=total, contributions=contributions
        )


def event_classes() -> dict[str, type[Aggregate.Event]]:
    """The Mentorship's event classes by name: its own, then each part's, in order."""
    return {
        name: value
        for name, value in vars(Mentorship).items()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and "actor" in getattr(value, "__dataclass_fields__", {})
    }
