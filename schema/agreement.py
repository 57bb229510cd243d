"""Expectations agreement mutations: record it, sign it."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.schema import authorize as auth
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
    mentorship_of,
    perform,
)
from mentorlog.schema.types import (
    Mentorship,
)


@strawberry.input(description="The expectations agreement the participants will sign.")
class RecordAgreementInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    communication: str = strawberry.field(description="How they communicate.")
    confidentiality: str = strawberry.field(description="What stays between them.")
    schedule: str = strawberry.field(description="When and how often they meet.")
    outcomes: list[str] = strawberry.field(description="The outcomes they expect.")


@strawberry.type(description="The result of recordAgreement.")
class RecordAgreementPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, with the agreement. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Which mentorship's agreement the acting participant signs."
)
class SignAgreementInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)


@strawberry.type(description="The result of signAgreement.")
class SignAgreementPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, with the signature. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="Expectations agreement mutations: record it, sign it.")
class AgreementMutations:
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
            mentorship=await mentorship_of(info, recorded), user_errors=errors
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
            mentorship=await mentorship_of(info, recorded), user_errors=errors
        )
