"""Mentor requests: a mentee asks an enrolled mentor, who accepts or declines."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import MentorlogError, NotFound
from mentorlog.core.intake import intake_id
from mentorlog.core.policy import may_command
from mentorlog.projections import queries
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
from mentorlog.schema.intake.enrolment import own
from mentorlog.schema.intake.types import REQUEST_ID, MentorRequest
from mentorlog.schema.mentorships.types import Mentorship


@strawberry.input(description="A mentee's request to an enrolled mentor.")
class RequestMentorInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    mentee_id: ID = strawberry.field(description="The mentee's global ID (you).")
    mentor_id: ID = strawberry.field(description="The mentor's global ID.")
    message: str = strawberry.field(default="", description="A note for the mentor.")


@strawberry.input(description="A request to you to accept.")
class AcceptRequestInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    request_id: str = strawberry.field(description=REQUEST_ID)


@strawberry.input(description="A request to you to decline, and why.")
class DeclineRequestInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    request_id: str = strawberry.field(description=REQUEST_ID)
    reason: str = strawberry.field(description="Why you decline.")


@strawberry.type(description="The result of a change to a mentor request.")
class MentorRequestPayload:
    request: MentorRequest | None = strawberry.field(
        description="The request, as it is now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of acceptRequest.")
class AcceptRequestPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship proposed (and started if its rules hold). "
        "Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _request(
    info: Info, program_id: str | None, recorded: Recorded | None
) -> MentorRequest | None:
    if program_id is None or recorded is None:
        return None
    rows = await queries.requests_of(info.context.db, str(intake_id(program_id)))
    found = next((r for r in rows if r["id"] == recorded.id), None)
    return MentorRequest.from_row(found) if found else None


def _answering(command: str, program_value: str, run: Any) -> Any:
    """A mentor's answer to a request: run(app, program_id, actor).

    The program is known to those who applied to it; the command then checks that
    the one answering is the mentor the request names.
    """

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        program_id = ids.decode(program_value, "Program", "programId")
        found = app.get_program(program_id)
        applied = principal.person_id in _applicants(app, str(found.id))
        people = [principal.person_id] if applied else []
        if not may_command(principal, command, str(found.id), people):
            raise NotFound(f"no program with ID {found.id}", "programId")
        return run(app, str(found.id), principal.actor)  # type: ignore[no-any-return]

    return checked


@strawberry.type
class RequestMutations:
    """The mutations of mentor requests."""

    @strawberry.mutation(
        description="Ask an enrolled mentor with a place free to mentor you; the "
        "request expires after the intake's requestDays."
    )
    async def request_mentor(
        self, info: Info, input: Annotated[RequestMentorInput, arg(INPUT)]
    ) -> MentorRequestPayload:
        mentor = input.mentor_id
        command = own(
            "request_mentor",
            input.program_id,
            input.mentee_id,
            "menteeId",
            lambda app, program_id, mentee_id, actor: app.request_mentor(
                program_id,
                actor=actor,
                **arguments(
                    input,
                    "request_mentor",
                    mentee_id=mentee_id,
                    mentor_id=ids.decode(mentor, "Person", "mentorId"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        program_id = decoded(input.program_id, "Program")
        return MentorRequestPayload(
            request=await _request(info, program_id, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Accept a request to you: the mentorship is proposed, and started "
        "if the format's rules, eligibility and capacity hold."
    )
    async def accept_request(
        self, info: Info, input: Annotated[AcceptRequestInput, arg(INPUT)]
    ) -> AcceptRequestPayload:
        command = _answering(
            "accept_request",
            input.program_id,
            lambda app, program_id, actor: app.accept_request(
                program_id,
                input.request_id,
                actor=actor,
                **arguments(input, "accept_request"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship = None
        if recorded is not None:
            row = await info.context.loaders.mentorship.load(recorded.id)
            mentorship = Mentorship.from_row(row) if row else None
        return AcceptRequestPayload(mentorship=mentorship, user_errors=errors)

    @strawberry.mutation(description="Decline a request to you, with a reason.")
    async def decline_request(
        self, info: Info, input: Annotated[DeclineRequestInput, arg(INPUT)]
    ) -> MentorRequestPayload:
        command = _answering(
            "decline_request",
            input.program_id,
            lambda app, program_id, actor: app.decline_request(
                program_id,
                input.request_id,
                actor=actor,
                **arguments(input, "decline_request"),
            ),
        )
        recorded, errors = await perform(info, command)
        program_id = decoded(input.program_id, "Program")
        return MentorRequestPayload(
            request=await _request(info, program_id, recorded), user_errors=errors
        )


def _applicants(app: Mentoring, program_id: str) -> list[str]:
    try:
        return list(app.get_intake(program_id).applications)
    except MentorlogError:
        return []
