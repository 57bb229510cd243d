"""Invitations: an admin invites a person to a role in their program, lists
the program's invitations and withdraws one not redeemed yet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from mentorlog.core import clock
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_command, may_read_invitations
from mentorlog.projections import identities as read
from mentorlog.projections.queries import people_by_id
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    PROGRAM_ID,
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
from mentorlog.schema.graph import at, when
from mentorlog.schema.pagination import (
    After,
    Before,
    First,
    Last,
    encode_cursor,
    page_info,
    page_request,
)
from mentorlog.schema.people import Person
from strawberry import relay

TYPE_NAME = "Invitation"
INVITATION_ID = "The invitation's global ID."


@strawberry.enum(description="How an invitation is redeemed.")
class InvitationKind(Enum):
    CODE = strawberry.enum_value(
        "code", description="With a one-time code, at POST /invitations/redeem."
    )
    EMAIL = strawberry.enum_value(
        "email",
        description="By signing in with the identity provider, with the person's "
        "verified email.",
    )


@strawberry.enum(description="Where an invitation stands.")
class InvitationStatus(Enum):
    OPEN = strawberry.enum_value(read.OPEN, description="It may be redeemed.")
    REDEEMED = strawberry.enum_value(read.REDEEMED, description="It was redeemed.")
    WITHDRAWN = strawberry.enum_value(
        read.WITHDRAWN, description="An admin withdrew it."
    )
    EXPIRED = strawberry.enum_value(
        read.EXPIRED, description="Its 7 days passed before it was redeemed."
    )


@strawberry.type(
    description="An invitation of a person to a role in a program: how it is "
    "redeemed and where it stands. Its code is never shown again."
)
class Invitation(relay.Node):
    id: relay.NodeID[str]
    person_id: strawberry.Private[str]
    program_id: ID = strawberry.field(description="The program's global ID.")
    role: TokenRole = strawberry.field(description="The role it grants.")
    kind: InvitationKind = strawberry.field(description="How it is redeemed.")
    status: InvitationStatus = strawberry.field(description="Where it stands.")
    issued_at: datetime = strawberry.field(description="When it was issued.")
    expires_at: datetime = strawberry.field(description="When it expires if open.")
    closed_at: datetime | None = strawberry.field(
        description="When it was redeemed or withdrawn; null while it is not."
    )
    reason: str = strawberry.field(description="Why it was withdrawn; else empty.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Invitation:
        """Build from an `invitations` row."""
        status = row["status"]
        if status == read.OPEN and at(row["expires_at"]) <= clock.now():
            status = read.EXPIRED
        return cls(
            id=row["id"],
            person_id=row["person_id"],
            program_id=ID(ids.global_id("Program", row["program_id"])),
            role=TokenRole(row["role"]),
            kind=InvitationKind(row["kind"]),
            status=InvitationStatus(status),
            issued_at=at(row["issued_at"]),
            expires_at=at(row["expires_at"]),
            closed_at=when(row["closed_at"]),
            reason=row["reason"],
        )

    @strawberry.field(description="The invited person.")
    async def person(self, info: Info) -> Person | None:
        found = await people_by_id(info.context.db, [self.person_id])
        row = found.get(self.person_id)
        return Person.from_row(row) if row else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Invitation | None]:
        """Invitations by node ID: for their program's admins and auditors."""
        found = []
        for node_id in node_ids:
            row = await read.invitation_row(info.context.db, node_id)
            readable = row is not None and may_read_invitations(
                info.context.principal, row["program_id"]
            )
            found.append(cls.from_row(row) if row and readable else None)
        return found


@strawberry.type(description="An invitation and its cursor.")
class InvitationEdge:
    node: Invitation = strawberry.field(description="The invitation.")
    cursor: str = strawberry.field(description="Its cursor, for after and before.")


@strawberry.type(description="A page of a program's invitations.")
class InvitationConnection:
    edges: list[InvitationEdge] = strawberry.field(description="The page's items.")
    page_info: relay.PageInfo = strawberry.field(description="Where the page stands.")


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
    invitation: Invitation | None = strawberry.field(
        description="The invitation as it stands. Null when refused."
    )
    code: str | None = strawberry.field(
        description="The one-time code, shown this once (only its hash is stored; "
        "it expires in 7 days); null for an invitation by email."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Which invitation to withdraw, and why.")
class WithdrawInvitationInput(CommandInput):
    invitation_id: ID = strawberry.field(description=INVITATION_ID)
    reason: str = strawberry.field(default="", description="Why, for the record.")


@strawberry.type(description="The result of a change to an invitation.")
class InvitationPayload:
    invitation: Invitation | None = strawberry.field(
        description="The invitation as it stands now. Null when refused."
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
            invitation=await _read(info, recorded.id) if recorded else None,
            code=codes[0] if recorded else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Withdraw an invitation of your program that is not redeemed: "
        "nobody redeems it from then on (an invitation by email may be issued "
        "again)."
    )
    async def withdraw_invitation(
        self, info: Info, input: Annotated[WithdrawInvitationInput, arg(INPUT)]
    ) -> InvitationPayload:
        target: list[str] = []

        async def check() -> None:
            invitation_id = ids.decode(input.invitation_id, TYPE_NAME, "invitationId")
            row = await read.invitation_row(info.context.db, invitation_id)
            if row is None or not may_command(
                info.context.principal, "withdraw_invitation", row["program_id"]
            ):
                raise NotFound(f"no invitation with ID {invitation_id}", "invitationId")
            target.append(invitation_id)

        def command(app: Mentoring, principal: Principal) -> Recorded:
            return app.withdraw_invitation(
                actor=principal.actor,
                **arguments(input, "withdraw_invitation", invitation_id=target[0]),
            )

        recorded, errors = await perform(info, command, check)
        return InvitationPayload(
            invitation=await _read(info, recorded.id) if recorded else None,
            user_errors=errors,
        )


async def _read(info: Info, invitation_id: str) -> Invitation | None:
    row = await read.invitation_row(info.context.db, invitation_id)
    return Invitation.from_row(row) if row else None


@strawberry.type
class IdentityQueries:
    """A program's invitations."""

    @strawberry.field(
        description="A program's invitations, oldest first (an invitation by email "
        "issued again moves to the end): for its admins and auditors; empty for "
        "anyone else."
    )
    async def invitations(
        self,
        info: Info,
        program_id: Annotated[ID, arg(PROGRAM_ID)],
        status: Annotated[
            InvitationStatus | None, arg("Only invitations in this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> InvitationConnection:
        request = page_request(first, after, last, before)
        try:
            program = ids.decode(program_id, "Program", "programId")
        except NotFound:
            program = ""
        if not may_read_invitations(info.context.principal, program):
            return InvitationConnection(
                edges=[],
                page_info=relay.PageInfo(
                    has_next_page=False,
                    has_previous_page=False,
                    start_cursor=None,
                    end_cursor=None,
                ),
            )
        page = await read.page_invitations(
            info.context.db,
            request,
            program,
            str(status.value) if status else None,
            clock.now().isoformat(),
        )
        edges = [
            InvitationEdge(node=Invitation.from_row(r), cursor=encode_cursor(r["seq"]))
            for r in page.rows
        ]
        return InvitationConnection(edges=edges, page_info=page_info(page))
