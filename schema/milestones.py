"""Milestones: the Milestone node, and reaching and celebrating milestones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decoded,
    perform,
    scoped,
    scoped_id,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.goals import Goal
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
    when,
)
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(
    description="A milestone reached in a mentorship, and how it was celebrated."
)
class Milestone(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="What was reached.")
    note: str = strawberry.field(description="A note about it.")
    reached_by: Actor = strawberry.field(description="Who recorded it.")
    reached_at: datetime = strawberry.field(description="When it was recorded.")
    celebration: str | None = strawberry.field(
        description="How it was celebrated; null until it is."
    )
    celebrated_at: datetime | None = strawberry.field(
        description="When the celebration was recorded."
    )
    mentorship_id: strawberry.Private[str]
    goal_id: strawberry.Private[str | None]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Milestone:
        """Build from a `milestones` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            title=row["title"],
            note=row["note"],
            reached_by=Actor.parse(row["reached_by"]),
            reached_at=at(row["reached_at"]),
            celebration=row["celebration"],
            celebrated_at=when(row["celebrated_at"]),
            mentorship_id=row["mentorship_id"],
            goal_id=row["goal_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Milestone | None]:
        """Load milestones by node ID."""
        rows = await load_scoped(info, "Milestone", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description="Whether it has been celebrated.")
    def celebrated(self) -> bool:
        return self.celebration is not None

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The goal it marks progress towards, if any.")
    async def goal(self, info: Info) -> Goal | None:
        if self.goal_id is None:
            return None
        if self.replay is not None:
            found = self.replay.row("goals", self.goal_id)
            return Goal.from_row(found, self.replay) if found else None
        row = await info.context.loaders.goal.load((self.mentorship_id, self.goal_id))
        return Goal.from_row(row) if row else None


@strawberry.input(description="A milestone reached, optionally towards a goal.")
class ReachMilestoneInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    title: str = strawberry.field(description="What was reached.")
    goal_id: ID | None = strawberry.field(
        default=None, description="The goal it marks progress towards, if any."
    )
    note: str = strawberry.field(default="", description="A note about it.")


@strawberry.input(description="How a milestone was celebrated.")
class CelebrateMilestoneInput(CommandInput):
    milestone_id: ID = strawberry.field(description="The milestone's global ID.")
    how: str = strawberry.field(description="How it was celebrated.")


@strawberry.type(description="The result of reachMilestone.")
class ReachMilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone reached. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of celebrateMilestone.")
class CelebrateMilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone, celebrated. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class MilestoneMutations:
    """The mutations of milestones."""

    @strawberry.mutation(
        description="Record a milestone reached, optionally towards a goal."
    )
    async def reach_milestone(
        self, info: Info, input: Annotated[ReachMilestoneInput, arg(INPUT)]
    ) -> ReachMilestonePayload:
        def run(app: Mentoring, mentorship_id: str, actor: str) -> Recorded:
            goal_id = None
            if input.goal_id is not None:
                goal_mentorship, goal_id = ids.decode_scoped(
                    input.goal_id, "Goal", "goalId"
                )
                if goal_mentorship != mentorship_id:
                    raise NotFound("the goal belongs to another mentorship", "goalId")
            return app.reach_milestone(
                mentorship_id,
                actor=actor,
                **arguments(input, "reach_milestone", goal_id=goal_id),
            )

        command = auth.on_mentorship("reach_milestone", input.mentorship_id, run)
        recorded, errors = await perform(info, command)
        milestone = await scoped(
            info, Milestone, decoded(input.mentorship_id), recorded
        )
        return ReachMilestonePayload(milestone=milestone, user_errors=errors)

    @strawberry.mutation(description="Record how a milestone was celebrated.")
    async def celebrate_milestone(
        self, info: Info, input: Annotated[CelebrateMilestoneInput, arg(INPUT)]
    ) -> CelebrateMilestonePayload:
        command = auth.on_scoped(
            "celebrate_milestone",
            input.milestone_id,
            "Milestone",
            "milestoneId",
            lambda app, mentorship_id, milestone_id, actor: app.celebrate_milestone(
                mentorship_id,
                milestone_id,
                actor=actor,
                **arguments(input, "celebrate_milestone"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_id(input.milestone_id, "Milestone", "milestoneId")
        milestone = await scoped(info, Milestone, mentorship_id, recorded)
        return CelebrateMilestonePayload(milestone=milestone, user_errors=errors)
