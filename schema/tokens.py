"""Tokens: the viewer (whom a token names), and issuing and revoking tokens."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_issue_token
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    perform,
    related,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import TokenRole
from mentorlog.schema.errors import UserError
from mentorlog.schema.people import Person
from mentorlog.schema.programs.types import Program
from mentorlog.schema.roles import allowed_mutations


@strawberry.input(
    description="Whom a new token names, in which role and program. A token cannot "
    "be issued twice, so this input takes no idempotency key."
)
class IssueTokenInput:
    person_id: ID = strawberry.field(
        description="Your own person's global ID (Query.viewer.person)."
    )
    role: TokenRole = strawberry.field(
        description="PARTICIPANT or ADMIN (auditor tokens come from the CLI)."
    )
    program_id: ID = strawberry.field(
        description="The program it is bound to (for an admin token, one you "
        "administer)."
    )


@strawberry.input(description="Which token to revoke, and why.")
class RevokeTokenInput(CommandInput):
    credential_id: str = strawberry.field(
        description="The token's credential ID (see Query.viewer, issueToken)."
    )
    reason: str = strawberry.field(default="", description="Why, for the record.")


@strawberry.type(description="The result of issueToken.")
class IssueTokenPayload:
    token: str | None = strawberry.field(
        description="The bearer token. Shown this once: only its hash is stored. "
        "Null when refused."
    )
    credential_id: str | None = strawberry.field(
        description="The token's credential ID, to revoke it later."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of revokeToken.")
class RevokeTokenPayload:
    credential_id: str | None = strawberry.field(
        description="The credential revoked; its token authenticates nobody now. "
        "Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class TokenMutations:
    """The mutations of tokens."""

    @strawberry.mutation(
        description="Issue another bearer token for yourself (a second device, a "
        "narrower scope): as a participant bound to a program, or as an admin of a "
        "program you administer. Never for another person: people sign in "
        "themselves, and the operator's CLI creates service accounts' tokens."
    )
    async def issue_token(
        self, info: Info, input: Annotated[IssueTokenInput, arg(INPUT)]
    ) -> IssueTokenPayload:
        target: list[str] = []
        issued: list[str] = []

        async def check() -> None:
            program_id = ids.decode(input.program_id, "Program", "programId")
            person_id = ids.decode(input.person_id, "Person", "personId")
            principal = info.context.principal
            if person_id != principal.person_id:  # never for someone else
                raise NotFound(f"no person with ID {person_id}", "personId")
            role = str(input.role.value)
            if not may_issue_token(principal, person_id, role, program_id):
                raise NotFound(f"no program with ID {program_id}", "programId")
            target.append(program_id)
            target.append(await related(info, input.person_id, "personId"))

        def command(app: Mentoring, principal: Principal) -> Recorded:
            program_id, person_id = target
            token, recorded = app.issue_token(
                actor=principal.actor,
                **arguments(
                    input, "issue_token", person_id=person_id, program_id=program_id
                ),
            )
            issued.append(token)
            return recorded

        recorded, errors = await perform(info, command, check)
        return IssueTokenPayload(
            token=issued[0] if recorded else None,
            credential_id=recorded.id if recorded else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Revoke a token: your own, or (as an admin) one bound to your "
        "program. It authenticates nobody from then on."
    )
    async def revoke_token(
        self, info: Info, input: Annotated[RevokeTokenInput, arg(INPUT)]
    ) -> RevokeTokenPayload:
        def command(app: Mentoring, principal: Principal) -> Recorded:
            auth.credential(app, principal, input.credential_id)
            return app.revoke_token(
                input.credential_id,
                actor=principal.actor,
                **arguments(input, "revoke_token"),
            )

        recorded, errors = await perform(info, command)
        return RevokeTokenPayload(
            credential_id=recorded.id if recorded else None, user_errors=errors
        )


@strawberry.type(description="Who the request acts as, from its bearer token.")
class Viewer:
    role: TokenRole = strawberry.field(description="The token's role.")
    credential_id: str = strawberry.field(
        description="The token's credential ID, to revoke it with revokeToken."
    )
    person_id: strawberry.Private[str]
    program_id: strawberry.Private[str | None]
    principal: strawberry.Private[Principal]

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        """The viewer a principal stands for."""
        return cls(
            role=TokenRole(principal.role),
            credential_id=principal.credential_id,
            person_id=principal.person_id,
            program_id=principal.program_id,
            principal=principal,
        )

    @strawberry.field(
        description="The mutations this token may run, by name (e.g. "
        "proposeMentorship), sorted; empty for an auditor. Each still runs only on "
        "what the token reaches, as its description says (Who may run it: ...): an "
        "admin token on its program's objects, a participant token on the "
        "mentorships its person takes part in, any token on itself (revokeToken)."
    )
    def allowed_mutations(self) -> list[str]:
        return allowed_mutations(self.principal)

    @strawberry.field(description="The person the token names; every change is theirs.")
    async def person(self, info: Info) -> Person | None:
        row = await info.context.loaders.person.load(self.person_id)
        return Person.from_row(row) if row else None

    @strawberry.field(description="The program the token is bound to, if any.")
    async def program(self, info: Info) -> Program | None:
        if self.program_id is None:
            return None
        row = await info.context.loaders.program.load(self.program_id)
        return Program.from_row(row) if row else None


@strawberry.type
class ViewerQueries:
    """Who the token names."""

    @strawberry.field(
        description="Who your token names: person, role and program, and which "
        "mutations it may run."
    )
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(info.context.principal)
