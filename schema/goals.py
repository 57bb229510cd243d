"""Goals: the Goal node."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.projections.readers import Readers
from mentorlog.schema.context import Info
from mentorlog.schema.enums import GoalStatus, GoalTerm
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
    readers_of,
)
from mentorlog.schema.people import Person, people_of, person_of
from mentorlog.schema.values import Actor
from strawberry import relay
from strawberry.scalars import JSON

HIDDEN = "Null when the goal is private and not shared with you (see contentHidden)."


@strawberry.type(
    description="A goal in a mentorship, in one goal framework. A private goal's "
    "content (title, fields, status note) is for its owner and the partners they "
    "share it with: others see its status and progress, with contentHidden true "
    "and the content null."
)
class Goal(relay.Node):
    id: relay.NodeID[str]
    framework: str = strawberry.field(description="The goal framework's name.")
    term: GoalTerm = strawberry.field(description="Short or long term.")
    private: bool = strawberry.field(description="Whether only its owner may see it.")
    locked: bool = strawberry.field(
        description="A locked starter goal: only a program admin may change it."
    )
    starter_goal_id: str | None = strawberry.field(
        description="The program starter goal it came from, if any."
    )
    status: GoalStatus = strawberry.field(description="Open, achieved or abandoned.")
    progress: float = strawberry.field(description="Percent complete, 0-100.")
    set_by: Actor = strawberry.field(description="Who set the goal.")
    created_at: datetime = strawberry.field(description="When it was set.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    mentorship_id: strawberry.Private[str]
    owner_id: strawberry.Private[str | None]
    shared_with_ids: strawberry.Private[list[str]]
    readers: strawberry.Private[Readers | None]
    content: strawberry.Private[dict[str, Any]]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Goal:
        """Build from a `goals` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            framework=row["framework"],
            term=GoalTerm(row["term"]),
            private=row["private"],
            locked=row["locked"],
            starter_goal_id=row["starter_goal_id"],
            status=GoalStatus(row["status"]),
            progress=row["progress"],
            set_by=Actor.parse(row["set_by"]),
            created_at=at(row["created_at"]),
            updated_at=at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            owner_id=row["owner_id"],
            shared_with_ids=list(row["shared_with"]),
            readers=readers_of(row, replay, "goal", "owner_id"),
            content={
                "title": row["title"],
                "fields": row["fields"],
                "status_note": row["status_note"],
            },
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Goal | None]:
        """Load goals by node ID."""
        rows = await load_scoped(info, "Goal", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    def _hidden(self, info: Info) -> bool:
        return self.readers is not None and not self.readers.allow(
            info.context.principal
        )

    @strawberry.field(
        description="True when the goal is private and not shared with you: its "
        "title, fields and status note are withheld (null)."
    )
    def content_hidden(self, info: Info) -> bool:
        return self._hidden(info)

    @strawberry.field(description=f"The goal's title. {HIDDEN}")
    def title(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.content["title"]

    @strawberry.field(
        description="The framework's field values, e.g. SMART's specific and due. "
        + HIDDEN
    )
    def fields(self, info: Info) -> JSON | None:
        return None if self._hidden(info) else self.content["fields"]

    @strawberry.field(
        description=f"The note it was achieved with, or why it was abandoned. {HIDDEN}"
    )
    def status_note(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.content["status_note"]

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The participant who owns the goal, if any.")
    async def owner(self, info: Info) -> Person | None:
        return await person_of(info, self.owner_id)

    @strawberry.field(
        description="The partners its owner shares a private goal with, to read "
        "(empty: nobody)."
    )
    async def shared_with(self, info: Info) -> list[Person]:
        return await people_of(info, self.shared_with_ids)
