"""Projection of mentorships and agreements: mentorships, participants; as-of rows."""

from __future__ import annotations

import json
from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.core.privacy import SEALED, is_sealed
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

# The status each lifecycle event leaves a mentorship in. The tables that follow
# every mentorship (activity, program_metrics, meeting rosters, the as-of replay) go
# by it: the proposal BEGINS a mentorship, the other events are MOVES.
STATUS_OF: dict[type, str] = {
    M.Proposed: "proposed",
    M.Started: "active",
    M.Paused: "paused",
    M.Resumed: "active",
    M.Completed: "completed",
    M.Ended: "ended",
    M.Withdrawn: "withdrawn",
    M.ProposalDeclined: "declined",
}
# The statuses a mentorship closes in (nothing new can be added after them).
CLOSED = ("completed", "ended", "withdrawn", "declined")
BEGINS = [cls for cls, status in STATUS_OF.items() if status == "proposed"]
MOVES = [cls for cls in STATUS_OF if cls not in BEGINS]


class Mentorships(Projection):
    """One row per mentorship, plus its participants."""

    name = "mentorships"
    # v2: proposals withdrawn or declined close; the match a proposal was made with.
    # v3: a purpose sealed with a mentee's key (quoting their request) is opened,
    # and blanked once they are erased (purpose_owner).
    version = 3
    tables = ("mentorships", "participants", "mentorship_matches")
    ddl = (
        "CREATE TABLE IF NOT EXISTS mentorships ("
        "id TEXT PRIMARY KEY, seq INTEGER NOT NULL, program_id TEXT NOT NULL, "
        "format TEXT NOT NULL, purpose TEXT NOT NULL, status TEXT NOT NULL, "
        "status_reason TEXT NOT NULL, agreement TEXT, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, started_at TEXT, closed_at TEXT, "
        "updated_at TEXT NOT NULL, purpose_owner TEXT)",
        "CREATE INDEX IF NOT EXISTS mentorships_program "
        "ON mentorships (program_id, seq)",
        "CREATE INDEX IF NOT EXISTS mentorships_status ON mentorships (status, seq)",
        # Keyset pages in seq order, all and by format, without a sort.
        "CREATE INDEX IF NOT EXISTS mentorships_seq ON mentorships (seq)",
        "CREATE INDEX IF NOT EXISTS mentorships_format ON mentorships (format, seq)",
        "CREATE TABLE IF NOT EXISTS participants ("
        "mentorship_id TEXT NOT NULL, person_id TEXT NOT NULL, role TEXT NOT NULL, "
        "side TEXT NOT NULL, position INTEGER NOT NULL, "
        "PRIMARY KEY (mentorship_id, person_id))",
        "CREATE INDEX IF NOT EXISTS participants_person ON participants (person_id)",
        "CREATE TABLE IF NOT EXISTS mentorship_matches ("
        "mentorship_id TEXT PRIMARY KEY, total REAL NOT NULL, "
        "contributions TEXT NOT NULL)",
    )

    @handles(M.Proposed)
    def proposed(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "INSERT INTO mentorships VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                pos,
                e.program_id,
                e.format,
                self.sealer.open(e.purpose, ERASED_CONTENT),
                "proposed",
                "",
                None,
                e.originator_version,
                at,
                None,
                None,
                at,
                purpose_owner(e.purpose),
            ),
        )
        c.executemany(
            "INSERT INTO participants VALUES (?,?,?,?,?)",
            [
                (oid(e), p["person_id"], p["role"], p["side"], i)
                for i, p in enumerate(e.participants)
            ],
        )

    @handles(*MOVES)
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
                status in CLOSED,
                at,
                oid(e),
            ),
        )

    @handles(M.MatchScored)
    def match_scored(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO mentorship_matches VALUES (?,?,?)",
            (oid(e), e.total, dumps(e.contributions)),
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

    @on_erasure
    def purpose_owner_erased(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE mentorships SET purpose = ? WHERE purpose_owner = ?",
            (ERASED_CONTENT, oid(e)),
        )


def purpose_owner(purpose: Any) -> str | None:
    """Whose key a sealed purpose is sealed with; None for a plain one."""
    return str(purpose[SEALED]) if is_sealed(purpose) else None


class MentorshipsAsOf(AsOf):
    """A mentorship's own row, participants and agreement as of a moment."""

    @handles(M.Proposed)
    def proposed(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.mentorship = {
            "id": s.mentorship["id"],
            "seq": e.sequence,
            "program_id": p["program_id"],
            "format": p["format"],
            "purpose": self.open_sealed(p["purpose"], ERASED_CONTENT),
            "status": "proposed",
            "status_reason": "",
            "agreement": None,
            "version": e.sequence,
            "created_at": at,
            "started_at": None,
            "closed_at": None,
            "updated_at": at,
            "purpose_owner": purpose_owner(p["purpose"]),
        }
        s.participants = [
            {
                "mentorship_id": s.mentorship["id"],
                "person_id": x["person_id"],
                "role": x["role"],
                "side": x["side"],
                "position": i,
            }
            for i, x in enumerate(p["participants"])
        ]

    @handles(*MOVES)
    def status_changed(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        cls = getattr(M, e.type)
        status = STATUS_OF[cls]
        s.mentorship.update(
            status=status,
            status_reason=p.get("reason") or p.get("note") or "",
            version=e.sequence,
            updated_at=at,
        )
        if cls is M.Started:
            s.mentorship["started_at"] = at
        if status in CLOSED:
            s.mentorship["closed_at"] = at

    @handles(M.AgreementRecorded)
    def agreement_recorded(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.mentorship.update(
            agreement={
                "communication": p["communication"],
                "confidentiality": p["confidentiality"],
                "schedule": p["schedule"],
                "outcomes": list(p["outcomes"]),
                "recorded_by": e.actor,
                "recorded_at": at,
                "signatures": [],
            },
            version=e.sequence,
            updated_at=at,
        )

    @handles(M.AgreementSigned)
    def agreement_signed(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        agreement = s.mentorship["agreement"]
        agreement["signatures"] = [
            *agreement["signatures"],
            {"person_id": p["person_id"], "signed_at": at},
        ]
        s.mentorship.update(version=e.sequence, updated_at=at)
