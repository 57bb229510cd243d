"""Goals: the Goal node, and setting, revising, progressing, closing, sharing goals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.projections.readers import Readers
from mentorlog.schema import authorize as auth
from mentorlog.schema.commands import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    SHARED_WITH,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decode_all,
    decoded,
    optional_id,
    perform,
    scoped,
    scoped_id,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import GoalStatus, GoalTerm
from mentorlog.schema.errors import UserError
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
    readers_of,
)
from mentorlog.schema.people import Person, people_of, person_of
from mentorlog.schema.values import Actor
from strawberry import relay
from strawberry.scalars import JSON

HIDDEN = "Null when the goal is private and not shared with you (see contentHidden)."


@strawberry.type(
    description="A goal in a mentorship, in one goal framework. A private goal's "
    "content (title, fields, status note) is for its owner and the partners they "
    "share it with: others see its status and progress, with contentHidden true "
    "and the content null."
)
class Goal(relay.Node):
    id: relay.NodeID[str]
    framework: str = strawberry.field(description="The goal framework's name.")
    term: GoalTerm = strawberry.field(description="Short or long term.")
    private: bool = strawberry.field(description="Whether only its owner may see it.")
    locked: bool = strawberry.field(
        description="A locked starter goal: only a program admin may change it."
    )
    starter_goal_id: str | None = strawberry.field(
        description="The program starter goal it came from, if any."
    )
    status: GoalStatus = strawberry.field(description="Open, achieved or abandoned.")
    progress: float = strawberry.field(description="Percent complete, 0-100.")
    set_by: Actor = strawberry.field(description="Who set the goal.")
    created_at: datetime = strawberry.field(description="When it was set.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    mentorship_id: strawberry.Private[str]
    owner_id: strawberry.Private[str | None]
    shared_with_ids: strawberry.Private[list[str]]
    readers: strawberry.Private[Readers | None]
    content: strawberry.Private[dict[str, Any]]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Goal:
        """Build from a `goals` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            framework=row["framework"],
            term=GoalTerm(row["term"]),
            private=row["private"],
            locked=row["locked"],
            starter_goal_id=row["starter_goal_id"],
            status=GoalStatus(row["status"]),
            progress=row["progress"],
            set_by=Actor.parse(row["set_by"]),
            created_at=at(row["created_at"]),
            updated_at=at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            owner_id=row["owner_id"],
            shared_with_ids=list(row["shared_with"]),
            readers=readers_of(row, replay, "goal", "owner_id"),
            content={
                "title": row["title"],
                "fields": row["fields"],
                "status_note": row["status_note"],
            },
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Goal | None]:
        """Load goals by node ID."""
        rows = await load_scoped(info, "Goal", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    def _hidden(self, info: Info) -> bool:
        """True when the goal is private and not shared with the token's person."""
        return self.readers is not None and not self.readers.allow(
            info.context.principal
        )

    @strawberry.field(
        description="True when the goal is private and not shared with you: its "
        "title, fields and status note are withheld (null)."
    )
    def content_hidden(self, info: Info) -> bool:
        return self._hidden(info)

    @strawberry.field(description=f"The goal's title. {HIDDEN}")
    def title(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.content["title"]

    @strawberry.field(
        description="The framework's field values, e.g. SMART's specific and due. "
        + HIDDEN
    )
    def fields(self, info: Info) -> JSON | None:
        return None if self._hidden(info) else self.content["fields"]

    @strawberry.field(
        description=f"The note it was achieved with, or why it was abandoned. {HIDDEN}"
    )
    def status_note(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.content["status_note"]

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The participant who owns the goal, if any.")
    async def owner(self, info: Info) -> Person | None:
        return await person_of(info, self.owner_id)

    @strawberry.field(
        description="The partners its owner shares a private goal with, to read "
        "(empty: nobody)."
    )
    async def shared_with(self, info: Info) -> list[Person]:
        return await people_of(info, self.shared_with_ids)


GOAL_ID = "The goal's global ID."


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


@strawberry.input(description="Which goal was achieved.")
class AchieveGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    note: str = strawberry.field(default="", description="A note on the achievement.")


@strawberry.input(description="Which goal is abandoned, and why.")
class AbandonGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    reason: str = strawberry.field(description="Why it is abandoned.")


@strawberry.input(description="Whom the owner of a private goal shares it with.")
class ShareGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    shared_with: list[ID] = strawberry.field(description=SHARED_WITH)


@strawberry.type(description="The result of setGoal.")
class SetGoalPayload:
    goal: Goal | None = strawberry.field(description="The goal set. Null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of reviseGoal.")
class ReviseGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, revised. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of recordGoalProgress.")
class RecordGoalProgressPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, with its progress. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of achieveGoal.")
class AchieveGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, achieved. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of abandonGoal.")
class AbandonGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, abandoned. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of shareGoal.")
class ShareGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, with whom it is shared now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class GoalMutations:
    """The mutations of goals."""

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
        goal = await scoped(info, Goal, decoded(input.mentorship_id), recorded)
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
        mentorship_id = scoped_id(input.goal_id, "Goal", "goalId")
        goal = await scoped(info, Goal, mentorship_id, recorded)
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
        mentorship_id = scoped_id(input.goal_id, "Goal", "goalId")
        goal = await scoped(info, Goal, mentorship_id, recorded)
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
        mentorship_id = scoped_id(input.goal_id, "Goal", "goalId")
        goal = await scoped(info, Goal, mentorship_id, recorded)
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
        mentorship_id = scoped_id(input.goal_id, "Goal", "goalId")
        goal = await scoped(info, Goal, mentorship_id, recorded)
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
        mentorship_id = scoped_id(input.goal_id, "Goal", "goalId")
        goal = await scoped(info, Goal, mentorship_id, recorded)
        return ShareGoalPayload(goal=goal, user_errors=errors)
