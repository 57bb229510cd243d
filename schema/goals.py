"""Goal mutations: set, revise, measure, achieve, abandon, share a goal."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.schema import authorize as auth
from mentorlog.schema.context import Info
from mentorlog.schema.enums import (
    GoalTerm,
)
from mentorlog.schema.errors import UserError
from mentorlog.schema.mutation_base import (
    GOAL_ID,
    ID,
    INPUT,
    MENTORSHIP_ID,
    SHARED_WITH,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decode_all,
    decoded_id,
    optional_id,
    perform,
    scoped_mentorship_id,
    scoped_node,
)
from mentorlog.schema.types import (
    Goal,
)
from strawberry.scalars import JSON


@strawberry.input(description="A new goal in a goal framework.")
class SetGoalInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    title: str = strawberry.field(description="The goal's title.")
    framework: str | None = strawberry.field(
        default=None, description="The goal framework; the program's default if null."
    )
    fields: JSON | None = strawberry.field(
        default=None, description="The framework's field values, as an object."
    )
    term: GoalTerm = strawberry.field(
        default=GoalTerm.SHORT, description="Short or long."
    )
    private: bool = strawberry.field(
        default=False, description="Whether only its owner may see it."
    )
    owner_id: ID | None = strawberry.field(
        default=None,
        description="The owning participant's global ID; the acting person if null.",
    )


@strawberry.type(description="The result of setGoal.")
class SetGoalPayload:
    goal: Goal | None = strawberry.field(description="The goal set. Null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A goal's new title or fields, with a reason.")
class ReviseGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    title: str | None = strawberry.field(
        default=None, description="The new title; unchanged if null."
    )
    fields: JSON | None = strawberry.field(
        default=None, description="The new field values; unchanged if null."
    )
    reason: str = strawberry.field(default="", description="Why it changes.")


@strawberry.type(description="The result of reviseGoal.")
class ReviseGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, revised. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Progress on a goal: a percent, or each key result's value."
)
class RecordGoalProgressInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    percent: float | None = strawberry.field(
        default=None, description="Percent complete, 0-100 (most frameworks)."
    )
    key_results: list[float] | None = strawberry.field(
        default=None, description="The current value of each key result (OKR)."
    )
    note: str = strawberry.field(default="", description="A note on the progress.")


@strawberry.type(description="The result of recordGoalProgress.")
class RecordGoalProgressPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, with its progress. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Which goal was achieved.")
class AchieveGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    note: str = strawberry.field(default="", description="A note on the achievement.")


@strawberry.type(description="The result of achieveGoal.")
class AchieveGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, achieved. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Which goal is abandoned, and why.")
class AbandonGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    reason: str = strawberry.field(description="Why it is abandoned.")


@strawberry.type(description="The result of abandonGoal.")
class AbandonGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, abandoned. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Whom the owner of a private goal shares it with.")
class ShareGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    shared_with: list[ID] = strawberry.field(description=SHARED_WITH)


@strawberry.type(description="The result of shareGoal.")
class ShareGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, with whom it is shared now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description="Goal mutations: set, revise, measure, achieve, abandon, share a goal."
)
class GoalsMutations:
    @strawberry.mutation(description="Set a goal; its framework checks the fields.")
    async def set_goal(
        self, info: Info, input: Annotated[SetGoalInput, arg(INPUT)]
    ) -> SetGoalPayload:
        command = auth.on_mentorship(
            "set_goal",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.set_goal(
                mentorship_id,
                actor=actor,
                **arguments(
                    input,
                    "set_goal",
                    owner_id=optional_id(input.owner_id, "Person", "ownerId"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        goal = await scoped_node(info, Goal, decoded_id(input.mentorship_id), recorded)
        return SetGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Revise a goal's title or fields, with a reason; locked starter "
        "goals need a program admin, private goals their owner."
    )
    async def revise_goal(
        self, info: Info, input: Annotated[ReviseGoalInput, arg(INPUT)]
    ) -> ReviseGoalPayload:
        command = auth.on_goal(
            "revise_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.revise_goal(
                mentorship_id, goal_id, actor=actor, **arguments(input, "revise_goal")
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_mentorship_id(input.goal_id, "Goal", "goalId")
        goal = await scoped_node(info, Goal, mentorship_id, recorded)
        return ReviseGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Record progress on a goal: a percent, or each key result's value."
    )
    async def record_goal_progress(
        self, info: Info, input: Annotated[RecordGoalProgressInput, arg(INPUT)]
    ) -> RecordGoalProgressPayload:
        command = auth.on_goal(
            "record_goal_progress",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.record_goal_progress(
                mentorship_id,
                goal_id,
                actor=actor,
                **arguments(input, "record_goal_progress"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_mentorship_id(input.goal_id, "Goal", "goalId")
        goal = await scoped_node(info, Goal, mentorship_id, recorded)
        return RecordGoalProgressPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(description="Mark a goal achieved.")
    async def achieve_goal(
        self, info: Info, input: Annotated[AchieveGoalInput, arg(INPUT)]
    ) -> AchieveGoalPayload:
        command = auth.on_goal(
            "achieve_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.achieve_goal(
                mentorship_id, goal_id, actor=actor, **arguments(input, "achieve_goal")
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_mentorship_id(input.goal_id, "Goal", "goalId")
        goal = await scoped_node(info, Goal, mentorship_id, recorded)
        return AchieveGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Abandon a goal, with a reason; locked starter goals need a "
        "program admin."
    )
    async def abandon_goal(
        self, info: Info, input: Annotated[AbandonGoalInput, arg(INPUT)]
    ) -> AbandonGoalPayload:
        command = auth.on_goal(
            "abandon_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.abandon_goal(
                mentorship_id, goal_id, actor=actor, **arguments(input, "abandon_goal")
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_mentorship_id(input.goal_id, "Goal", "goalId")
        goal = await scoped_node(info, Goal, mentorship_id, recorded)
        return AbandonGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Share a private goal with partners in its mentorship, to read "
        "(its owner only); the list replaces the previous one, empty shares it with "
        "nobody."
    )
    async def share_goal(
        self, info: Info, input: Annotated[ShareGoalInput, arg(INPUT)]
    ) -> ShareGoalPayload:
        command = auth.on_goal(
            "share_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.share_goal(
                mentorship_id,
                goal_id,
                actor=actor,
                **arguments(
                    input,
                    "share_goal",
                    shared_with=decode_all(input.shared_with, "Person", "sharedWith"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_mentorship_id(input.goal_id, "Goal", "goalId")
        goal = await scoped_node(info, Goal, mentorship_id, recorded)
        return ShareGoalPayload(goal=goal, user_errors=errors)
