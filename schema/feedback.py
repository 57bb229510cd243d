"""Feedback: the Feedback node."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.schema.context import Info
from mentorlog.schema.enums import FeedbackSource
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
)
from mentorlog.schema.people import Person, person_of
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(description="Feedback on a mentorship or one of its participants.")
class Feedback(relay.Node):
    id: relay.NodeID[str]
    source: FeedbackSource = strawberry.field(description="Who gave it.")
    rating: int | None = strawberry.field(description="A 1-5 rating, if given.")
    text: str = strawberry.field(description="The feedback itself.")
    given_by: Actor = strawberry.field(description="Who recorded it.")
    given_at: datetime = strawberry.field(description="When it was recorded.")
    mentorship_id: strawberry.Private[str]
    about_id: strawberry.Private[str | None]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Feedback:
        """Build from a `feedback` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            source=FeedbackSource(row["source"]),
            rating=row["rating"],
            text=row["text"],
            given_by=Actor.parse(row["given_by"]),
            given_at=at(row["given_at"]),
            mentorship_id=row["mentorship_id"],
            about_id=row["about_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Feedback | None]:
        """Load feedback by node ID."""
        rows = await load_scoped(info, "Feedback", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The participant it is about, if any.")
    async def about(self, info: Info) -> Person | None:
        return await person_of(info, self.about_id)
