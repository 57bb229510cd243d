"""Milestones: the Milestone node."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.schema.context import Info
from mentorlog.schema.goals import Goal
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
    when,
)
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(
    description="A milestone reached in a mentorship, and how it was celebrated."
)
class Milestone(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="What was reached.")
    note: str = strawberry.field(description="A note about it.")
    reached_by: Actor = strawberry.field(description="Who recorded it.")
    reached_at: datetime = strawberry.field(description="When it was recorded.")
    celebration: str | None = strawberry.field(
        description="How it was celebrated; null until it is."
    )
    celebrated_at: datetime | None = strawberry.field(
        description="When the celebration was recorded."
    )
    mentorship_id: strawberry.Private[str]
    goal_id: strawberry.Private[str | None]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Milestone:
        """Build from a `milestones` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            title=row["title"],
            note=row["note"],
            reached_by=Actor.parse(row["reached_by"]),
            reached_at=at(row["reached_at"]),
            celebration=row["celebration"],
            celebrated_at=when(row["celebrated_at"]),
            mentorship_id=row["mentorship_id"],
            goal_id=row["goal_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Milestone | None]:
        """Load milestones by node ID."""
        rows = await load_scoped(info, "Milestone", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description="Whether it has been celebrated.")
    def celebrated(self) -> bool:
        return self.celebration is not None

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The goal it marks progress towards, if any.")
    async def goal(self, info: Info) -> Goal | None:
        if self.goal_id is None:
            return None
        if self.replay is not None:
            found = self.replay.row("goals", self.goal_id)
            return Goal.from_row(found, self.replay) if found else None
        row = await info.context.loaders.goal.load((self.mentorship_id, self.goal_id))
        return Goal.from_row(row) if row else None
