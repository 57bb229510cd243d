"""The projections mentorlog runs, in one place."""

from __future__ import annotations

from mentorlog.core.privacy import Sealer
from mentorlog.projections.activity import Activity
from mentorlog.projections.base import Projection
from mentorlog.projections.feedback import Feedback
from mentorlog.projections.goals import Goals
from mentorlog.projections.identities import Invitations
from mentorlog.projections.intake import Intakes
from mentorlog.projections.meetings import Meetings
from mentorlog.projections.mentorships import Mentorships
from mentorlog.projections.milestones import Milestones
from mentorlog.projections.notes import Notes
from mentorlog.projections.nudges import Nudges
from mentorlog.projections.people import People
from mentorlog.projections.program_metrics import ProgramMetrics
from mentorlog.projections.program_trends import ProgramTrends
from mentorlog.projections.programs import Programs
from mentorlog.projections.reviews import Reviews
from mentorlog.projections.webhooks import WebhookDeliveries


def all_projections(sealer: Sealer | None = None) -> list[Projection]:
    """Return a fresh instance of every projection; sealer opens personal data."""
    kinds: list[type[Projection]] = [
        Programs,
        People,
        Mentorships,
        Goals,
        Milestones,
        Meetings,
        Reviews,
        Feedback,
        Notes,
        Intakes,
        Invitations,
        Activity,
        ProgramMetrics,
        ProgramTrends,
        WebhookDeliveries,
        Nudges,
    ]
    return [kind(sealer) for kind in kinds]
