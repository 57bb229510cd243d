"""Projection of mentorships and agreements: the mentorships and participants tables."""

from __future__ import annotations

import json
from typing import Any

from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import Projection, dumps, handles, iso, oid

STATUS_OF = {
    M.Started: "active",
    M.Paused: "paused",
    M.Resumed: "active",
    M.Completed: "completed",
    M.Ended: "ended",
}


class Mentorships(Projection):
    """One row per mentorship, plus its participants."""

    name = "mentorships"
    tables = ("mentorships", "participants")
    ddl = (
        "CREATE TABLE IF NOT EXISTS mentorships ("
        "id TEXT PRIMARY KEY, seq INTEGER NOT NULL, program_id TEXT NOT NULL, "
        "format TEXT NOT NULL, purpose TEXT NOT NULL, status TEXT NOT NULL, "
        "status_reason TEXT NOT NULL, agreement TEXT, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, started_at TEXT, closed_at TEXT, "
        "updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS mentorships_program "
        "ON mentorships (program_id, seq)",
        "CREATE INDEX IF NOT EXISTS mentorships_status ON mentorships (status, seq)",
        "CREATE TABLE IF NOT EXISTS participants ("
        "mentorship_id TEXT NOT NULL, person_id TEXT NOT NULL, role TEXT NOT NULL, "
        "side TEXT NOT NULL, position INTEGER NOT NULL, "
        "PRIMARY KEY (mentorship_id, person_id))",
        "CREATE INDEX IF NOT EXISTS participants_person ON participants (person_id)",
    )

    @handles(M.Proposed)
    def proposed(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "INSERT INTO mentorships VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                pos,
                e.program_id,
                e.format,
                e.purpose,
                "proposed",
                "",
                None,
                e.originator_version,
                at,
                None,
                None,
                at,
            ),
        )
        c.executemany(
            "INSERT INTO participants VALUES (?,?,?,?,?)",
            [
                (oid(e), p["person_id"], p["role"], p["side"], i)
                for i, p in enumerate(e.participants)
            ],
        )

    @handles(*STATUS_OF)
    def status_changed(self, c: Any, e: Any, pos: int) -> None:
        status = STATUS_OF[type(e)]
        reason = getattr(e, "reason", None) or getattr(e, "note", "") or ""
        at = iso(e.timestamp)
        c.execute(
            "UPDATE mentorships SET status = ?, status_reason = ?, version = ?, "
            "updated_at = ?, "
            "started_at = CASE WHEN ? THEN ? ELSE started_at END, "
            "closed_at = CASE WHEN ? THEN ? ELSE closed_at END WHERE id = ?",
            (
                status,
                reason,
                e.originator_version,
                at,
                isinstance(e, M.Started),
                at,
                status in ("completed", "ended"),
                at,
                oid(e),
            ),
        )

    @handles(M.AgreementRecorded)
    def agreement_recorded(self, c: Any, e: Any, pos: int) -> None:
        agreement = {
            "communication": e.communication,
            "confidentiality": e.confidentiality,
            "schedule": e.schedule,
            "outcomes": e.outcomes,
            "recorded_by": e.actor,
            "recorded_at": iso(e.timestamp),
            "signatures": [],
        }
        self._set_agreement(c, e, agreement)

    @handles(M.AgreementSigned)
    def agreement_signed(self, c: Any, e: Any, pos: int) -> None:
        c.execute("SELECT agreement FROM mentorships WHERE id = ?", (oid(e),))
        agreement = json.loads(c.fetchone()[0])
        agreement["signatures"].append(
            {"person_id": e.person_id, "signed_at": iso(e.timestamp)}
        )
        self._set_agreement(c, e, agreement)

    def _set_agreement(self, c: Any, e: Any, agreement: dict[str, Any]) -> None:
        c.execute(
            "UPDATE mentorships SET agreement = ?, version = ?, updated_at = ? "
            "WHERE id = ?",
            (dumps(agreement), e.originator_version, iso(e.timestamp), oid(e)),
        )
