"""mentorlog-grow: the GROW goal framework and a speed-mentoring format."""

from __future__ import annotations

from mentorlog import hookimpl
from mentorlog.plugins.interfaces import Format, GoalFramework

from mentorlog_grow.grow import GROW
from mentorlog_grow.speed import SPEED

__version__ = "0.1.0"
__all__ = ["GROW", "SPEED", "register_formats", "register_goal_frameworks"]


@hookimpl
def register_goal_frameworks() -> list[GoalFramework]:
    """Add the GROW goal framework."""
    return [GROW]


@hookimpl
def register_formats() -> list[Format]:
    """Add the speed-mentoring format."""
    return [SPEED]
