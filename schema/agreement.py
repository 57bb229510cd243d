"""The expectations agreement: the Agreement and Signature types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from mentorlog.schema.context import Info
from mentorlog.schema.graph import at
from mentorlog.schema.people import Person
from mentorlog.schema.values import Actor


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
