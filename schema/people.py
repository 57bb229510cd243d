"""People mutations: register a person, erase their personal data."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_command
from mentorlog.schema import authorize as auth
from mentorlog.schema.context import Info
from mentorlog.schema.enums import (
    CareerStage,
)
from mentorlog.schema.errors import UserError
from mentorlog.schema.mutation_base import (
    ID,
    INPUT,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    creator_loaders,
    perform,
    person_of,
    related_person,
)
from mentorlog.schema.types import (
    Person,
)


@strawberry.input(description="A person's career profile and capacity.")
class RegisterPersonInput(CommandInput):
    display_name: str = strawberry.field(description="The name to show.")
    career_stage: CareerStage = strawberry.field(
        description="Early, mid or late career."
    )
    years_experience: float = strawberry.field(description="Years of work experience.")
    tenure_years: float = strawberry.field(description="Years at this organisation.")
    skills: list[str] = strawberry.field(
        default_factory=list, description="Skills they can share."
    )
    interests: list[str] = strawberry.field(
        default_factory=list, description="What they want to learn."
    )
    capacity: int = strawberry.field(
        default=1, description="How many mentorships they take at once."
    )
    email: str | None = strawberry.field(
        default=None,
        description="Contact email; stored sealed with the person's own key, "
        "so erasing them erases it.",
    )


@strawberry.type(description="The result of registerPerson.")
class RegisterPersonPayload:
    person: Person | None = strawberry.field(
        description="The person registered. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Whose personal data to erase, and why.")
class ErasePersonInput(CommandInput):
    person_id: ID = strawberry.field(description="The person's global ID.")
    reason: str = strawberry.field(default="", description="Why, for the record.")


@strawberry.type(description="The result of erasePerson.")
class ErasePersonPayload:
    person: Person | None = strawberry.field(
        description="The person, now erased. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description="People mutations: register a person, erase their personal data."
)
class PeopleMutations:
    @strawberry.mutation(
        description="Register a person with their career profile (admins only)."
    )
    async def register_person(
        self, info: Info, input: Annotated[RegisterPersonInput, arg(INPUT)]
    ) -> RegisterPersonPayload:
        def command(app: Mentoring, principal: Principal) -> Recorded:
            auth.anywhere(principal, "register_person", "register people")
            return app.register_person(
                actor=principal.actor, **arguments(input, "register_person")
            )

        recorded, errors = await perform(info, command)
        return RegisterPersonPayload(
            person=await person_of(info, recorded, creator_loaders(info)),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Erase a person's personal data (name, email, private goals and "
        "notes) by destroying their key; the history stays and still verifies. "
        "Their tokens stop working and their subscriptions end. For an admin of a "
        "program the person takes part in or administers."
    )
    async def erase_person(
        self, info: Info, input: Annotated[ErasePersonInput, arg(INPUT)]
    ) -> ErasePersonPayload:
        target: list[str] = []

        async def check() -> None:
            target.append(await related_person(info, input.person_id, "personId"))

        def command(app: Mentoring, principal: Principal) -> Recorded:
            if not may_command(principal, "erase_person", principal.program_id):
                raise NotFound(f"no person with ID {target[0]}", "personId")
            return app.erase_person(
                target[0], actor=principal.actor, **arguments(input, "erase_person")
            )

        recorded, errors = await perform(info, command, check)
        return ErasePersonPayload(
            person=await person_of(info, recorded), user_errors=errors
        )
