"""The Mentorship aggregate: one stream per mentorship, the auditor's unit of replay."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event
from mentorlog.core.agreement import Agreement
from mentorlog.core.errors import InvalidTransition
from mentorlog.core.feedback import Feedback
from mentorlog.core.goals import Goals
from mentorlog.core.meetings import Meetings
from mentorlog.core.milestones import Milestones
from mentorlog.core.notes import Notes
from mentorlog.core.reviews import Reviews


class Mentorship(Agreement, Goals, Milestones, Meetings, Notes, Reviews, Feedback):
    """A mentoring relationship in one format, from proposal to its end.

    Its lifecycle is here; its agreement, goals, milestones, meetings, notes,
    reviews and feedback are parts, each in a module of its own (see
    core/participation.py). The parts' order is the order the API lists events in.
    """

    # v2: each meeting names who attended (snapshots of v1 lack it).
    # v3: notes, and whom each private goal is shared with.
    class_version = 3

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
        actor: str
        program_id: str
        format: str
        participants: list[dict[str, str]]
        purpose: str

    @event(Proposed)
    def __init__(
        self,
        *,
        actor: str,
        program_id: str,
        format: str,
        participants: list[dict[str, str]],
        purpose: str,
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


def event_classes() -> dict[str, type[Aggregate.Event]]:
    """The Mentorship's event classes by name: its own, then each part's, in order."""
    return {
        name: value
        for name, value in vars(Mentorship).items()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and "actor" in getattr(value, "__dataclass_fields__", {})
    }
