"""Speed mentoring: one mentor answers one mentee's focused question in one meeting."""

from __future__ import annotations

from collections.abc import Sequence

from mentorlog.plugins.interfaces import (
    Candidate,
    Format,
    PlannedMeeting,
    Problem,
    Role,
)

SPEED_CADENCE_DAYS = 7

SPEED_PLAN = (
    PlannedMeeting(
        1,
        "Speed session",
        1,
        1,
        ("State the question", "Explore options", "Agree one next step"),
    ),
)


def speed_rules(candidates: Sequence[Candidate]) -> list[Problem]:
    """Refuse a mentor who has no more years of experience than the mentee."""
    mentor = next(c for c in candidates if c.role == "mentor")
    mentee = next(c for c in candidates if c.role == "mentee")
    if mentor.years_experience > mentee.years_experience:
        return []
    return [
        Problem(
            "participants",
            "in speed mentoring the mentor must have more years of experience "
            "than the mentee",
        )
    ]


SPEED = Format(
    "speed",
    "Speed mentoring",
    "A mentee brings one focused question to an experienced mentor for one short "
    "session.",
    (
        Role("mentor", "Mentor", "mentor", 1, 1, "Answers one focused question."),
        Role("mentee", "Mentee", "mentee", 1, 1, "Brings the question."),
    ),
    default_cadence_days=SPEED_CADENCE_DAYS,
    connection_plan=SPEED_PLAN,
    rules=speed_rules,
)
