"""A mentorship's expectations agreement: its events and rules (a Mentorship part)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from mentorlog.core.errors import InvalidTransition, NotAParticipant
from mentorlog.core.participation import Participation


class Agreement(Participation):
    """The expectations agreement: recorded (or replaced), then signed by each side."""

    class AgreementRecorded(Aggregate.Event):
        """The expectations agreement was recorded (or replaced)."""

        field_descriptions = {
            "communication": "How the participants communicate.",
            "confidentiality": "What stays between them.",
            "schedule": "When and how often they meet.",
            "outcomes": "The outcomes they expect.",
        }
        actor: str
        communication: str
        confidentiality: str
        schedule: str
        outcomes: list[str]

        def apply(self, aggregate: Any) -> None:
            """Keep the agreement; its signatures start over."""
            aggregate.agreement = {
                "communication": self.communication,
                "confidentiality": self.confidentiality,
                "schedule": self.schedule,
                "outcomes": list(self.outcomes),
                "recorded_by": self.actor,
                "signatures": [],
            }

    class AgreementSigned(Aggregate.Event):
        """A participant signed the expectations agreement."""

        field_descriptions = {"person_id": "The global ID of the person who signed."}
        actor: str
        person_id: str

        def apply(self, aggregate: Any) -> None:
            """Add the signature."""
            aggregate.agreement["signatures"].append(self.person_id)

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
        self.trigger_event(
            self.AgreementRecorded,
            actor=actor,
            communication=communication,
            confidentiality=confidentiality,
            schedule=schedule,
            outcomes=outcomes,
        )

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
        self.trigger_event(self.AgreementSigned, actor=actor, person_id=person_id)
