"""Notes: the Note node."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.projections.readers import Readers
from mentorlog.schema.context import Info
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
    readers_of,
)
from mentorlog.schema.meetings import Meeting
from mentorlog.schema.people import Person, people_of, person_of
from strawberry import relay

NOTE_HIDDEN = "Null when the note is private and not shared with you."


@strawberry.type(
    description="A participant's note in a mentorship, maybe on a meeting. A "
    "private note's text is for its author and the partners they share it with: "
    "others see that it exists, with contentHidden true and the text null."
)
class Note(relay.Node):
    id: relay.NodeID[str]
    private: bool = strawberry.field(
        description="Whether only its author, and whom they share it with, may read it."
    )
    created_at: datetime = strawberry.field(description="When it was written.")
    updated_at: datetime = strawberry.field(
        description="When it was last revised or its sharing changed."
    )
    mentorship_id: strawberry.Private[str]
    author_id: strawberry.Private[str]
    meeting_id: strawberry.Private[str | None]
    shared_with_ids: strawberry.Private[list[str]]
    readers: strawberry.Private[Readers | None]
    body: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Note:
        """Build from a `notes` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            private=row["private"],
            created_at=at(row["created_at"]),
            updated_at=at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            author_id=row["author_id"],
            meeting_id=row["meeting_id"],
            shared_with_ids=list(row["shared_with"]),
            readers=readers_of(row, replay, "note", "author_id"),
            body=row["text"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Note | None]:
        """Load notes by node ID."""
        rows = await load_scoped(info, "Note", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    def _hidden(self, info: Info) -> bool:
        return self.readers is not None and not self.readers.allow(
            info.context.principal
        )

    @strawberry.field(
        description="True when the note is private and not shared with you: its "
        "text is withheld (null)."
    )
    def content_hidden(self, info: Info) -> bool:
        return self._hidden(info)

    @strawberry.field(description=f"What the note says. {NOTE_HIDDEN}")
    def text(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.body

    @strawberry.field(description="The participant who wrote it.")
    async def author(self, info: Info) -> Person | None:
        return await person_of(info, self.author_id)

    @strawberry.field(description="The meeting it is about, if any.")
    async def meeting(self, info: Info) -> Meeting | None:
        if self.meeting_id is None:
            return None
        if self.replay is not None:
            found = self.replay.meetings.get(self.meeting_id)
            return Meeting.from_row(found, self.replay) if found else None
        row = await info.context.loaders.meeting.load(
            (self.mentorship_id, self.meeting_id)
        )
        return Meeting.from_row(row) if row else None

    @strawberry.field(
        description="The partners its author shares a private note with, to read "
        "(empty: nobody)."
    )
    async def shared_with(self, info: Info) -> list[Person]:
        return await people_of(info, self.shared_with_ids)

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)
