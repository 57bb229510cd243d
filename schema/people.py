"""People: the Person node and its pages, registering and erasing people, queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_command, program_people
from mentorlog.projections import queries
from mentorlog.projections.queries import Row
from mentorlog.schema import authorize as auth
from mentorlog.schema.commands import (
    ID,
    INPUT,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    creator,
    perform,
    related,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import CareerStage
from mentorlog.schema.errors import UserError
from mentorlog.schema.graph import ID_ARG, MentorshipRef, at, one, schema_type
from mentorlog.schema.loaders import Loaders
from mentorlog.schema.pagination import (
    After,
    Before,
    First,
    Last,
    encode_cursor,
    page_info,
    page_request,
)
from strawberry import relay


@strawberry.type(description="Someone who mentors, is mentored, or runs a program.")
class Person(relay.Node):
    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="The name to show.")
    career_stage: CareerStage = strawberry.field(
        description="Early, mid or late career."
    )
    years_experience: float = strawberry.field(description="Years of work experience.")
    tenure_years: float = strawberry.field(description="Years at this organisation.")
    skills: list[str] = strawberry.field(description="Skills they can share.")
    interests: list[str] = strawberry.field(description="What they want to learn.")
    capacity: int = strawberry.field(
        description="How many mentorships they take at once."
    )
    active_count: strawberry.Private[int]  # all of them, from the `people` row
    erased: bool = strawberry.field(
        description="Whether their personal data was erased (the name is a stand-in)."
    )
    created_at: datetime = strawberry.field(description="When they were registered.")
    updated_at: datetime = strawberry.field(
        description="When their record last changed."
    )

    @classmethod
    def from_row(cls, row: Row) -> Person:
        """Build from a `people` row."""
        return cls(
            id=row["id"],
            display_name=row["display_name"],
            career_stage=CareerStage(row["career_stage"]),
            years_experience=row["years_experience"],
            tenure_years=row["tenure_years"],
            skills=list(row["skills"]),
            interests=list(row["interests"]),
            capacity=row["capacity"],
            active_count=row["active_mentorships"],
            erased=bool(row["erased"]),
            created_at=at(row["created_at"]),
            updated_at=at(row["updated_at"]),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Person | None]:
        """Load people by node ID."""
        rows = await info.context.loaders.person.load_many(list(node_ids))
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(
        description="How many started, unfinished mentorships they take part in "
        "that you may read."
    )
    async def active_mentorships(self, info: Info) -> int:
        if info.context.scope.everything:
            return self.active_count
        return await info.context.loaders.active_mentorships_of_person.load(self.id)

    @strawberry.field(
        description="The mentorships they take part in that you may read, oldest "
        "first.",
        graphql_type=list[MentorshipRef],
    )
    async def mentorships(self, info: Info) -> list[relay.Node]:
        rows = await info.context.loaders.mentorships_of_person.load(self.id)
        mentorship = schema_type(info, "Mentorship")
        return [mentorship.from_row(r) for r in rows]


@strawberry.type(description="A page of people.")
class PersonConnection(relay.Connection[Person]):
    @classmethod
    async def load(
        cls,
        info: Info,
        career_stage: str | None,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> PersonConnection:
        """Load one keyset page of people."""
        request = page_request(first, after, last, before)
        page = await queries.page_people(
            info.context.db, request, career_stage, info.context.scope
        )
        return cls(
            page_info=page_info(page),
            edges=[
                relay.Edge(cursor=encode_cursor(r["seq"]), node=Person.from_row(r))
                for r in page.rows
            ],
        )


async def person_of(info: Info, person_id: str | None) -> Person | None:
    """The person with this ID, if there is one and it may be read."""
    if person_id is None:
        return None
    row = await info.context.loaders.person.load(person_id)
    return Person.from_row(row) if row else None


async def people_of(info: Info, person_ids: list[str]) -> list[Person]:
    """The people with these IDs that may be read, in order."""
    rows = await info.context.loaders.person.load_many(person_ids)
    return [Person.from_row(r) for r in rows if r]


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


@strawberry.input(description="Whose personal data to erase, and why.")
class ErasePersonInput(CommandInput):
    person_id: ID = strawberry.field(description="The person's global ID.")
    reason: str = strawberry.field(default="", description="Why, for the record.")


@strawberry.type(description="The result of registerPerson.")
class RegisterPersonPayload:
    person: Person | None = strawberry.field(
        description="The person registered. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of erasePerson.")
class ErasePersonPayload:
    person: Person | None = strawberry.field(
        description="The person, now erased. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _person(
    info: Info, recorded: Recorded | None, loaders: Loaders | None = None
) -> Person | None:
    """The person a command recorded, as the read models show them now."""
    if recorded is None:
        return None
    row = await (loaders or info.context.loaders).person.load(recorded.id)
    return Person.from_row(row) if row else None


@strawberry.type
class PeopleMutations:
    """The mutations of people."""

    @strawberry.mutation(
        description="Register a person with their career profile. People belong to "
        "the organisation, not to a program: every admin reads them and may propose "
        "them into their program."
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
            person=await _person(info, recorded, creator(info)), user_errors=errors
        )

    @strawberry.mutation(
        description="Erase a person's personal data (name, email, private goals and "
        "notes) by destroying their key; the history stays and still verifies. "
        "Their tokens stop working and their subscriptions end. For an admin of a "
        "program the person takes part in or administers. Refused for your own "
        "person (CANNOT_ERASE_SELF: another admin, or the operator, erases you) and "
        "for a program's last admin who is not erased (LAST_ADMIN: make someone "
        "else its admin first)."
    )
    async def erase_person(
        self, info: Info, input: Annotated[ErasePersonInput, arg(INPUT)]
    ) -> ErasePersonPayload:
        target: list[str] = []

        async def check() -> None:
            # Of the people the admin reads (everyone), those of their program.
            scope = program_people(info.context.principal)
            target.append(await related(info, input.person_id, "personId", scope))

        def command(app: Mentoring, principal: Principal) -> Recorded:
            if not may_command(principal, "erase_person", principal.program_id):
                raise NotFound(f"no person with ID {target[0]}", "personId")
            return app.erase_person(
                target[0], actor=principal.actor, **arguments(input, "erase_person")
            )

        recorded, errors = await perform(info, command, check)
        return ErasePersonPayload(
            person=await _person(info, recorded), user_errors=errors
        )


@strawberry.type
class PeopleQueries:
    """People by page or by ID."""

    @strawberry.field(description="The people you may read, oldest registration first.")
    async def people(
        self,
        info: Info,
        career_stage: Annotated[
            CareerStage | None,
            strawberry.argument(description="Only people at this career stage."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PersonConnection:
        stage = str(career_stage.value) if career_stage else None
        return await PersonConnection.load(info, stage, first, after, last, before)

    @strawberry.field(
        description="A person by their global ID; null if none has it or you may "
        "not read it."
    )
    async def person(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> Person | None:
        return await one(info, id, Person)  # type: ignore[return-value]
