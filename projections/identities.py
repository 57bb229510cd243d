"""Projection of invitations: each program's invitations and where they stand."""

from __future__ import annotations

from typing import Any

from mentorlog.core.identity import Invitation
from mentorlog.projections.base import Projection, handles, iso, oid
from mentorlog.projections.queries import Page, PageRequest, Reader, page

OPEN, REDEEMED, WITHDRAWN, EXPIRED = "open", "redeemed", "withdrawn", "expired"


class Invitations(Projection):
    """Invitations by program: whom, to which role, how, and their status."""

    name = "invitations"
    tables = ("invitations",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS invitations ("
        "id TEXT PRIMARY KEY, program_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "person_id TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, "
        "status TEXT NOT NULL, issued_by TEXT NOT NULL, issued_at TEXT NOT NULL, "
        "expires_at TEXT NOT NULL, closed_at TEXT, reason TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS invitations_program "
        "ON invitations (program_id, seq)",
    )

    @handles(Invitation.Issued)
    def issued(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO invitations VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.program_id,
                pos,
                e.person_id,
                e.role,
                "code" if e.code_hash is not None else "email",
                OPEN,
                e.actor,
                iso(e.timestamp),
                e.expires_at,
                None,
                "",
            ),
        )

    @handles(Invitation.Reissued)
    def reissued(self, c: Any, e: Any, pos: int) -> None:
        # The email's new invitation takes the row, and its place at the end.
        c.execute(
            "UPDATE invitations SET program_id = ?, seq = ?, person_id = ?, role = ?, "
            "status = ?, issued_by = ?, issued_at = ?, expires_at = ?, "
            "closed_at = NULL, reason = '' WHERE id = ?",
            (
                e.program_id,
                pos,
                e.person_id,
                e.role,
                OPEN,
                e.actor,
                iso(e.timestamp),
                e.expires_at,
                oid(e),
            ),
        )

    @handles(Invitation.Redeemed)
    def redeemed(self, c: Any, e: Any, pos: int) -> None:
        self._close(c, e, REDEEMED, "")

    @handles(Invitation.Cancelled)
    def withdrawn(self, c: Any, e: Any, pos: int) -> None:
        self._close(c, e, WITHDRAWN, e.reason)

    @staticmethod
    def _close(c: Any, e: Any, status: str, reason: str) -> None:
        c.execute(
            "UPDATE invitations SET status = ?, closed_at = ?, reason = ? WHERE id = ?",
            (status, iso(e.timestamp), reason, oid(e)),
        )


async def page_invitations(
    db: Reader, request: PageRequest, program_id: str, status: str | None, now: str
) -> Page:
    """A keyset page of a program's invitations, oldest first; `status` filters
    (an open one past its expiry counts as expired)."""
    conditions, params = ["program_id = ?"], [program_id]
    if status == OPEN:
        conditions, params = (
            [*conditions, "status = ? AND expires_at > ?"],
            [
                *params,
                OPEN,
                now,
            ],
        )
    elif status == EXPIRED:
        conditions, params = (
            [*conditions, "status = ? AND expires_at <= ?"],
            [
                *params,
                OPEN,
                now,
            ],
        )
    elif status is not None:
        conditions, params = [*conditions, "status = ?"], [*params, status]
    return await page(db, "invitations", request, conditions, params)


async def invitation_row(db: Reader, invitation_id: str) -> dict[str, Any] | None:
    """One invitation's row, or None."""
    rows = await db.fetch("SELECT * FROM invitations WHERE id = ?", [invitation_id])
    return dict(rows[0]) if rows else None
