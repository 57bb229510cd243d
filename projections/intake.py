"""Projection of programs' intakes: intakes, enrolments, mentor_requests.

Answers, messages and reasons are opened as they are applied (sealed with a
person's key, or plain in events stored before that), and blanked when their
person is erased: answers read {}, a text "[erased]".
"""

from __future__ import annotations

from typing import Any

from mentorlog.core.intake import Intake
from mentorlog.projections.base import (
    ERASED_CONTENT,
    Projection,
    dumps,
    handles,
    iso,
    oid,
)
from mentorlog.projections.people import on_erasure


class Intakes(Projection):
    """Each program's intake settings, its applications, and mentees' requests."""

    name = "intake"
    # v2: answers, messages and reasons are opened; an erased person's blanked.
    version = 2
    tables = ("intakes", "enrolments", "mentor_requests")
    ddl = (
        "CREATE TABLE IF NOT EXISTS intakes ("
        "id TEXT PRIMARY KEY, program_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "is_open INTEGER NOT NULL, cohort_start TEXT, cohort_end TEXT, "
        "mentor_places INTEGER, mentee_places INTEGER, questions TEXT NOT NULL, "
        "request_days INTEGER NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS enrolments ("
        "intake_id TEXT NOT NULL, person_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "side TEXT NOT NULL, answers TEXT NOT NULL, status TEXT NOT NULL, "
        "reason TEXT NOT NULL, waitlisted_seq INTEGER, applied_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (intake_id, person_id))",
        "CREATE INDEX IF NOT EXISTS enrolments_seq ON enrolments (intake_id, seq)",
        "CREATE TABLE IF NOT EXISTS mentor_requests ("
        "intake_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "mentee_id TEXT NOT NULL, mentor_id TEXT NOT NULL, message TEXT NOT NULL, "
        "expires_at TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, "
        "mentorship_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (intake_id, id))",
    )

    @handles(Intake.Created)
    def created(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO intakes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.program_id,
                pos,
                int(e.is_open),
                e.cohort_start,
                e.cohort_end,
                e.mentor_places,
                e.mentee_places,
                dumps(e.questions),
                e.request_days,
                iso(e.timestamp),
            ),
        )

    @handles(Intake.SettingsSet)
    def settings_set(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE intakes SET is_open = ?, cohort_start = ?, cohort_end = ?, "
            "mentor_places = ?, mentee_places = ?, questions = ?, request_days = ?, "
            "updated_at = ? WHERE id = ?",
            (
                int(e.is_open),
                e.cohort_start,
                e.cohort_end,
                e.mentor_places,
                e.mentee_places,
                dumps(e.questions),
                e.request_days,
                iso(e.timestamp),
                oid(e),
            ),
        )

    @handles(Intake.Applied)
    def applied(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        # Someone who left may apply again: the new application replaces the old.
        c.execute(
            "DELETE FROM enrolments WHERE intake_id = ? AND person_id = ?",
            (oid(e), e.person_id),
        )
        c.execute(
            "INSERT INTO enrolments VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.person_id,
                pos,
                e.side,
                dumps(self.sealer.open(e.answers, {})),
                "applied",
                "",
                None,
                at,
                at,
            ),
        )

    def _status(self, c: Any, e: Any, status: str, reason: Any = "") -> None:
        c.execute(
            "UPDATE enrolments SET status = ?, reason = ?, updated_at = ?, "
            "waitlisted_seq = CASE WHEN ? THEN ? ELSE waitlisted_seq END "
            "WHERE intake_id = ? AND person_id = ?",
            (
                status,
                self.sealer.open(reason, ERASED_CONTENT),
                iso(e.timestamp),
                status == "waitlisted",
                e.originator_version,
                oid(e),
                e.person_id,
            ),
        )

    @handles(Intake.Enrolled)
    def enrolled(self, c: Any, e: Any, pos: int) -> None:
        self._status(c, e, "enrolled")

    @handles(Intake.Waitlisted)
    def waitlisted(self, c: Any, e: Any, pos: int) -> None:
        self._status(c, e, "waitlisted")

    @handles(Intake.Declined)
    def declined(self, c: Any, e: Any, pos: int) -> None:
        self._status(c, e, "declined", e.reason)

    @handles(Intake.Left)
    def left(self, c: Any, e: Any, pos: int) -> None:
        self._status(c, e, "left", e.reason)

    @handles(Intake.MentorRequested)
    def requested(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "INSERT INTO mentor_requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.request_id,
                pos,
                e.mentee_id,
                e.mentor_id,
                self.sealer.open(e.message, ERASED_CONTENT),
                e.expires_at,
                "pending",
                "",
                None,
                at,
                at,
            ),
        )

    @handles(Intake.RequestAccepted)
    def accepted(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE mentor_requests SET status = ?, mentorship_id = ?, updated_at = ? "
            "WHERE intake_id = ? AND id = ?",
            ("accepted", e.mentorship_id, iso(e.timestamp), oid(e), e.request_id),
        )

    @handles(Intake.RequestDeclined)
    def request_declined(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE mentor_requests SET status = ?, reason = ?, updated_at = ? "
            "WHERE intake_id = ? AND id = ?",
            (
                "declined",
                self.sealer.open(e.reason, ERASED_CONTENT),
                iso(e.timestamp),
                oid(e),
                e.request_id,
            ),
        )

    @on_erasure
    def person_erased(self, c: Any, e: Any, pos: int) -> None:
        # Also what they wrote before it was sealed (plain in older events).
        person, at = oid(e), iso(e.timestamp)
        c.execute(
            "UPDATE enrolments SET answers = ?, updated_at = ?, "
            "reason = CASE WHEN reason = '' THEN reason ELSE ? END "
            "WHERE person_id = ?",
            ("{}", at, ERASED_CONTENT, person),
        )
        for column, author in (("message", "mentee_id"), ("reason", "mentor_id")):
            c.execute(
                f"UPDATE mentor_requests SET {column} = ?, updated_at = ? "
                f"WHERE {author} = ? AND {column} <> ''",
                (ERASED_CONTENT, at, person),
            )
