"""Meetings: the Meeting node."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.schema.context import Info
from mentorlog.schema.enums import MeetingStatus
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
)
from mentorlog.schema.people import Person, people_of
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(description="A meeting of a mentorship: scheduled, held or cancelled.")
class Meeting(relay.Node):
    id: relay.NodeID[str]
    scheduled_for: datetime = strawberry.field(description="When it is (or was) due.")
    duration_minutes: int = strawberry.field(
        description="Planned length, or the actual length once held."
    )
    agenda: list[str] = strawberry.field(description="The agenda items.")
    plan_number: int | None = strawberry.field(
        description="The connection-plan meeting it stands for, if any."
    )
    status: MeetingStatus = strawberry.field(
        description="Scheduled, held or cancelled."
    )
    notes: str = strawberry.field(description="Shared notes, once held.")
    reason: str = strawberry.field(description="Why it was cancelled, if it was.")
    scheduled_by: Actor = strawberry.field(description="Who scheduled it.")
    attendee_ids: strawberry.Private[list[str]]
    created_at: datetime = strawberry.field(description="When it was scheduled.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    mentorship_id: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Meeting:
        """Build from a `meetings` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            scheduled_for=at(row["scheduled_for"]),
            duration_minutes=row["duration_minutes"],
            agenda=list(row["agenda"]),
            plan_number=row["plan_number"],
            status=MeetingStatus(row["status"]),
            notes=row["notes"],
            reason=row["reason"],
            scheduled_by=Actor.parse(row["scheduled_by"]),
            attendee_ids=list(row["attended"]),
            created_at=at(row["created_at"]),
            updated_at=at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Meeting | None]:
        """Load meetings by node ID."""
        rows = await load_scoped(info, "Meeting", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description="Who attended, once held (empty before).")
    async def attended(self, info: Info) -> list[Person]:
        return await people_of(info, self.attendee_ids)

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)
