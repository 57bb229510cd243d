"""What a plugin provides: formats, goal frameworks, match scores, and their values."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Side = Literal["mentor", "mentee", "peer"]
CAREER_STAGES: tuple[str, ...] = ("early", "mid", "late")


@dataclass(frozen=True)
class Problem:
    """One reason an input was refused: the field it concerns and a message."""

    field: str
    message: str


@dataclass(frozen=True)
class Role:
    """A role in a format, how many people may hold it, and which side it is on."""

    name: str
    title: str
    side: Side
    min: int
    max: int | None
    description: str = ""


@dataclass(frozen=True)
class Candidate:
    """A person proposed for a role, as a format sees them."""

    person_id: str
    role: str
    career_stage: str
    years_experience: float
    tenure_years: float


@dataclass(frozen=True)
class PlannedMeeting:
    """One meeting of a connection plan: when it falls and what it is for."""

    number: int
    title: str
    week_start: int
    week_end: int
    agenda: tuple[str, ...] = ()


def _no_extra_rules(candidates: Sequence[Candidate]) -> list[Problem]:
    return []


@dataclass(frozen=True)
class Format:
    """A mentoring format: its roles, their cardinality, and its own rules."""

    name: str
    title: str
    description: str
    roles: tuple[Role, ...]
    default_cadence_days: int = 14
    connection_plan: tuple[PlannedMeeting, ...] = ()
    rules: Callable[[Sequence[Candidate]], list[Problem]] = _no_extra_rules

    def role(self, name: str) -> Role | None:
        """Return the role with this name, or None."""
        return next((r for r in self.roles if r.name == name), None)

    def check(self, candidates: Sequence[Candidate]) -> list[Problem]:
        """Check roles, cardinality and the format's own rules."""
        problems: list[Problem] = []
        for c in candidates:
            if self.role(c.role) is None:
                known = ", ".join(r.name for r in self.roles)
                problems.append(
                    Problem(
                        "participants",
                        f"role '{c.role}' does not exist in format "
                        f"'{self.name}' (roles: {known})",
                    )
                )
        ids = [c.person_id for c in candidates]
        if len(set(ids)) != len(ids):
            problems.append(Problem("participants", "a person may hold only one role"))
        for role in self.roles:
            count = sum(1 for c in candidates if c.role == role.name)
            if count < role.min or (role.max is not None and count > role.max):
                wanted = (
                    f"{role.min}"
                    if role.max == role.min
                    else f"{role.min}-{role.max}"
                    if role.max is not None
                    else f"at least {role.min}"
                )
                problems.append(
                    Problem(
                        "participants",
                        f"format '{self.name}' needs {wanted} {role.name}(s), "
                        f"got {count}",
                    )
                )
        if problems:
            return problems
        return list(self.rules(candidates))


@dataclass(frozen=True)
class GoalField:
    """One field of a goal framework, as clients should fill it in."""

    name: str
    type: Literal["text", "date", "boolean", "number", "key_results"]
    required: bool
    description: str


@dataclass(frozen=True)
class GoalContext:
    """What a framework may consult when it checks a goal."""

    today: date
    actor_side: Side | None = None


@dataclass
class GoalFramework:
    """A goal framework: its fields, how a goal is checked and how progress is read."""

    name: str
    title: str
    description: str
    fields: tuple[GoalField, ...] = field(default_factory=tuple)

    def validate(
        self, values: Mapping[str, Any], context: GoalContext
    ) -> list[Problem]:
        """Check a goal's field values; the default checks required text fields."""
        return check_required(self.fields, values)

    def validate_progress(
        self, values: Mapping[str, Any], measurement: Mapping[str, Any]
    ) -> list[Problem]:
        """Check a progress measurement; the default wants a percent in 0-100."""
        return check_percent(measurement)

    def progress(
        self, values: Mapping[str, Any], measurement: Mapping[str, Any]
    ) -> float:
        """Turn a valid measurement into a percent complete."""
        return float(measurement["percent"])


def check_required(
    fields: Sequence[GoalField], values: Mapping[str, Any]
) -> list[Problem]:
    """Report unknown fields, missing required ones and values of the wrong type."""
    problems: list[Problem] = []
    known = {f.name for f in fields}
    for name in values:
        if name not in known:
            problems.append(Problem(f"fields.{name}", f"unknown field '{name}'"))
    for f in fields:
        value = values.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                problems.append(Problem(f"fields.{f.name}", f"{f.name} is required"))
            continue
        problem = _type_problem(f, value)
        if problem:
            problems.append(problem)
    return problems


def _type_problem(f: GoalField, value: Any) -> Problem | None:
    where = f"fields.{f.name}"
    if f.type == "text" and not isinstance(value, str):
        return Problem(where, f"{f.name} must be text")
    if f.type == "boolean" and not isinstance(value, bool):
        return Problem(where, f"{f.name} must be true or false")
    if f.type == "number" and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return Problem(where, f"{f.name} must be a number")
    if f.type == "date":
        if not isinstance(value, str):
            return Problem(where, f"{f.name} must be a date (YYYY-MM-DD)")
        try:
            date.fromisoformat(value)
        except ValueError:
            return Problem(where, f"{f.name} must be a date (YYYY-MM-DD)")
    if f.type == "key_results" and not isinstance(value, list):
        return Problem(where, f"{f.name} must be a list")
    return None


def check_percent(measurement: Mapping[str, Any]) -> list[Problem]:
    """Check that a measurement carries a percent between 0 and 100."""
    percent = measurement.get("percent")
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        return [Problem("percent", "percent is required and must be a number")]
    if not 0 <= percent <= 100:
        return [Problem("percent", "percent must be between 0 and 100")]
    return []


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(values)


@dataclass(frozen=True)
class Profile:
    """A person as matching sees them: career, skills, interests and free places."""

    person_id: str
    career_stage: str
    years_experience: float
    tenure_years: float
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    capacity: int = 1
    active_mentorships: int = 0
    # When they can meet, as the program's intake asked (e.g. "mon-am", "tz:CET").
    availability: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", _strings(self.skills))
        object.__setattr__(self, "interests", _strings(self.interests))
        object.__setattr__(self, "availability", _strings(self.availability))

    @property
    def free_places(self) -> int:
        """How many more mentorships this person can take."""
        return max(0, self.capacity - self.active_mentorships)


@dataclass(frozen=True)
class ProgramProfile:
    """A program as matching sees it: its eligibility criteria and formats."""

    id: str
    eligibility: Mapping[str, float] = field(default_factory=dict)
    formats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "eligibility", dict(self.eligibility))
        object.__setattr__(self, "formats", _strings(self.formats))


@dataclass(frozen=True)
class Contribution:
    """One explained part of a match: its name, weight, score in 0..1 and why."""

    name: str
    weight: float
    score: float
    explanation: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(
                f"contribution '{self.name}': weight must be a finite number >= 0, "
                f"got {self.weight!r}"
            )
        if not (math.isfinite(self.score) and 0 <= self.score <= 1):
            raise ValueError(
                f"contribution '{self.name}': score must be between 0 and 1, "
                f"got {self.score!r}"
            )

    @property
    def impact(self) -> float:
        """How far this pulls a match from neutral: weight * |score - 0.5|."""
        return self.weight * abs(self.score - 0.5)


@dataclass(frozen=True)
class Match:
    """How well a mentor suits a mentee: the weighted mean and what it is made of."""

    total: float
    contributions: tuple[Contribution, ...]

    @classmethod
    def of(cls, contributions: Iterable[Contribution]) -> Match:
        """Weigh contributions into a total in 0..1, listed by impact, largest first."""
        ordered = sorted(contributions, key=lambda c: c.impact, reverse=True)
        weight = sum(c.weight for c in ordered)
        total = sum(c.weight * c.score for c in ordered) / weight if weight else 0.0
        return cls(min(1.0, max(0.0, total)), tuple(ordered))

    def contribution(self, name: str) -> Contribution | None:
        """Return the first contribution with this name, or None."""
        return next((c for c in self.contributions if c.name == name), None)


# -- notifications (the send_notification hook) -------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Whom a notification is for: their global person ID, name and email address.

    `email` is empty when the person has none (or was erased).
    """

    person_id: str
    name: str
    email: str = ""


@dataclass(frozen=True)
class Notification:
    """One nudge to one person on one channel: what it is about, and its words.

    `id` is the nudge's: the same on every try (an email's Message-ID, a
    receiver's dedupe key). `subject` and `text` never carry a goal's or note's
    content. `meeting_id` is set for a meeting reminder.
    """

    id: str
    channel: str
    rule: str
    event_type: str
    program_id: str
    program_name: str
    mentorship_id: str
    recipient: Recipient
    subject: str
    text: str
    attempt: int = 1
    meeting_id: str | None = None


@dataclass(frozen=True)
class SmtpSettings:
    """Where email goes: the SMTP server, its TLS mode and login, the sender."""

    host: str
    port: int
    tls: Literal["none", "starttls", "tls"]
    sender: str
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 10.0


@dataclass(frozen=True)
class NotificationContext:
    """What a notifier may use: the SMTP settings (None if unset), and how many of
    a program's webhook endpoints take an event type (enabled, subscribed)."""

    smtp: SmtpSettings | None
    webhook_receivers: Callable[[str, str], int] = lambda program_id, event_type: 0


class NotificationFailed(Exception):
    """A notification could not be sent now; it is tried again on a later run."""
