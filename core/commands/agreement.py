"""Expectations agreement commands: record it, sign it."""

from __future__ import annotations

from collections.abc import Sequence

from mentorlog.core.access import actor_person_id
from mentorlog.core.commands.base import Recorded, Service, command
from mentorlog.core.errors import (
    NotAParticipant,
)
from mentorlog.core.inputs import (
    check_text,
    check_texts,
)


class AgreementCommands(Service):
    """Expectations agreement commands: record it, sign it."""

    @command
    def record_agreement(
        self,
        mentorship_id: str,
        *,
        actor: str,
        communication: str,
        confidentiality: str,
        schedule: str,
        outcomes: Sequence[str],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record the expectations agreement; each participant then signs it."""
        self._raise_problems(
            [
                *check_text("communication", communication, max_len=2000),
                *check_text("confidentiality", confidentiality, max_len=2000),
                *check_text("schedule", schedule, max_len=2000),
                *check_texts("outcomes", outcomes, required=True),
            ]
        )
        return self._on_mentorship(
            mentorship_id,
            lambda m: m.record_agreement(
                actor=actor,
                communication=communication,
                confidentiality=confidentiality,
                schedule=schedule,
                outcomes=list(outcomes),
            ),
        )

    @command
    def sign_agreement(
        self, mentorship_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Sign the agreement as the acting participant."""
        person_id = actor_person_id(actor)
        if person_id is None:
            raise NotAParticipant("only a participant can sign the agreement")
        return self._on_mentorship(
            mentorship_id, lambda m: m.sign_agreement(actor=actor, person_id=person_id)
        )
