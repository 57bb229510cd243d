"""Milestone mutations: reach one, celebrate it."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.mutation_base import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decoded_id,
    perform,
    scoped_mentorship_id,
    scoped_node,
)
from mentorlog.schema.types import (
    Milestone,
)


@strawberry.input(description="A milestone reached, optionally towards a goal.")
class ReachMilestoneInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    title: str = strawberry.field(description="What was reached.")
    goal_id: ID | None = strawberry.field(
        default=None, description="The goal it marks progress towards, if any."
    )
    note: str = strawberry.field(default="", description="A note about it.")


@strawberry.type(description="The result of reachMilestone.")
class ReachMilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone reached. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="How a milestone was celebrated.")
class CelebrateMilestoneInput(CommandInput):
    milestone_id: ID = strawberry.field(description="The milestone's global ID.")
    how: str = strawberry.field(description="How it was celebrated.")


@strawberry.type(description="The result of celebrateMilestone.")
class CelebrateMilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone, celebrated. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="Milestone mutations: reach one, celebrate it.")
class MilestonesMutations:
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
        milestone = await scoped_node(
            info, Milestone, decoded_id(input.mentorship_id), recorded
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
        mentorship_id = scoped_mentorship_id(
            input.milestone_id, "Milestone", "milestoneId"
        )
        milestone = await scoped_node(info, Milestone, mentorship_id, recorded)
        return CelebrateMilestonePayload(milestone=milestone, user_errors=errors)
