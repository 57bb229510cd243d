"""Projection of participants' notes, private or not: the notes table; as-of rows."""

from __future__ import annotations

from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import (
    ERASED_CONTENT,
    Projection,
    dumps,
    handles,
    iso,
    oid,
)
from mentorlog.projections.people import on_erasure
from mentorlog.projections.replayed import AsOf, Payload, Replayed


class Notes(Projection):
    """Each note's text (opened if sealed, blanked once its author is erased)."""

    name = "notes"
    tables = ("notes",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS notes ("
        "mentorship_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "author_id TEXT NOT NULL, meeting_id TEXT, text TEXT NOT NULL, "
        "private INTEGER NOT NULL, shared_with TEXT NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (mentorship_id, id))",
        "CREATE INDEX IF NOT EXISTS notes_seq ON notes (mentorship_id, seq)",
        "CREATE INDEX IF NOT EXISTS notes_author ON notes (author_id)",
    )

    @handles(M.NoteWritten)
    def written(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.note_id,
                pos,
                e.author_id,
                e.meeting_id,
                self.sealer.open(e.text, ERASED_CONTENT),
                int(e.private),
                "[]",
                at,
                at,
            ),
        )

    @handles(M.NoteRevised)
    def revised(self, c: Any, e: Any, pos: int) -> None:
        self._update(c, e, "text = ?", self.sealer.open(e.text, ERASED_CONTENT))

    @handles(M.NoteSharingChanged)
    def sharing_changed(self, c: Any, e: Any, pos: int) -> None:
        self._update(c, e, "shared_with = ?", dumps(e.shared_with))

    def _update(self, c: Any, e: Any, assignment: str, value: Any) -> None:
        c.execute(
            f"UPDATE notes SET {assignment}, updated_at = ? "
            "WHERE mentorship_id = ? AND id = ?",
            (value, iso(e.timestamp), oid(e), e.note_id),
        )

    @on_erasure
    def author_erased(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE notes SET text = ?, updated_at = ? "
            "WHERE author_id = ? AND private = 1",
            (ERASED_CONTENT, iso(e.timestamp), oid(e)),
        )


class NotesAsOf(AsOf):
    """Each note's row as of a moment."""

    @handles(M.NoteWritten)
    def note_written(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.notes[p["note_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["note_id"],
            "seq": e.sequence,
            "author_id": p["author_id"],
            "meeting_id": p["meeting_id"],
            "text": self.open_sealed(p["text"], ERASED_CONTENT),
            "private": bool(p["private"]),
            "shared_with": [],
            "created_at": at,
            "updated_at": at,
        }

    @handles(M.NoteRevised)
    def note_revised(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.notes[p["note_id"]].update(
            text=self.open_sealed(p["text"], ERASED_CONTENT), updated_at=at
        )

    @handles(M.NoteSharingChanged)
    def note_sharing_changed(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.notes[p["note_id"]].update(shared_with=list(p["shared_with"]), updated_at=at)
