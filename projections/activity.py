"""Projection of each mentorship's last interaction, for nudges: the activity table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mentorlog.projections.base import Projection, handles, iso, oid
from mentorlog.projections.feedback import Feedback
from mentorlog.projections.goals import Goals
from mentorlog.projections.meetings import Meetings
from mentorlog.projections.mentorships import BEGINS, MOVES, STATUS_OF
from mentorlog.projections.reviews import Reviews

# The events that count as the participants interacting, and their kind, as each
# feature's projection declares them.
KIND_OF = {
    cls: kind
    for feature in (Meetings, Reviews, Goals, Feedback)
    for cls, kind in feature.interactions.items()
}


def days_since(moment: str, now: datetime) -> int:
    """Whole days from an ISO timestamp column to now (never negative)."""
    return max((now - datetime.fromisoformat(moment)).days, 0)


class Activity(Projection):
    """Per mentorship: the last interaction, its kind, and since when it is quiet.

    `quiet_since` is the last interaction, or the start or resumption if later:
    time paused or waiting as a proposal does not count towards a nudge. Days
    since are counted when read (see days_since), as they grow without events.
    """

    name = "activity"
    tables = ("activity",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS activity ("
        "mentorship_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
        "program_id TEXT NOT NULL, status TEXT NOT NULL, last_kind TEXT, "
        "last_at TEXT, last_by TEXT, quiet_since TEXT NOT NULL, "
        "interactions INTEGER NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS activity_quiet ON activity (status, quiet_since)",
        "CREATE INDEX IF NOT EXISTS activity_program "
        "ON activity (program_id, quiet_since)",
    )

    @handles(*BEGINS)
    def proposed(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "INSERT INTO activity VALUES (?,?,?,?,?,?,?,?,?,?)",
            (oid(e), pos, e.program_id, "proposed", None, None, None, at, 0, at),
        )

    @handles(*MOVES)
    def status_changed(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        status = STATUS_OF[type(e)]
        restarts = status == "active"  # started or resumed: quiet from now
        c.execute(
            "UPDATE activity SET status = ?, updated_at = ?, "
            "quiet_since = CASE WHEN ? THEN ? ELSE quiet_since END "
            "WHERE mentorship_id = ?",
            (status, at, restarts, at, oid(e)),
        )

    @handles(*KIND_OF)
    def interacted(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.execute(
            "UPDATE activity SET last_kind = ?, last_at = ?, last_by = ?, "
            "quiet_since = ?, interactions = interactions + 1, updated_at = ? "
            "WHERE mentorship_id = ?",
            (KIND_OF[type(e)], at, e.actor, at, at, oid(e)),
        )
