"""The Mentoring application, the only way to change state.

It is a composition: each feature's commands live in core/commands/<feature>.py,
and the plumbing they share (load, check, commit, retry, idempotency) in
core/commands/base.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mentorlog.core.commands.agreement import AgreementCommands
from mentorlog.core.commands.base import Recorded
from mentorlog.core.commands.calendars import CalendarFeedCommands
from mentorlog.core.commands.feedback import FeedbackCommands
from mentorlog.core.commands.goals import GoalCommands
from mentorlog.core.commands.identities import IdentityCommands
from mentorlog.core.commands.intake import IntakeCommands
from mentorlog.core.commands.lifecycle import LifecycleCommands
from mentorlog.core.commands.meetings import MeetingCommands
from mentorlog.core.commands.milestones import MilestoneCommands
from mentorlog.core.commands.notes import NoteCommands
from mentorlog.core.commands.nudges import NudgeCommands
from mentorlog.core.commands.people import PeopleCommands
from mentorlog.core.commands.programs import ProgramCommands
from mentorlog.core.commands.reviews import ReviewCommands
from mentorlog.core.commands.tokens import TokenCommands
from mentorlog.core.commands.webhooks import WebhookCommands
from mentorlog.core.intake import Intake
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import Person

__all__ = ["Mentoring", "Recorded"]


class Mentoring(
    ProgramCommands,
    PeopleCommands,
    IdentityCommands,
    TokenCommands,
    IntakeCommands,
    LifecycleCommands,
    AgreementCommands,
    GoalCommands,
    NoteCommands,
    MilestoneCommands,
    MeetingCommands,
    CalendarFeedCommands,
    ReviewCommands,
    FeedbackCommands,
    WebhookCommands,
    NudgeCommands,
):
    """Programs, people and mentorships, recorded as events."""

    name = "mentorlog"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {
        Mentorship: 100,
        Person: 100,
        Intake: 100,
    }
