"""Projection of meetings: meetings, meeting_rosters; as-of rows, metrics."""

from __future__ import annotations

import json
from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import (
    EventHandlers,
    Projection,
    dumps,
    handles,
    iso,
    oid,
)
from mentorlog.projections.mentorships import BEGINS
from mentorlog.projections.replayed import AsOf, Payload, Replayed


class Meetings(Projection):
    """Meetings: scheduled, held with shared notes and attendance, or cancelled."""

    name = "meetings"
    # v2: the time zone, place, conference link and calendar revision.
    version = 2
    tables = ("meetings", "meeting_rosters")
    interactions = {M.MeetingHeld: "meeting_held"}
    ddl = (
        "CREATE TABLE IF NOT EXISTS meetings ("
        "mentorship_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "scheduled_for TEXT NOT NULL, duration_minutes INTEGER NOT NULL, "
        "agenda TEXT NOT NULL, plan_number INTEGER, status TEXT NOT NULL, "
        "notes TEXT NOT NULL, reason TEXT NOT NULL, scheduled_by TEXT NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "attended TEXT NOT NULL, time_zone TEXT NOT NULL, location TEXT NOT NULL, "
        "conference_url TEXT NOT NULL, revision INTEGER NOT NULL, "
        "PRIMARY KEY (mentorship_id, id))",
        "CREATE INDEX IF NOT EXISTS meetings_seq ON meetings (mentorship_id, seq)",
        # Who takes part in each mentorship, to name a held meeting's attendees.
        "CREATE TABLE IF NOT EXISTS meeting_rosters ("
        "mentorship_id TEXT PRIMARY KEY, person_ids TEXT NOT NULL)",
    )

    @handles(*BEGINS)
    def proposed(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO meeting_rosters VALUES (?,?)",
            (oid(e), dumps([p["person_id"] for p in e.participants])),
        )

    @handles(M.MeetingScheduled)
    def scheduled(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "INSERT INTO meetings VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.meeting_id,
                pos,
                e.scheduled_for,
                e.duration_minutes,
                dumps(e.agenda),
                e.plan_number,
                "scheduled",
                "",
                "",
                e.actor,
                at,
                at,
                "[]",
                e.time_zone,
                e.location,
                e.conference_url,
                0,
            ),
        )

    @handles(M.MeetingRescheduled)
    def rescheduled(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE meetings SET scheduled_for = ?, time_zone = ?, location = ?, "
            "conference_url = ?, revision = revision + 1, updated_at = ? "
            "WHERE mentorship_id = ? AND id = ?",
            (
                e.scheduled_for,
                e.time_zone,
                e.location,
                e.conference_url,
                iso(e.timestamp),
                oid(e),
                e.meeting_id,
            ),
        )

    @handles(M.MeetingHeld)
    def held(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "SELECT person_ids FROM meeting_rosters WHERE mentorship_id = ?", (oid(e),)
        )
        attended = [p for p in json.loads(c.fetchone()[0]) if p not in e.absent]
        c.execute(
            "UPDATE meetings SET status = 'held', notes = ?, duration_minutes = ?, "
            "attended = ?, updated_at = ? WHERE mentorship_id = ? AND id = ?",
            (
                e.notes,
                e.duration_minutes,
                dumps(attended),
                iso(e.timestamp),
                oid(e),
                e.meeting_id,
            ),
        )

    @handles(M.MeetingCancelled)
    def cancelled(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE meetings SET status = 'cancelled', reason = ?, updated_at = ? "
            "WHERE mentorship_id = ? AND id = ?",
            (e.reason, iso(e.timestamp), oid(e), e.meeting_id),
        )


class MeetingsAsOf(AsOf):
    """Each meeting's row as of a moment."""

    @handles(M.MeetingScheduled)
    def meeting_scheduled(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.meetings[p["meeting_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["meeting_id"],
            "seq": e.sequence,
            "scheduled_for": p["scheduled_for"],
            "duration_minutes": p["duration_minutes"],
            "agenda": list(p["agenda"]),
            "plan_number": p["plan_number"],
            "status": "scheduled",
            "notes": "",
            "reason": "",
            "scheduled_by": e.actor,
            "created_at": at,
            "updated_at": at,
            "attended": [],
            "time_zone": p.get("time_zone", "UTC"),
            "location": p.get("location", ""),
            "conference_url": p.get("conference_url", ""),
            "revision": 0,
        }

    @handles(M.MeetingRescheduled)
    def meeting_rescheduled(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        meeting = s.meetings[p["meeting_id"]]
        meeting.update(
            scheduled_for=p["scheduled_for"],
            time_zone=p["time_zone"],
            location=p["location"],
            conference_url=p["conference_url"],
            revision=meeting["revision"] + 1,
            updated_at=at,
        )

    @handles(M.MeetingHeld)
    def meeting_held(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        everyone = [x["person_id"] for x in s.participants]
        s.meetings[p["meeting_id"]].update(
            status="held",
            notes=p["notes"],
            duration_minutes=p["duration_minutes"],
            attended=[x for x in everyone if x not in p.get("absent", [])],
            updated_at=at,
        )

    @handles(M.MeetingCancelled)
    def meeting_cancelled(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.meetings[p["meeting_id"]].update(
            status="cancelled", reason=p["reason"], updated_at=at
        )


class MeetingsMetrics(EventHandlers):
    """What a held meeting adds to its program's metrics (program_metrics.py)."""

    @handles(M.MeetingHeld)
    def meeting_held(self, t: Any, e: Any, pos: int) -> None:
        t.count(e, meetings_held=1)
