"""Nudges: a program's rules for them, and each nudge sent in a mentorship.

A program's admins set its rules (`NudgeRulesSet`, a Program event): nudge a
mentorship quiet for N days, remind of a meeting N hours before, and ask for an
agreement unsigned N days after it was recorded, on the channels they choose
(the plugins' notifiers: `email`, `webhook`, ...). The nudge worker
(mentorlog/nudges.py) finds what is due and records each nudge in its
mentorship before it sends it: `NudgeSent` claims it (a nudge's ID is derived
from what it is about, so a second worker meets an existing nudge, or a
concurrent save, and sends nothing), then `NudgeDelivered` or `NudgeFailed`
records how the try went; `NudgeRetried` claims a later try. A nudge's words
name the program, the person and a time, never a goal's or note's content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate
from mentorlog.core import clock
from mentorlog.core.clock import ClockedAggregate
from mentorlog.core.errors import (
    InvalidInput,
    InvalidTransition,
    NotAParticipant,
    NudgeAlreadySent,
)
from mentorlog.core.inputs import check_int
from mentorlog.core.participation import Participation
from mentorlog.plugins.interfaces import Problem

QUIET, MEETING_REMINDER, AGREEMENT_UNSIGNED = (
    "quiet",
    "meeting_reminder",
    "agreement_unsigned",
)
RULES = (QUIET, MEETING_REMINDER, AGREEMENT_UNSIGNED)
# Each rule's setting, its bounds, and the unit it counts in.
LIMITS = {
    "quiet_after_days": (1, 365),
    "meeting_reminder_hours": (1, 720),
    "agreement_unsigned_days": (1, 365),
}
SENDING, DELIVERED, RETRYING, FAILED = "sending", "delivered", "retrying", "failed"
MAX_ERROR = 500
NUDGES = uuid5(NAMESPACE_URL, "https://mentorlog.dev/nudges")


def nudge_id(
    mentorship_id: str, rule: str, occasion: str, person_id: str, channel: str
) -> str:
    """A nudge's ID: the same for the same rule, occasion, person and channel."""
    key = "\n".join((mentorship_id, rule, occasion, person_id, channel))
    return uuid5(NUDGES, key).hex


def check_rules(
    quiet_after_days: int | None,
    meeting_reminder_hours: int | None,
    agreement_unsigned_days: int | None,
) -> list[Problem]:
    """Each rule that is set is a whole number within its bounds."""
    given = {
        "quietAfterDays": (quiet_after_days, LIMITS["quiet_after_days"]),
        "meetingReminderHours": (
            meeting_reminder_hours,
            LIMITS["meeting_reminder_hours"],
        ),
        "agreementUnsignedDays": (
            agreement_unsigned_days,
            LIMITS["agreement_unsigned_days"],
        ),
    }
    return [
        problem
        for field, (value, (low, high)) in given.items()
        if value is not None
        for problem in check_int(field, value, low, high)
    ]


class NudgeRules(ClockedAggregate):
    """A program's nudge rules (a part of Program): none until an admin sets them."""

    class NudgeRulesSet(ClockedAggregate.Event):
        """The program's nudge rules were set (each replaces the last)."""

        actor: str
        quiet_after_days: int | None
        meeting_reminder_hours: int | None
        agreement_unsigned_days: int | None
        channels: list[str]

        def apply(self, aggregate: Any) -> None:
            """Keep the rules."""
            aggregate._nudge_rules = {
                "quiet_after_days": self.quiet_after_days,
                "meeting_reminder_hours": self.meeting_reminder_hours,
                "agreement_unsigned_days": self.agreement_unsigned_days,
                "channels": list(self.channels),
            }

    @property
    def nudge_rules(self) -> dict[str, Any] | None:
        """The rules in force, or None before any were set."""
        found = getattr(self, "_nudge_rules", None)  # none before the first
        return dict(found) if found is not None else None

    def set_nudge_rules(
        self,
        *,
        actor: str,
        quiet_after_days: int | None,
        meeting_reminder_hours: int | None,
        agreement_unsigned_days: int | None,
        channels: Sequence[str],
    ) -> None:
        """Set the rules: each one that is None is off."""
        problems = check_rules(
            quiet_after_days, meeting_reminder_hours, agreement_unsigned_days
        )
        if not channels:
            problems.append(Problem("channels", "choose at least one channel"))
        if problems:
            raise InvalidInput(problems)
        self.trigger_event(
            self.NudgeRulesSet,
            actor=actor,
            quiet_after_days=quiet_after_days,
            meeting_reminder_hours=meeting_reminder_hours,
            agreement_unsigned_days=agreement_unsigned_days,
            channels=list(channels),
        )


NUDGE_ID = {"nudge_id": "The nudge's ID: the same on each of its tries."}
ATTEMPT = {"attempt": "Which try this is, from 1."}


class Nudges(Participation):
    """Nudges sent to a mentorship's people: claimed, then delivered or failed."""

    class NudgeSent(Aggregate.Event):
        """A nudge was sent to a participant, by a program's rule, on a channel."""

        field_descriptions = NUDGE_ID | {
            "rule": "The rule that made it: quiet, meeting_reminder or "
            "agreement_unsigned.",
            "person_id": "The participant nudged.",
            "channel": "The notifier it went through (email, webhook, ...).",
            "meeting_id": "The meeting a reminder is about; null otherwise.",
            "occasion": "What the rule counted from (ISO 8601): quiet since, the "
            "meeting's start, or when the agreement was recorded.",
        }
        actor: str
        nudge_id: str
        rule: str
        person_id: str
        channel: str
        meeting_id: str | None
        occasion: str

        def apply(self, aggregate: Any) -> None:
            """Add the nudge, being sent (its first try)."""
            aggregate._nudges = {
                **aggregate.nudges,
                self.nudge_id: {
                    "rule": self.rule,
                    "person_id": self.person_id,
                    "channel": self.channel,
                    "meeting_id": self.meeting_id,
                    "occasion": self.occasion,
                    "status": SENDING,
                    "attempts": 1,
                    "error": "",
                    "retry_at": None,
                    "claimed_at": self.timestamp.isoformat(),
                },
            }

    class NudgeDelivered(Aggregate.Event):
        """A nudge's try was accepted by its channel (an SMTP server, an outbox)."""

        field_descriptions = NUDGE_ID | ATTEMPT
        actor: str
        nudge_id: str
        attempt: int

        def apply(self, aggregate: Any) -> None:
            """Mark the nudge delivered."""
            aggregate._change_nudge(self.nudge_id, status=DELIVERED, error="")

    class NudgeFailed(Aggregate.Event):
        """A nudge's try failed; it is tried again at retryAt, unless that is null."""

        field_descriptions = (
            NUDGE_ID
            | ATTEMPT
            | {
                "error": "Why it failed (the channel's answer, e.g. an SMTP reply).",
                "retry_at": "When it is tried again (ISO 8601); null: never (the "
                "channel cannot reach the person, or every try failed).",
            }
        )
        actor: str
        nudge_id: str
        attempt: int
        error: str
        retry_at: str | None

        def apply(self, aggregate: Any) -> None:
            """Mark the nudge waiting for a retry, or failed for good."""
            aggregate._change_nudge(
                self.nudge_id,
                status=RETRYING if self.retry_at else FAILED,
                error=self.error,
                retry_at=self.retry_at,
            )

    class NudgeRetried(Aggregate.Event):
        """A nudge that failed (or whose try went unanswered) is being tried again."""

        field_descriptions = NUDGE_ID | ATTEMPT
        actor: str
        nudge_id: str
        attempt: int

        def apply(self, aggregate: Any) -> None:
            """Claim the nudge's next try."""
            aggregate._change_nudge(
                self.nudge_id,
                status=SENDING,
                attempts=self.attempt,
                retry_at=None,
                claimed_at=self.timestamp.isoformat(),
            )

    @property
    def nudges(self) -> dict[str, dict[str, Any]]:
        """The mentorship's nudges by ID (none before the first)."""
        return dict(getattr(self, "_nudges", {}))

    def _change_nudge(self, nudge_id: str, **changes: Any) -> None:
        nudges = self.nudges
        nudges[nudge_id] = {**nudges[nudge_id], **changes}
        self._nudges = nudges

    def _nudge(self, nudge_id: str) -> dict[str, Any]:
        found = self.nudges.get(nudge_id)
        if found is None:
            raise InvalidTransition(f"no nudge {nudge_id}", "nudgeId")
        return found

    def send_nudge(
        self,
        *,
        actor: str,
        nudge_id: str,
        rule: str,
        person_id: str,
        channel: str,
        meeting_id: str | None,
        occasion: str,
    ) -> None:
        """Claim a nudge's first try: once per ID, to a participant, while open."""
        self._require_open("nudge")
        if rule not in RULES:
            raise InvalidInput([Problem("rule", f"no nudge rule '{rule}'")])
        if self.side_of(person_id) is None:
            raise NotAParticipant("only a participant is nudged", "personId")
        if meeting_id is not None and meeting_id not in self.meetings:
            raise InvalidTransition(f"no meeting {meeting_id}", "meetingId")
        if nudge_id in self.nudges:
            raise NudgeAlreadySent(f"nudge {nudge_id} was already sent", "nudgeId")
        self.trigger_event(
            self.NudgeSent,
            actor=actor,
            nudge_id=nudge_id,
            rule=rule,
            person_id=person_id,
            channel=channel,
            meeting_id=meeting_id,
            occasion=occasion,
        )

    def retry_nudge(self, *, actor: str, nudge_id: str, unanswered_after: int) -> int:
        """Claim a nudge's next try: one whose retry is due, or whose try went
        unanswered for `unanswered_after` seconds (its worker stopped); the try's
        number."""
        nudge = self._nudge(nudge_id)
        now = clock.now()
        due = nudge["status"] == RETRYING and nudge["retry_at"] <= now.isoformat()
        stale = nudge["status"] == SENDING and datetime.fromisoformat(
            nudge["claimed_at"]
        ) <= now - timedelta(seconds=unanswered_after)
        if not (due or stale):
            raise NudgeAlreadySent(
                f"nudge {nudge_id} is {nudge['status']}, not due for a retry",
                "nudgeId",
            )
        attempt = int(nudge["attempts"]) + 1
        self.trigger_event(
            self.NudgeRetried, actor=actor, nudge_id=nudge_id, attempt=attempt
        )
        return attempt

    def _trying(self, nudge_id: str, attempt: int) -> None:
        nudge = self._nudge(nudge_id)
        if nudge["status"] != SENDING or nudge["attempts"] != attempt:
            raise InvalidTransition(
                f"nudge {nudge_id} is not on try {attempt}", "attempt"
            )

    def record_nudge_delivered(
        self, *, actor: str, nudge_id: str, attempt: int
    ) -> None:
        """Record that the try under way was accepted by its channel."""
        self._trying(nudge_id, attempt)
        self.trigger_event(
            self.NudgeDelivered, actor=actor, nudge_id=nudge_id, attempt=attempt
        )

    def record_nudge_failed(
        self,
        *,
        actor: str,
        nudge_id: str,
        attempt: int,
        error: str,
        retry_at: str | None,
    ) -> None:
        """Record that the try under way failed, and when (if ever) to try again."""
        self._trying(nudge_id, attempt)
        self.trigger_event(
            self.NudgeFailed,
            actor=actor,
            nudge_id=nudge_id,
            attempt=attempt,
            error=" ".join(error.split())[:MAX_ERROR],
            retry_at=retry_at,
        )


# The nudge events, for what follows them without naming each (webhooks, feed).
NUDGE_EVENT_TYPE = Nudges.NudgeSent.__name__


# -- when a rule is due, and what a nudge says ---------------------------------------


def quiet_due(quiet_since: datetime, now: datetime, days: int) -> bool:
    """A mentorship quiet since then is due a nudge after that many days."""
    return now - quiet_since >= timedelta(days=days)


def reminder_due(starts: datetime, now: datetime, hours: int) -> bool:
    """A meeting is due its reminder within that many hours before it starts."""
    return now < starts <= now + timedelta(hours=hours)


def agreement_due(recorded_at: datetime, now: datetime, days: int) -> bool:
    """An agreement still unsigned is due a nudge that many days after recording."""
    return now - recorded_at >= timedelta(days=days)


def words(
    rule: str,
    *,
    program: str,
    name: str,
    occasion: datetime,
    now: datetime,
    local: str = "",
) -> tuple[str, str]:
    """A nudge's subject and text: the program, the person and a time, nothing
    a participant wrote (no goal, note, agenda or agreement text)."""
    hello = f"Hello {name},\n\n"
    bye = "\n\n-- mentorlog, for the program " + program + "\n"
    if rule == QUIET:
        days = (now - occasion).days
        return (
            f"Your mentorship in {program} has been quiet for {days} days",
            hello + f"Nothing has been recorded in your mentorship in {program} "
            f"since {occasion:%Y-%m-%d} ({days} days). A meeting, a review or a "
            "goal update keeps it going." + bye,
        )
    if rule == MEETING_REMINDER:
        return (
            f"Reminder: mentoring meeting on {local}",
            hello + f"Your mentoring meeting in {program} starts on {local} "
            f"({occasion:%Y-%m-%d %H:%M} UTC)." + bye,
        )
    return (
        f"Please sign your mentorship agreement in {program}",
        hello + f"The expectations agreement of your mentorship in {program} was "
        f"recorded on {occasion:%Y-%m-%d} and still waits for your signature." + bye,
    )
