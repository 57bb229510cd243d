"""Built-in mentoring formats: one-on-one, reverse, circle, peer and group."""

from __future__ import annotations

from collections.abc import Sequence

from mentorlog.plugins.hookspecs import hookimpl
from mentorlog.plugins.interfaces import (
    CAREER_STAGES,
    Candidate,
    Format,
    PlannedMeeting,
    Problem,
    Role,
)

STANDARD_PLAN = (
    PlannedMeeting(
        1,
        "Set goals",
        1,
        1,
        ("Get to know each other", "Agree expectations", "Set goals"),
    ),
    PlannedMeeting(2, "Refine goals", 2, 3, ("Refine short-term goals", "Agree tasks")),
    PlannedMeeting(
        3,
        "Check-in",
        4,
        20,
        ("Review progress", "Troubleshoot challenges", "Celebrate milestones"),
    ),
    PlannedMeeting(
        4, "Closing meeting", 24, 26, ("Review outcomes", "Plan what comes next")
    ),
)

MENTOR = Role("mentor", "Mentor", "mentor", 1, 1, "Guides the mentee.")
MENTEE = Role(
    "mentee", "Mentee", "mentee", 1, 1, "Sets goals and drives the relationship."
)


def _reverse_rules(candidates: Sequence[Candidate]) -> list[Problem]:
    mentor = next(c for c in candidates if c.role == "mentor")
    mentee = next(c for c in candidates if c.role == "mentee")
    stage = CAREER_STAGES.index
    earlier_stage = stage(mentor.career_stage) < stage(mentee.career_stage)
    fewer_years = mentor.years_experience < mentee.years_experience
    if earlier_stage or fewer_years:
        return []
    return [
        Problem(
            "participants",
            "in reverse mentoring the mentor must be the more junior person "
            "(an earlier career stage or fewer years of experience)",
        )
    ]


FORMATS = [
    Format(
        "one_on_one",
        "One-on-one",
        "One mentor guides one mentee.",
        (MENTOR, MENTEE),
        default_cadence_days=14,
        connection_plan=STANDARD_PLAN,
    ),
    Format(
        "reverse",
        "Reverse mentoring",
        "A more junior person mentors a more senior one.",
        (
            Role(
                "mentor",
                "Mentor",
                "mentor",
                1,
                1,
                "The more junior person, who shares their knowledge.",
            ),
            Role(
                "mentee",
                "Mentee",
                "mentee",
                1,
                1,
                "The more senior person, who learns.",
            ),
        ),
        default_cadence_days=14,
        connection_plan=STANDARD_PLAN,
        rules=_reverse_rules,
    ),
    Format(
        "circle",
        "Mentoring circle",
        "A small group sharing a learning objective, led by one or two facilitators.",
        (
            Role("facilitator", "Facilitator", "mentor", 1, 2, "Leads the circle."),
            Role("member", "Member", "mentee", 3, 12, "Learns with the circle."),
        ),
        default_cadence_days=30,
    ),
    Format(
        "peer",
        "Peer mentoring",
        "Colleagues at a similar stage support each other; nobody is the mentor.",
        (Role("peer", "Peer", "peer", 2, 6, "Gives and receives support."),),
        default_cadence_days=14,
    ),
    Format(
        "group",
        "Group mentoring",
        "One mentor guides several mentees together.",
        (
            MENTOR,
            Role("mentee", "Mentee", "mentee", 2, 20, "Learns with the group."),
        ),
        default_cadence_days=30,
    ),
]


@hookimpl
def register_formats() -> list[Format]:
    """Register the built-in formats."""
    return FORMATS
