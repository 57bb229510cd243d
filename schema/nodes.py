"""Any object by its global ID: the node types."""

from __future__ import annotations

from mentorlog.schema.feedback import Feedback
from mentorlog.schema.goals import Goal
from mentorlog.schema.meetings import Meeting
from mentorlog.schema.mentorships.types import Mentorship
from mentorlog.schema.milestones import Milestone
from mentorlog.schema.notes import Note
from mentorlog.schema.people import Person
from mentorlog.schema.programs.types import Program
from mentorlog.schema.reviews import Review
from strawberry import relay

NODE_TYPES: dict[str, type[relay.Node]] = {
    t.__name__: t
    for t in (
        Program,
        Person,
        Mentorship,
        Goal,
        Milestone,
        Meeting,
        Review,
        Feedback,
        Note,
    )
}
