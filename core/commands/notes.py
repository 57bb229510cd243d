"""Note commands: write, revise, share a participant's note."""

from __future__ import annotations

from collections.abc import Sequence

from mentorlog.core.commands.base import Recorded, Service, command, new_id
from mentorlog.core.inputs import (
    check_text,
)
from mentorlog.core.mentorship import Mentorship

NOTE_MAX_LENGTH = 20000


class NoteCommands(Service):
    """Note commands: write, revise, share a participant's note."""

    @command
    def write_note(
        self,
        mentorship_id: str,
        *,
        actor: str,
        text: str,
        meeting_id: str | None = None,
        private: bool = True,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Write a note, maybe on a meeting; a private one is sealed for its author."""
        self._raise_problems(check_text("text", text, max_len=NOTE_MAX_LENGTH))
        author = self._acting_person(actor)

        def change(m: Mentorship) -> str:
            note_id = new_id()
            m.write_note(
                actor=actor,
                note_id=note_id,
                author_id=author,
                meeting_id=meeting_id,
                text=self._maybe_seal(private, author, text),
                private=private,
            )
            return note_id

        return self._on_mentorship(mentorship_id, change)

    @command
    def revise_note(
        self,
        mentorship_id: str,
        note_id: str,
        *,
        actor: str,
        text: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Replace the text of one's own note."""
        self._raise_problems(check_text("text", text, max_len=NOTE_MAX_LENGTH))
        by = self._acting_person(actor)

        def change(m: Mentorship) -> str:
            note = m.note(note_id)
            sealed = self._maybe_seal(note["private"], note["author_id"], text)
            m.revise_note(actor=actor, by=by, note_id=note_id, text=sealed)
            return note_id

        return self._on_mentorship(mentorship_id, change)

    @command
    def share_note(
        self,
        mentorship_id: str,
        note_id: str,
        *,
        actor: str,
        shared_with: Sequence[str],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Let partners read the author's private note (an empty list: nobody)."""
        return self._sharing(
            mentorship_id,
            note_id,
            actor,
            shared_with,
            lambda m, by, people: m.share_note(
                actor=actor, by=by, note_id=note_id, shared_with=people
            ),
        )
