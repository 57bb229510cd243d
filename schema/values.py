"""Small values shared by features: who acted (Actor), who takes part (Participant)."""

from __future__ import annotations

import strawberry
from mentorlog.schema.context import Info
from mentorlog.schema.enums import RoleSide
from mentorlog.schema.people import Person


@strawberry.type(
    description="Who recorded a fact: a registered person or a named system."
)
class Actor:
    system: str | None = strawberry.field(
        description="The system's name when a system acted, else null."
    )
    person_id: strawberry.Private[str | None]

    @strawberry.field(description="The person who acted, or null when a system acted.")
    async def person(self, info: Info) -> Person | None:
        if self.person_id is None:
            return None
        row = await info.context.loaders.person.load(self.person_id)
        return Person.from_row(row) if row else None

    @classmethod
    def parse(cls, actor: str) -> Actor:
        """Build from a core actor string ('person:<id>' or 'system:<name>')."""
        if actor.startswith("person:"):
            return cls(system=None, person_id=actor.removeprefix("person:"))
        return cls(system=actor.removeprefix("system:"), person_id=None)


@strawberry.type(description="A person in a role of a mentorship.")
class Participant:
    role: str = strawberry.field(
        description="The role's name in the mentorship's format."
    )
    side: RoleSide = strawberry.field(description="The side the role is on.")
    person_id: strawberry.Private[str]

    @strawberry.field(description="The person in the role.")
    async def person(self, info: Info) -> Person | None:
        row = await info.context.loaders.person.load(self.person_id)
        return Person.from_row(row) if row else None
