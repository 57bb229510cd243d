"""The hooks a mentorlog plugin may implement; each is a flat function."""

from __future__ import annotations

import pluggy
from mentorlog.plugins.interfaces import (
    Contribution,
    Format,
    GoalFramework,
    Notification,
    NotificationContext,
    Profile,
    ProgramProfile,
)

PROJECT = "mentorlog"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_formats() -> list[Format]:  # type: ignore[empty-body]
    """Return the mentoring formats this plugin adds."""


@hookspec
def register_goal_frameworks() -> list[GoalFramework]:  # type: ignore[empty-body]
    """Return the goal frameworks this plugin adds."""


@hookspec
def match_score(  # type: ignore[empty-body]
    mentor: Profile, mentee: Profile, program: ProgramProfile
) -> list[Contribution]:
    """Return weighted, explained contributions to how well a mentor suits a mentee."""


@hookspec
def send_notification(  # type: ignore[empty-body]
    notification: Notification, context: NotificationContext
) -> bool | None:
    """Send a nudge on this plugin's channel: True if sent, None if unreachable."""
