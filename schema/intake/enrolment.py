"""Enrolment: an intake's settings and applications, their mutations, the query."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.intake import intake_id
from mentorlog.core.policy import (
    may_command,
    may_read_application,
    may_read_intake_people,
)
from mentorlog.projections import queries
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
    decoded,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.intake.types import (
    PERSON_ID,
    Enrolment,
    Intake,
    IntakeQuestion,
    IntakeSide,
    intake_of,
    program_node,
)
from strawberry.scalars import JSON


@strawberry.input(description="A program's intake settings (they replace the old).")
class ConfigureIntakeInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    is_open: bool = strawberry.field(description="Whether people may apply.")
    cohort_start: str | None = strawberry.field(
        default=None, description="The cohort's first day (YYYY-MM-DD)."
    )
    cohort_end: str | None = strawberry.field(
        default=None, description="The cohort's last day (YYYY-MM-DD)."
    )
    mentor_places: int | None = strawberry.field(
        default=None, description="How many mentors may be enrolled; null: no limit."
    )
    mentee_places: int | None = strawberry.field(
        default=None, description="How many mentees may be enrolled; null: no limit."
    )
    questions: list[IntakeQuestion] = strawberry.field(
        default_factory=lambda: list(IntakeQuestion),
        description="The profile questions applicants answer (default: all).",
    )
    request_days: int = strawberry.field(
        default=14, description="Days a mentee's request stays open, 1-365."
    )


@strawberry.input(description="An application to a program.")
class ApplyToProgramInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(
        description="Who applies: yourself, or (an admin) anyone registered."
    )
    side: IntakeSide = strawberry.field(description="Mentor or mentee.")
    answers: JSON | None = strawberry.field(
        default=None,
        description="Answers to the program's questions: lists of texts for skills, "
        "interests, goals and availability, text for about.",
    )


@strawberry.input(description="An application to approve.")
class ApproveApplicationInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description=PERSON_ID)
    waitlist: bool = strawberry.field(
        default=True,
        description="Over capacity, waitlist them (else refuse with INTAKE_FULL).",
    )


@strawberry.input(description="An application to decline, and why.")
class DeclineApplicationInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description=PERSON_ID)
    reason: str = strawberry.field(description="Why it is declined.")


@strawberry.input(description="An application or enrolment to withdraw.")
class WithdrawApplicationInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description=PERSON_ID)
    reason: str = strawberry.field(default="", description="Why, if you say.")


@strawberry.type(description="The result of a change to a program's intake.")
class IntakePayload:
    intake: Intake | None = strawberry.field(
        description="The intake, as it is now. Null when refused."
    )
    enrolment: Enrolment | None = strawberry.field(
        description="The application the change concerned, if one."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _enrolment(
    info: Info, program_id: str | None, person_id: str | None
) -> Enrolment | None:
    if program_id is None or person_id is None:
        return None
    row = await queries.enrolment_of(
        info.context.db, str(intake_id(program_id)), person_id
    )
    return Enrolment.from_row(row, program_id) if row else None


def own(
    command: str,
    program_value: str,
    person_value: str,
    field: str,
    run: Any,
) -> Any:
    """A command on one's own part of an intake: run(app, program_id, person, actor)."""

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        program_id = ids.decode(program_value, "Program", "programId")
        person_id = ids.decode(person_value, "Person", field)
        found = app.get_program(program_id)
        if not may_command(principal, command, str(found.id), [person_id]):
            raise NotFound(f"no program with ID {found.id}", "programId")
        return run(app, str(found.id), person_id, principal.actor)  # type: ignore[no-any-return]

    return checked


@strawberry.type
class EnrolmentMutations:
    """The mutations of programs' intakes: settings and applications."""

    @strawberry.mutation(
        description="Set a program's intake: open or closed, the cohort's dates, "
        "places per side, the questions asked, how long requests stay open."
    )
    async def configure_intake(
        self, info: Info, input: Annotated[ConfigureIntakeInput, arg(INPUT)]
    ) -> IntakePayload:
        command = auth.on_program(
            "configure_intake",
            input.program_id,
            lambda app, program_id, actor: app.configure_intake(
                program_id, actor=actor, **arguments(input, "configure_intake")
            ),
        )
        recorded, errors = await perform(info, command)
        program_id = decoded(input.program_id, "Program") if recorded else None
        return IntakePayload(
            intake=await intake_of(info, program_id), enrolment=None, user_errors=errors
        )

    @strawberry.mutation(
        description="Apply to a program as mentor or mentee, answering its questions."
    )
    async def apply_to_program(
        self, info: Info, input: Annotated[ApplyToProgramInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "apply_to_program", input, lambda app: app.apply_to_program
        )

    @strawberry.mutation(
        description="Enrol an applicant; over the side's places they are waitlisted "
        "and served first come when a place frees up."
    )
    async def approve_application(
        self, info: Info, input: Annotated[ApproveApplicationInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "approve_application", input, lambda app: app.approve_application
        )

    @strawberry.mutation(description="Decline an application, with a reason.")
    async def decline_application(
        self, info: Info, input: Annotated[DeclineApplicationInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "decline_application", input, lambda app: app.decline_application
        )

    @strawberry.mutation(
        description="Withdraw an application or enrolment; a freed place goes to "
        "the first waitlisted."
    )
    async def withdraw_application(
        self, info: Info, input: Annotated[WithdrawApplicationInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "withdraw_application", input, lambda app: app.withdraw_application
        )


async def _on_application(
    info: Info, name: str, input: Any, method: Any
) -> IntakePayload:
    """Run an application command (an admin's, or the applicant's own)."""
    command = own(
        name,
        input.program_id,
        input.person_id,
        "personId",
        lambda app, program_id, person_id, actor: method(app)(
            program_id, actor=actor, **arguments(input, name, person_id=person_id)
        ),
    )
    recorded, errors = await perform(info, command)
    program_id = decoded(input.program_id, "Program") if recorded else None
    person_id = recorded.id if recorded else None
    return IntakePayload(
        intake=await intake_of(info, program_id),
        enrolment=await _enrolment(info, program_id, person_id),
        user_errors=errors,
    )


@strawberry.type
class IntakeQueries:
    """A program's intake."""

    @strawberry.field(
        description="A program's intake; null if it has none or you may not read "
        "the program (admins of it, and people who applied to it, may)."
    )
    async def intake(
        self, info: Info, program_id: Annotated[ID, arg(PROGRAM_ID)]
    ) -> Intake | None:
        node_id = program_node(program_id)
        if node_id is None or not await _may_see_intake(info, node_id):
            return None
        return await intake_of(info, node_id)


async def _may_see_intake(info: Info, program_id: str) -> bool:
    principal = info.context.principal
    if may_read_intake_people(principal, program_id):
        return True
    row = await queries.enrolment_of(
        info.context.db, str(intake_id(program_id)), principal.person_id
    )
    return row is not None and may_read_application(
        principal, program_id, principal.person_id, row["side"], True
    )
