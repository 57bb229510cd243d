"""Projection of milestones: the milestones table."""

from __future__ import annotations

from typing import Any

from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import Projection, handles, iso, oid


class Milestones(Projection):
    """Milestones reached, and how they were celebrated."""

    name = "milestones"
    tables = ("milestones",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS milestones ("
        "mentorship_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "title TEXT NOT NULL, goal_id TEXT, note TEXT NOT NULL, "
        "reached_by TEXT NOT NULL, reached_at TEXT NOT NULL, "
        "celebration TEXT, celebrated_at TEXT, "
        "PRIMARY KEY (mentorship_id, id))",
        "CREATE INDEX IF NOT EXISTS milestones_seq ON milestones (mentorship_id, seq)",
    )

    @handles(M.MilestoneReached)
    def reached(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO milestones VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.milestone_id,
                pos,
                e.title,
                e.goal_id,
                e.note,
                e.actor,
                iso(e.timestamp),
                None,
                None,
            ),
        )

    @handles(M.MilestoneCelebrated)
    def celebrated(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE milestones SET celebration = ?, celebrated_at = ? "
            "WHERE mentorship_id = ? AND id = ?",
            (e.how, iso(e.timestamp), oid(e), e.milestone_id),
        )
