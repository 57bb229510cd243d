"""Programs' mutations: create a program, add starter goals, plans and admins."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    PROGRAM_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    creator,
    decode_all,
    decoded,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import GoalTerm
from mentorlog.schema.errors import UserError
from mentorlog.schema.loaders import Loaders
from mentorlog.schema.programs.types import Program, StarterGoal
from strawberry.scalars import JSON


@strawberry.input(
    description="A new program's criteria, formats and default framework."
)
class CreateProgramInput(CommandInput):
    name: str = strawberry.field(description="The program's name.")
    description: str = strawberry.field(default="", description="What it is for.")
    mentor_min_years_experience: float = strawberry.field(
        default=0, description="Years of experience a mentor needs at least."
    )
    mentee_min_tenure_years: float = strawberry.field(
        default=0, description="Years of tenure a mentee needs at least."
    )
    duration_months: int = strawberry.field(
        default=12, description="How long mentorships run, 1-120 months."
    )
    cadence_days: int = strawberry.field(
        default=30, description="Days between meetings, 1-365."
    )
    formats: list[str] = strawberry.field(
        default_factory=lambda: ["one_on_one"],
        description="Names of the formats to enable (see Query.formats).",
    )
    default_framework: str = strawberry.field(
        default="smart", description="The goal framework goals use by default."
    )
    admins: list[ID] = strawberry.field(
        default_factory=list,
        description="Global IDs of the people who administer it; whoever creates "
        "it is one of them.",
    )


@strawberry.input(
    description="A goal every new mentorship of a program will start with."
)
class AddStarterGoalInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
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
    locked: bool = strawberry.field(
        default=False, description="Whether only a program admin may change it later."
    )


@strawberry.input(description="One meeting of a connection plan.")
class PlannedMeetingInput:
    title: str = strawberry.field(description="What the meeting is called.")
    week_start: int = strawberry.field(description="The first week it may fall in.")
    week_end: int = strawberry.field(description="The last week it may fall in.")
    agenda: list[str] = strawberry.field(
        default_factory=list, description="The default agenda items."
    )


@strawberry.input(description="A program's new connection plan, replacing the old one.")
class SetConnectionPlanInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    meetings: list[PlannedMeetingInput] = strawberry.field(
        description="The planned meetings, in order; they are numbered from 1."
    )


@strawberry.input(description="A registered person to make an admin of a program.")
class AddProgramAdminInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description="The person's global ID.")


@strawberry.type(description="The result of createProgram.")
class CreateProgramPayload:
    program: Program | None = strawberry.field(
        description="The program created. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of addStarterGoal.")
class AddStarterGoalPayload:
    program: Program | None = strawberry.field(
        description="The program, with the new starter goal. Null when refused."
    )
    starter_goal: StarterGoal | None = strawberry.field(
        description="The starter goal added."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of setConnectionPlan.")
class SetConnectionPlanPayload:
    program: Program | None = strawberry.field(
        description="The program, with its new plan. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of addProgramAdmin.")
class AddProgramAdminPayload:
    program: Program | None = strawberry.field(
        description="The program, with its new admin. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _program(
    info: Info,
    recorded: Recorded | None,
    program_id: str | None = None,
    loaders: Loaders | None = None,
) -> Program | None:
    """The program a command changed, as the read models show it now."""
    if recorded is None:
        return None
    loader = (loaders or info.context.loaders).program
    row = await loader.load(program_id or recorded.id)
    return Program.from_row(row) if row else None


@strawberry.type
class ProgramMutations:
    """The mutations of programs."""

    @strawberry.mutation(
        description="Create a program with its criteria and formats; its creator "
        "administers it."
    )
    async def create_program(
        self, info: Info, input: Annotated[CreateProgramInput, arg(INPUT)]
    ) -> CreateProgramPayload:
        def command(app: Mentoring, principal: Principal) -> Recorded:
            auth.anywhere(principal, "create_program", "create programs")
            admins = [
                principal.person_id,
                *decode_all(input.admins, "Person", "admins"),
            ]
            return app.create_program(
                actor=principal.actor,
                **arguments(
                    input, "create_program", admins=list(dict.fromkeys(admins))
                ),
            )

        recorded, errors = await perform(info, command)
        return CreateProgramPayload(
            program=await _program(info, recorded, loaders=creator(info)),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Add a starter goal each new mentorship of the program receives."
    )
    async def add_starter_goal(
        self, info: Info, input: Annotated[AddStarterGoalInput, arg(INPUT)]
    ) -> AddStarterGoalPayload:
        command = auth.on_program(
            "add_starter_goal",
            input.program_id,
            lambda app, program_id, actor: app.add_starter_goal(
                program_id, actor=actor, **arguments(input, "add_starter_goal")
            ),
        )
        recorded, errors = await perform(info, command)
        program = await _program(info, recorded, decoded(input.program_id, "Program"))
        starters = program.starter_goals if program and recorded else []
        starter = next((g for g in starters if recorded and g.id == recorded.id), None)
        return AddStarterGoalPayload(
            program=program, starter_goal=starter, user_errors=errors
        )

    @strawberry.mutation(description="Replace a program's connection plan.")
    async def set_connection_plan(
        self, info: Info, input: Annotated[SetConnectionPlanInput, arg(INPUT)]
    ) -> SetConnectionPlanPayload:
        plan = [
            {
                "title": m.title,
                "week_start": m.week_start,
                "week_end": m.week_end,
                "agenda": m.agenda,
            }
            for m in input.meetings
        ]
        command = auth.on_program(
            "set_connection_plan",
            input.program_id,
            lambda app, program_id, actor: app.set_connection_plan(
                program_id,
                actor=actor,
                **arguments(input, "set_connection_plan", meetings=plan),
            ),
        )
        recorded, errors = await perform(info, command)
        return SetConnectionPlanPayload(
            program=await _program(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Make a registered person an admin of a program.")
    async def add_program_admin(
        self, info: Info, input: Annotated[AddProgramAdminInput, arg(INPUT)]
    ) -> AddProgramAdminPayload:
        command = auth.on_program(
            "add_program_admin",
            input.program_id,
            lambda app, program_id, actor: app.add_program_admin(
                program_id,
                actor=actor,
                **arguments(
                    input,
                    "add_program_admin",
                    person_id=ids.decode(input.person_id, "Person", "personId"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        return AddProgramAdminPayload(
            program=await _program(info, recorded), user_errors=errors
        )
