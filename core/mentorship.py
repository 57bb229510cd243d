"""The Mentorship aggregate: one stream per mentorship, the auditor's unit of replay."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event
from mentorlog.core.errors import (
    InvalidTransition,
    NotAParticipant,
)
from mentorlog.core.feedback import Feedback
from mentorlog.core.goals import Goals
from mentorlog.core.meetings import Meetings
from mentorlog.core.milestones import Milestones
from mentorlog.core.notes import Notes
from mentorlog.core.reviews import Reviews


class Mentorship(Goals, Notes, Milestones, Meetings, Reviews, Feedback):
    """A mentoring relationship in one format, from proposal to its end.

    Its lifecycle and agreement are here; its goals, notes, milestones, meetings,
    reviews and feedback are parts, each in a module of its own (see
    core/participation.py).
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

    @event("Proposed")
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

    # -- lifecycle -------------------------------------------------------

    def start(self, *, actor: str) -> None:
        """Make a proposed mentorship active."""
        if self.status != "proposed":
            raise InvalidTransition(
                f"only a proposed mentorship starts, not {self.status}"
            )
        self._start(actor=actor)

    @event("Started")
    def _start(self, *, actor: str) -> None:
        self.status = "active"

    def pause(self, *, actor: str, reason: str) -> None:
        """Pause an active mentorship."""
        if self.status != "active":
            raise InvalidTransition(
                f"only an active mentorship pauses, not {self.status}"
            )
        self._pause(actor=actor, reason=reason)

    @event("Paused")
    def _pause(self, *, actor: str, reason: str) -> None:
        self.status = "paused"
        self.status_reason = reason

    def resume(self, *, actor: str) -> None:
        """Resume a paused mentorship."""
        if self.status != "paused":
            raise InvalidTransition(
                f"only a paused mentorship resumes, not {self.status}"
            )
        self._resume(actor=actor)

    @event("Resumed")
    def _resume(self, *, actor: str) -> None:
        self.status = "active"
        self.status_reason = ""

    def complete(self, *, actor: str, note: str) -> None:
        """Close an active or paused mentorship as completed."""
        if self.status not in ("active", "paused"):
            raise InvalidTransition(f"a {self.status} mentorship cannot complete")
        self._complete(actor=actor, note=note)

    @event("Completed")
    def _complete(self, *, actor: str, note: str) -> None:
        self.status = "completed"
        self.status_reason = note

    def end(self, *, actor: str, reason: str) -> None:
        """End an open mentorship early, with a reason."""
        self._require_open("end")
        self._end(actor=actor, reason=reason)

    @event("Ended")
    def _end(self, *, actor: str, reason: str) -> None:
        self.status = "ended"
        self.status_reason = reason

    # -- expectations agreement -----------------------------------------

    def record_agreement(
        self,
        *,
        actor: str,
        communication: str,
        confidentiality: str,
        schedule: str,
        outcomes: list[str],
    ) -> None:
        """Record (or replace) the expectations agreement; signatures start over."""
        self._require_open("agreement")
        self._record_agreement(
            actor=actor,
            communication=communication,
            confidentiality=confidentiality,
            schedule=schedule,
            outcomes=outcomes,
        )

    @event("AgreementRecorded")
    def _record_agreement(
        self,
        *,
        actor: str,
        communication: str,
        confidentiality: str,
        schedule: str,
        outcomes: list[str],
    ) -> None:
        self.agreement = {
            "communication": communication,
            "confidentiality": confidentiality,
            "schedule": schedule,
            "outcomes": list(outcomes),
            "recorded_by": actor,
            "signatures": [],
        }

    def sign_agreement(self, *, actor: str, person_id: str) -> None:
        """Sign the agreement on behalf of the participant who acts."""
        if self.agreement is None:
            raise InvalidTransition("there is no agreement to sign yet")
        if self.side_of(person_id) is None:
            raise NotAParticipant(
                "only a participant can sign the agreement", "personId"
            )
        if person_id in self.agreement["signatures"]:
            raise InvalidTransition("this participant has already signed")
        self._sign_agreement(actor=actor, person_id=person_id)

    @event("AgreementSigned")
    def _sign_agreement(self, *, actor: str, person_id: str) -> None:
        assert self.agreement is not None
        self.agreement["signatures"].append(person_id)
