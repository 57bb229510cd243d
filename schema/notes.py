"""Note mutations: write, revise, share a participant's note."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.mutation_base import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    NOTE_ID,
    SHARED_WITH,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decode_all,
    decoded_id,
    perform,
    scoped_mentorship_id,
    scoped_node,
)
from mentorlog.schema.types import (
    Note,
)


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


@strawberry.type(description="The result of writeNote.")
class WriteNotePayload:
    note: Note | None = strawberry.field(
        description="The note written. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A note's new text, by its author.")
class ReviseNoteInput(CommandInput):
    note_id: ID = strawberry.field(description=NOTE_ID)
    text: str = strawberry.field(description="The new text.")


@strawberry.type(description="The result of reviseNote.")
class ReviseNotePayload:
    note: Note | None = strawberry.field(
        description="The note, revised. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Whom the author of a private note shares it with.")
class ShareNoteInput(CommandInput):
    note_id: ID = strawberry.field(description=NOTE_ID)
    shared_with: list[ID] = strawberry.field(description=SHARED_WITH)


@strawberry.type(description="The result of shareNote.")
class ShareNotePayload:
    note: Note | None = strawberry.field(
        description="The note, with whom it is shared now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description="Note mutations: write, revise, share a participant's note."
)
class NotesMutations:
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
        note = await scoped_node(info, Note, decoded_id(input.mentorship_id), recorded)
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
        mentorship_id = scoped_mentorship_id(input.note_id, "Note", "noteId")
        note = await scoped_node(info, Note, mentorship_id, recorded)
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
        mentorship_id = scoped_mentorship_id(input.note_id, "Note", "noteId")
        note = await scoped_node(info, Note, mentorship_id, recorded)
        return ShareNotePayload(note=note, user_errors=errors)
