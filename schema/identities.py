"""Invitations: an admin invites a person to a role in their program."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_command
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    USER_ERRORS,
    arg,
    arguments,
    perform,
    related,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import TokenRole
from mentorlog.schema.errors import UserError


@strawberry.input(
    description="Whom to invite, in which role of which program, and how they "
    "redeem it. An invitation's code is shown once, so this input takes no "
    "idempotency key."
)
class InvitePersonInput:
    person_id: ID = strawberry.field(description="The person's global ID.")
    role: TokenRole = strawberry.field(
        description="PARTICIPANT or ADMIN (an admin must already administer it)."
    )
    program_id: ID = strawberry.field(description="Your program.")
    email: str | None = strawberry.field(
        default=None,
        description="The person's recorded email: they redeem the invitation by "
        "signing in with the identity provider with that email, verified. Without "
        "it, a one-time code is returned instead (for a person who takes part in "
        "nothing yet), redeemed at POST /invitations/redeem.",
    )


@strawberry.type(description="The result of invitePerson.")
class InvitePersonPayload:
    invitation_id: str | None = strawberry.field(
        description="The invitation's ID (its events are in the log). Null when "
        "refused."
    )
    code: str | None = strawberry.field(
        description="The one-time code, shown this once (only its hash is stored; "
        "it expires in 7 days); null for an invitation by email."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class IdentityMutations:
    """The mutations of invitations."""

    @strawberry.mutation(
        description="Invite a person to a role in your program. The person redeems "
        "it themselves: by signing in with their verified email, or with the "
        "one-time code, which yields a bearer token shown only to the redeemer."
    )
    async def invite_person(
        self, info: Info, input: Annotated[InvitePersonInput, arg(INPUT)]
    ) -> InvitePersonPayload:
        target: list[str] = []
        codes: list[str | None] = []

        async def check() -> None:
            program_id = ids.decode(input.program_id, "Program", "programId")
            if not may_command(info.context.principal, "invite_person", program_id):
                raise NotFound(f"no program with ID {program_id}", "programId")
            target.append(program_id)
            target.append(await related(info, input.person_id, "personId"))

        def command(app: Mentoring, principal: Principal) -> Recorded:
            program_id, person_id = target
            code, recorded = app.invite_person(
                actor=principal.actor,
                **arguments(
                    input, "invite_person", person_id=person_id, program_id=program_id
                ),
            )
            codes.append(code)
            return recorded

        recorded, errors = await perform(info, command, check)
        return InvitePersonPayload(
            invitation_id=recorded.id if recorded else None,
            code=codes[0] if recorded else None,
            user_errors=errors,
        )
