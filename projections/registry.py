"""The projections mentorlog runs, in one place."""

from __future__ import annotations

from mentorlog.core.privacy import Sealer
from mentorlog.projections.activity import Feedback, Meetings, Reviews
from mentorlog.projections.activity_log import Activity
from mentorlog.projections.base import Projection
from mentorlog.projections.catalog import People, Programs
from mentorlog.projections.goals import Goals, Milestones
from mentorlog.projections.mentorships import Mentorships
from mentorlog.projections.metrics import ProgramMetrics
from mentorlog.projections.notes import Notes


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
        Activity,
        ProgramMetrics,
    ]
    return [kind(sealer) for kind in kinds]
