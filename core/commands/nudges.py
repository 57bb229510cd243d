"""Nudge commands: a program's rules; a nudge claimed, retried, delivered, failed.

Admins set the rules. The nudge worker (mentorlog/nudges.py) runs the others,
as the actor `system:nudges`: each is load, check, save on the mentorship, so
two workers that reach the same nudge at once meet optimistic concurrency and
only one records it (the other is refused with NudgeAlreadySent).
"""

from __future__ import annotations

from collections.abc import Sequence

from mentorlog.core.commands.base import Recorded, Service, command
from mentorlog.core.errors import InvalidInput
from mentorlog.core.inputs import excerpt
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem

MAX_CHANNELS = 10


class NudgeCommands(Service):
    """A program's nudge rules; a nudge claimed, retried, delivered or failed."""

    @command
    def set_nudge_rules(
        self,
        program_id: str,
        *,
        actor: str,
        quiet_after_days: int | None = None,
        meeting_reminder_hours: int | None = None,
        agreement_unsigned_days: int | None = None,
        channels: Sequence[str] = ("email",),
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Set a program's nudge rules (None turns a rule off) and their channels."""
        chosen = list(dict.fromkeys(channels))
        known = self.catalog.notifiers
        problems = [
            Problem(
                f"channels.{i}",
                f"no notifier '{excerpt(name)}' (known: {', '.join(sorted(known))})",
            )
            for i, name in enumerate(chosen)
            if name not in known
        ]
        if len(chosen) > MAX_CHANNELS:
            problems.append(Problem("channels", f"at most {MAX_CHANNELS} channels"))
        if problems:
            raise InvalidInput(problems)

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            program.set_nudge_rules(
                actor=actor,
                quiet_after_days=quiet_after_days,
                meeting_reminder_hours=meeting_reminder_hours,
                agreement_unsigned_days=agreement_unsigned_days,
                channels=chosen,
            )
            return self._commit(str(program.id), program)

        return self._retrying(attempt, program_id)

    @command
    def send_nudge(
        self,
        mentorship_id: str,
        *,
        actor: str,
        nudge_id: str,
        rule: str,
        person_id: str,
        channel: str,
        meeting_id: str | None = None,
        occasion: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Claim a nudge's first try (once per nudge ID); the Recorded's ID is it."""

        def change(m: Mentorship) -> str:
            m.send_nudge(
                actor=actor,
                nudge_id=nudge_id,
                rule=rule,
                person_id=person_id,
                channel=channel,
                meeting_id=meeting_id,
                occasion=occasion,
            )
            return nudge_id

        return self._on_mentorship(mentorship_id, change)

    @command
    def retry_nudge(
        self,
        mentorship_id: str,
        *,
        actor: str,
        nudge_id: str,
        unanswered_after: int = 600,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Claim a nudge's next try, when due; the Recorded's ID is the try's number."""
        tried: list[int] = []

        def change(m: Mentorship) -> str:
            tried.append(
                m.retry_nudge(
                    actor=actor, nudge_id=nudge_id, unanswered_after=unanswered_after
                )
            )
            return str(tried[-1])

        return self._on_mentorship(mentorship_id, change)

    @command
    def record_nudge_delivered(
        self,
        mentorship_id: str,
        *,
        actor: str,
        nudge_id: str,
        attempt: int,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record that a nudge's try was accepted by its channel."""

        def change(m: Mentorship) -> str:
            m.record_nudge_delivered(actor=actor, nudge_id=nudge_id, attempt=attempt)
            return nudge_id

        return self._on_mentorship(mentorship_id, change)

    @command
    def record_nudge_failed(
        self,
        mentorship_id: str,
        *,
        actor: str,
        nudge_id: str,
        attempt: int,
        error: str,
        retry_at: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record that a nudge's try failed, and when (if ever) to try again."""

        def change(m: Mentorship) -> str:
            m.record_nudge_failed(
                actor=actor,
                nudge_id=nudge_id,
                attempt=attempt,
                error=error,
                retry_at=retry_at,
            )
            return nudge_id

        return self._on_mentorship(mentorship_id, change)
