"""Notes: the Note node, and writing, revising and sharing notes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.projections.readers import Readers
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    SHARED_WITH,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decode_all,
    decoded,
    perform,
    scoped,
    scoped_id,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
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
        """True when the note is private and not shared with the token's person."""
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


NOTE_ID = "The note's global ID."


@strawberry.input(description="A note by the acting participant, maybe on a meeting.")
class WriteNoteInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    text: str = strawberry.field(description="What the note says (up to 20,000).")
    meeting_id: ID | None = strawberry.field(
        default=None, description="The global ID of the meeting it is about, if any."
    )
    private: bool = strawberry.field(
        default=True,
        description="Whether only its author, and the partners they share it with, "
        "may read it (the default); a note that is not private is read by all who "
        "read the mentorship.",
    )


@strawberry.input(description="A note's new text, by its author.")
class ReviseNoteInput(CommandInput):
    note_id: ID = strawberry.field(description=NOTE_ID)
    text: str = strawberry.field(description="The new text.")


@strawberry.input(description="Whom the author of a private note shares it with.")
class ShareNoteInput(CommandInput):
    note_id: ID = strawberry.field(description=NOTE_ID)
    shared_with: list[ID] = strawberry.field(description=SHARED_WITH)


@strawberry.type(description="The result of writeNote.")
class WriteNotePayload:
    note: Note | None = strawberry.field(
        description="The note written. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of reviseNote.")
class ReviseNotePayload:
    note: Note | None = strawberry.field(
        description="The note, revised. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of shareNote.")
class ShareNotePayload:
    note: Note | None = strawberry.field(
        description="The note, with whom it is shared now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class NoteMutations:
    """The mutations of notes."""

    @strawberry.mutation(
        description="Write a note as a participant, maybe on a meeting; private by "
        "default (sealed with the author's key, erased with them)."
    )
    async def write_note(
        self, info: Info, input: Annotated[WriteNoteInput, arg(INPUT)]
    ) -> WriteNotePayload:
        def run(app: Mentoring, mentorship_id: str, actor: str) -> Recorded:
            meeting_id = None
            if input.meeting_id is not None:
                meeting_mentorship, meeting_id = ids.decode_scoped(
                    input.meeting_id, "Meeting", "meetingId"
                )
                if meeting_mentorship != mentorship_id:
                    raise NotFound(f"no meeting {meeting_id}", "meetingId")
            return app.write_note(
                mentorship_id,
                actor=actor,
                **arguments(input, "write_note", meeting_id=meeting_id),
            )

        command = auth.on_mentorship("write_note", input.mentorship_id, run)
        recorded, errors = await perform(info, command)
        note = await scoped(info, Note, decoded(input.mentorship_id), recorded)
        return WriteNotePayload(note=note, user_errors=errors)

    @strawberry.mutation(description="Replace the text of a note (its author only).")
    async def revise_note(
        self, info: Info, input: Annotated[ReviseNoteInput, arg(INPUT)]
    ) -> ReviseNotePayload:
        command = auth.on_note(
            "revise_note",
            input.note_id,
            lambda app, mentorship_id, note_id, actor: app.revise_note(
                mentorship_id, note_id, actor=actor, **arguments(input, "revise_note")
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_id(input.note_id, "Note", "noteId")
        note = await scoped(info, Note, mentorship_id, recorded)
        return ReviseNotePayload(note=note, user_errors=errors)

    @strawberry.mutation(
        description="Share a private note with partners in its mentorship, to read "
        "(its author only); the list replaces the previous one, empty shares it with "
        "nobody."
    )
    async def share_note(
        self, info: Info, input: Annotated[ShareNoteInput, arg(INPUT)]
    ) -> ShareNotePayload:
        command = auth.on_note(
            "share_note",
            input.note_id,
            lambda app, mentorship_id, note_id, actor: app.share_note(
                mentorship_id,
                note_id,
                actor=actor,
                **arguments(
                    input,
                    "share_note",
                    shared_with=decode_all(input.shared_with, "Person", "sharedWith"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_id(input.note_id, "Note", "noteId")
        note = await scoped(info, Note, mentorship_id, recorded)
        return ShareNotePayload(note=note, user_errors=errors)
