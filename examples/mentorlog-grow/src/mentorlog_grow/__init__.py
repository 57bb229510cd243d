"""mentorlog-grow: the GROW goal framework, speed mentoring, and a coach match score."""

from __future__ import annotations

from mentorlog import hookimpl
from mentorlog.plugins.interfaces import Contribution, Format, GoalFramework, Profile

from mentorlog_grow.coach import coach_contribution
from mentorlog_grow.grow import GROW
from mentorlog_grow.speed import SPEED

__version__ = "0.1.0"
__all__ = [
    "GROW",
    "SPEED",
    "match_score",
    "register_formats",
    "register_goal_frameworks",
]


@hookimpl
def register_goal_frameworks() -> list[GoalFramework]:
    """Add the GROW goal framework."""
    return [GROW]


@hookimpl
def register_formats() -> list[Format]:
    """Add the speed-mentoring format."""
    return [SPEED]


@hookimpl
def match_score(mentor: Profile, mentee: Profile) -> list[Contribution]:
    """Prefer a mentor who coaches for a mentee who wants a coach."""
    return coach_contribution(mentor, mentee)
