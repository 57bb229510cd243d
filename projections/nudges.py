"""Projection of nudges: each program's rules, and each nudge with its last try.

`nudge_rules` holds the rules a program's admins set; `nudges` each nudge sent
in a mentorship (to whom, by which rule, on which channel) and how its last try
went, which the worker reads to find the retries due and the API to show them.
The mentorship's aggregate stays the authority on whether a nudge was sent: the
worker only uses these rows to find candidates.
"""

from __future__ import annotations

import json
from typing import Any

from mentorlog.core.mentorship import Mentorship as M
from mentorlog.core.nudges import DELIVERED, FAILED, RETRYING, SENDING
from mentorlog.core.program import Program
from mentorlog.projections.base import Projection, dumps, handles, iso, oid
from mentorlog.projections.queries import Reader, Row


class Nudges(Projection):
    """Programs' nudge rules, and the nudges sent with their delivery status."""

    name = "nudges"
    tables = ("nudge_rules", "nudges")
    ddl = (
        "CREATE TABLE IF NOT EXISTS nudge_rules ("
        "program_id TEXT PRIMARY KEY, quiet_after_days INTEGER, "
        "meeting_reminder_hours INTEGER, agreement_unsigned_days INTEGER, "
        "channels TEXT NOT NULL, set_by TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS nudges ("
        "mentorship_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "rule TEXT NOT NULL, person_id TEXT NOT NULL, channel TEXT NOT NULL, "
        "meeting_id TEXT, occasion TEXT NOT NULL, status TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, last_error TEXT NOT NULL, retry_at TEXT, "
        "claimed_at TEXT NOT NULL, created_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (mentorship_id, id))",
        "CREATE INDEX IF NOT EXISTS nudges_status ON nudges (status, retry_at)",
        "CREATE INDEX IF NOT EXISTS nudges_seq ON nudges (mentorship_id, seq)",
    )

    @handles(Program.NudgeRulesSet)
    def rules_set(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO nudge_rules VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT (program_id) DO UPDATE SET "
            "quiet_after_days = excluded.quiet_after_days, "
            "meeting_reminder_hours = excluded.meeting_reminder_hours, "
            "agreement_unsigned_days = excluded.agreement_unsigned_days, "
            "channels = excluded.channels, set_by = excluded.set_by, "
            "updated_at = excluded.updated_at",
            (
                oid(e),
                e.quiet_after_days,
                e.meeting_reminder_hours,
                e.agreement_unsigned_days,
                dumps(e.channels),
                e.actor,
                iso(e.timestamp),
            ),
        )

    @handles(M.NudgeSent)
    def sent(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "INSERT INTO nudges VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (oid(e), e.nudge_id, e.originator_version, e.rule, e.person_id)
            + (e.channel, e.meeting_id, e.occasion, SENDING, 1, "", None, at, at, at),
        )

    @handles(M.NudgeDelivered)
    def delivered(self, c: Any, e: Any, pos: int) -> None:
        self._update(c, e, DELIVERED, "", None)

    @handles(M.NudgeFailed)
    def failed(self, c: Any, e: Any, pos: int) -> None:
        status = RETRYING if e.retry_at else FAILED
        self._update(c, e, status, e.error, e.retry_at)

    @handles(M.NudgeRetried)
    def retried(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "UPDATE nudges SET status = ?, attempts = ?, retry_at = NULL, "
            "claimed_at = ?, updated_at = ? WHERE mentorship_id = ? AND id = ?",
            (SENDING, e.attempt, at, at, oid(e), e.nudge_id),
        )

    @staticmethod
    def _update(c: Any, e: Any, status: str, error: str, retry_at: str | None) -> None:
        c.execute(
            "UPDATE nudges SET status = ?, last_error = ?, retry_at = ?, "
            "updated_at = ? WHERE mentorship_id = ? AND id = ?",
            (status, error, retry_at, iso(e.timestamp), oid(e), e.nudge_id),
        )


# -- reads for the API ---------------------------------------------------------------


async def rules_of(db: Reader, program_id: str) -> Row | None:
    """A program's nudge rules (channels decoded), or None if never set."""
    rows = await db.fetch(
        "SELECT quiet_after_days, meeting_reminder_hours, agreement_unsigned_days, "
        "channels, updated_at FROM nudge_rules WHERE program_id = ?",
        (program_id,),
    )
    if not rows:
        return None
    row = dict(rows[0])
    row["channels"] = json.loads(row["channels"])
    return row
