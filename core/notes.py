"""A mentorship's notes: their events and rules (a part of Mentorship)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from mentorlog.core.errors import Forbidden, NotAParticipant, NotFound
from mentorlog.core.participation import Participation
from mentorlog.core.sharing import SHARED_WITH, PrivateItem, check_sharing

NOTE_ID = {"note_id": "The note's global ID."}


class Notes(Participation):
    """Participants' notes, maybe on a meeting; private ones sealed and shared."""

    class NoteWritten(Aggregate.Event):
        """A participant wrote a note."""

        # Its text is sealed if private.
        private_item = PrivateItem("note", ("text",), owner="author_id")
        field_descriptions = NOTE_ID | {
            "author_id": "The global ID of the participant who wrote it.",
            "meeting_id": "The global ID of the meeting it is about, if any.",
            "text": "The note's text.",
            "private": "Whether only its author, and the partners they share it "
            "with, may read it.",
        }

        actor: str
        note_id: str
        author_id: str
        meeting_id: str | None
        text: Any
        private: bool

        def apply(self, aggregate: Any) -> None:
            """Add the note, shared with nobody."""
            aggregate.notes[self.note_id] = {
                "id": self.note_id,
                "author_id": self.author_id,
                "meeting_id": self.meeting_id,
                "text": self.text,
                "private": self.private,
                "shared_with": [],
            }

    class NoteRevised(Aggregate.Event):
        """A note's text was replaced by its author."""

        private_item = PrivateItem("note", ("text",))
        field_descriptions = NOTE_ID | {"text": "The note's new text."}

        actor: str
        note_id: str
        text: Any

        def apply(self, aggregate: Any) -> None:
            """Replace the note's text."""
            aggregate.notes[self.note_id]["text"] = self.text

    class NoteSharingChanged(Aggregate.Event):
        """The author of a private note changed whom it is shared with."""

        private_item = PrivateItem("note")
        field_descriptions = NOTE_ID | {"shared_with": SHARED_WITH}

        actor: str
        note_id: str
        shared_with: list[str]

        def apply(self, aggregate: Any) -> None:
            """Keep whom the note is shared with."""
            aggregate.notes[self.note_id]["shared_with"] = list(self.shared_with)

    def note(self, note_id: str) -> dict[str, Any]:
        """Return a note or raise NotFound."""
        try:
            return self.notes[note_id]
        except KeyError:
            raise NotFound(f"no note {note_id} in this mentorship", "noteId") from None

    def write_note(
        self,
        *,
        actor: str,
        note_id: str,
        author_id: str,
        meeting_id: str | None,
        text: Any,
        private: bool,
    ) -> None:
        """Record a participant's note, maybe on a meeting (text sealed if private)."""
        if self.side_of(author_id) is None:
            raise NotAParticipant("only a participant writes notes here")
        if meeting_id is not None and meeting_id not in self.meetings:
            raise NotFound(f"no meeting {meeting_id}", "meetingId")
        self.trigger_event(
            self.NoteWritten,
            actor=actor,
            note_id=note_id,
            author_id=author_id,
            meeting_id=meeting_id,
            text=text,
            private=private,
        )

    def revise_note(self, *, actor: str, by: str, note_id: str, text: Any) -> None:
        """Replace a note's text; only its author may."""
        if self.note(note_id)["author_id"] != by:
            raise Forbidden("only its author revises a note", "noteId")
        self.trigger_event(self.NoteRevised, actor=actor, note_id=note_id, text=text)

    def share_note(
        self, *, actor: str, by: str, note_id: str, shared_with: list[str]
    ) -> None:
        """Set whom a private note's author shares it with (none: nobody)."""
        note = self.note(note_id)
        check_sharing(self.side_of, note, note["author_id"], by, shared_with, "note")
        self.trigger_event(
            self.NoteSharingChanged,
            actor=actor,
            note_id=note_id,
            shared_with=shared_with,
        )
