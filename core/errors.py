"""Typed domain errors, each with a stable code the API and CLI map to messages."""

from __future__ import annotations

from collections.abc import Sequence

from mentorlog.plugins.interfaces import Problem


class MentorlogError(Exception):
    """Base of every domain error: a stable `code`, and the `field` at fault."""

    code = "ERROR"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def problems(self) -> list[Problem]:
        """The error as a list of field problems."""
        return [Problem(self.field or "", self.message)]


class InvalidInput(MentorlogError):
    """An input value is malformed or out of range."""

    code = "INVALID_INPUT"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems), problems[0].field)
        self._problems = list(problems)

    @property
    def problems(self) -> list[Problem]:
        """Every problem found, not only the first."""
        return self._problems


class GoalInvalid(InvalidInput):
    """The goal's framework refused its fields or its progress."""

    code = "GOAL_INVALID"


class ParticipantsInvalid(InvalidInput):
    """The format refused the proposed participants."""

    code = "PARTICIPANTS_INVALID"


class NotFound(MentorlogError):
    """No object of that kind has that ID."""

    code = "NOT_FOUND"


class UnknownFormat(MentorlogError):
    """No loaded plugin provides that format, or the program does not enable it."""

    code = "UNKNOWN_FORMAT"


class UnknownFramework(MentorlogError):
    """No loaded plugin provides that goal framework."""

    code = "UNKNOWN_FRAMEWORK"


class NotEligible(MentorlogError):
    """A participant does not meet the program's eligibility criteria."""

    code = "NOT_ELIGIBLE"


class OverCapacity(MentorlogError):
    """A person already takes as many mentorships as their capacity allows."""

    code = "OVER_CAPACITY"


class GoalLocked(MentorlogError):
    """A locked starter goal may be changed only by a program admin."""

    code = "GOAL_LOCKED"


class MentorshipClosed(MentorlogError):
    """The mentorship is completed or ended: nothing new may be added."""

    code = "MENTORSHIP_CLOSED"


class InvalidTransition(MentorlogError):
    """The command does not apply in the current state."""

    code = "INVALID_TRANSITION"


class NotAParticipant(MentorlogError):
    """The acting or named person does not take part in this mentorship."""

    code = "NOT_A_PARTICIPANT"


class Unauthenticated(MentorlogError):
    """No token, or a token that is unknown, revoked, or of an erased person."""

    code = "UNAUTHENTICATED"


class TokenRefused(Unauthenticated):
    """A provider's token that authenticates nobody; `reason` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Forbidden(MentorlogError):
    """The principal may not do this; reads report it as NOT_FOUND instead."""

    code = "FORBIDDEN"


class CannotEraseSelf(MentorlogError):
    """A token's person may not erase themselves; another admin or the operator may."""

    code = "CANNOT_ERASE_SELF"


class LastAdmin(MentorlogError):
    """Erasing the person would leave a program with no admin who can act."""

    code = "LAST_ADMIN"


class Conflict(MentorlogError):
    """Concurrent writers kept colliding; the command was not recorded."""

    code = "CONFLICT"


class IdempotencyKeyReused(MentorlogError):
    """The idempotency key was already used for a different command or arguments."""

    code = "IDEMPOTENCY_KEY_REUSED"


class IntakeClosed(MentorlogError):
    """The program's intake is closed (or has none, or its cohort has ended)."""

    code = "INTAKE_CLOSED"


class AlreadyApplied(MentorlogError):
    """The person has an application to the program already."""

    code = "ALREADY_APPLIED"


class IntakeFull(MentorlogError):
    """Every place on the application's side is taken, and no waitlisting was asked."""

    code = "INTAKE_FULL"


class NotEnrolled(MentorlogError):
    """The person is not enrolled in the program on the side the command needs."""

    code = "NOT_ENROLLED"


class NotTheMentor(MentorlogError):
    """Only the mentor a request names may accept or decline it."""

    code = "NOT_THE_MENTOR"


class RequestExpired(MentorlogError):
    """The request is past its expiry: it can no longer be accepted or declined."""

    code = "REQUEST_EXPIRED"


class WebhookURLInvalid(MentorlogError):
    """A webhook URL that is not http(s) with a host, or whose host does not resolve."""

    code = "WEBHOOK_URL_INVALID"


class WebhookURLPrivate(MentorlogError):
    """A webhook URL whose host resolves to a loopback, link-local or private IP."""

    code = "WEBHOOK_URL_PRIVATE"


class WebhookSecretInvalid(MentorlogError):
    """A webhook secret not spelled as Standard Webhooks says (whsec_ and base64)."""

    code = "WEBHOOK_SECRET_INVALID"


class WebhookSecretReused(MentorlogError):
    """A webhook secret another endpoint already uses (or used)."""

    code = "WEBHOOK_SECRET_REUSED"


class NudgeAlreadySent(MentorlogError):
    """The nudge was already sent (or is being tried): it is not sent again."""

    code = "NUDGE_ALREADY_SENT"


ALL_ERRORS: tuple[type[MentorlogError], ...] = (
    MentorlogError,
    InvalidInput,
    GoalInvalid,
    ParticipantsInvalid,
    NotFound,
    UnknownFormat,
    UnknownFramework,
    NotEligible,
    OverCapacity,
    GoalLocked,
    MentorshipClosed,
    InvalidTransition,
    NotAParticipant,
    Unauthenticated,
    Forbidden,
    CannotEraseSelf,
    LastAdmin,
    Conflict,
    IdempotencyKeyReused,
    IntakeClosed,
    AlreadyApplied,
    IntakeFull,
    NotEnrolled,
    NotTheMentor,
    RequestExpired,
    WebhookURLInvalid,
    WebhookURLPrivate,
    WebhookSecretInvalid,
    WebhookSecretReused,
    NudgeAlreadySent,
)


class Unavailable(Exception):
    """The database could not be reached; not a domain error, so nothing is refused.

    `retryable` says whether a retry is safe: true when nothing was recorded, false
    when a write may have been recorded (retry with the same idempotency key).
    """

    code = "UNAVAILABLE"

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
