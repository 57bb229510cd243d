"""The expectations agreement: its types, and recording and signing it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from mentorlog.core.application import Recorded
from mentorlog.schema import authorize as auth
from mentorlog.schema.commands import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.graph import MentorshipRef, at, mentorship_of
from mentorlog.schema.people import Person
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(description="A participant's signature on the expectations agreement.")
class Signature:
    signed_at: datetime = strawberry.field(description="When they signed.")
    person_id: strawberry.Private[str]

    @strawberry.field(description="Who signed.")
    async def person(self, info: Info) -> Person | None:
        row = await info.context.loaders.person.load(self.person_id)
        return Person.from_row(row) if row else None


@strawberry.type(
    description="The expectations agreement: communication, confidentiality, "
    "schedule and outcomes, signed by each participant."
)
class Agreement:
    communication: str = strawberry.field(
        description="How the participants communicate."
    )
    confidentiality: str = strawberry.field(description="What stays between them.")
    schedule: str = strawberry.field(description="When and how often they meet.")
    outcomes: list[str] = strawberry.field(description="The outcomes they expect.")
    recorded_by: Actor = strawberry.field(description="Who recorded the agreement.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    signatures: list[Signature] = strawberry.field(
        description="Signatures so far; recording a new agreement starts them over."
    )

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Agreement:
        """Build from the stored agreement."""
        return cls(
            communication=value["communication"],
            confidentiality=value["confidentiality"],
            schedule=value["schedule"],
            outcomes=list(value["outcomes"]),
            recorded_by=Actor.parse(value["recorded_by"]),
            recorded_at=at(value["recorded_at"]),
            signatures=[
                Signature(signed_at=at(s["signed_at"]), person_id=s["person_id"])
                for s in value["signatures"]
            ],
        )


@strawberry.input(description="The expectations agreement the participants will sign.")
class RecordAgreementInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    communication: str = strawberry.field(description="How they communicate.")
    confidentiality: str = strawberry.field(description="What stays between them.")
    schedule: str = strawberry.field(description="When and how often they meet.")
    outcomes: list[str] = strawberry.field(description="The outcomes they expect.")


@strawberry.input(
    description="Which mentorship's agreement the acting participant signs."
)
class SignAgreementInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)


@strawberry.type(description="The result of recordAgreement.")
class RecordAgreementPayload:
    mentorship: relay.Node | None = strawberry.field(
        description="The mentorship, with the agreement. Null when refused.",
        graphql_type=MentorshipRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of signAgreement.")
class SignAgreementPayload:
    mentorship: relay.Node | None = strawberry.field(
        description="The mentorship, with the signature. Null when refused.",
        graphql_type=MentorshipRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _mentorship(info: Info, recorded: Recorded | None) -> Any:
    """The mentorship a command changed, as the read models show it now."""
    if recorded is None:
        return None
    return await mentorship_of(info, recorded.id, None)


@strawberry.type
class AgreementMutations:
    """The mutations of the expectations agreement."""

    @strawberry.mutation(
        description="Record the expectations agreement; each participant then signs it."
    )
    async def record_agreement(
        self, info: Info, input: Annotated[RecordAgreementInput, arg(INPUT)]
    ) -> RecordAgreementPayload:
        command = auth.on_mentorship(
            "record_agreement",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.record_agreement(
                mentorship_id, actor=actor, **arguments(input, "record_agreement")
            ),
        )
        recorded, errors = await perform(info, command)
        return RecordAgreementPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Sign the agreement as the token's person.")
    async def sign_agreement(
        self, info: Info, input: Annotated[SignAgreementInput, arg(INPUT)]
    ) -> SignAgreementPayload:
        command = auth.on_mentorship(
            "sign_agreement",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.sign_agreement(
                mentorship_id, actor=actor, **arguments(input, "sign_agreement")
            ),
        )
        recorded, errors = await perform(info, command)
        return SignAgreementPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )
