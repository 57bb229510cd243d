"""The Mutation type: one mutation per command, composed from the feature modules.

Each feature's module (schema/programs.py, people.py, tokens.py, lifecycle.py,
agreement.py, goals.py, notes.py, milestones.py, meetings.py, reviews.py,
feedback.py) holds its inputs, payloads and mutations; schema/mutation_base.py
what they share.
"""

from __future__ import annotations

import strawberry
from mentorlog.schema.agreement import AgreementMutations
from mentorlog.schema.feedback import FeedbackMutations
from mentorlog.schema.goals import GoalsMutations
from mentorlog.schema.lifecycle import LifecycleMutations
from mentorlog.schema.meetings import MeetingsMutations
from mentorlog.schema.milestones import MilestonesMutations
from mentorlog.schema.notes import NotesMutations
from mentorlog.schema.people import PeopleMutations
from mentorlog.schema.programs import ProgramsMutations
from mentorlog.schema.reviews import ReviewsMutations
from mentorlog.schema.tokens import TokensMutations


@strawberry.type(
    description="Record facts; each mutation runs one command of the service as "
    "the token's person. A target the token may not change is refused exactly like "
    "an unknown ID (NOT_FOUND), and nothing is recorded."
)
class Mutation(
    ProgramsMutations,
    PeopleMutations,
    TokensMutations,
    LifecycleMutations,
    AgreementMutations,
    GoalsMutations,
    NotesMutations,
    MilestonesMutations,
    MeetingsMutations,
    ReviewsMutations,
    FeedbackMutations,
):
    pass
