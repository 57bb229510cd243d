"""Projection of milestones: the milestones table; their as-of rows."""

from __future__ import annotations

from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import Projection, handles, iso, oid
from mentorlog.projections.replayed import AsOf, Payload, Replayed


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


class MilestonesAsOf(AsOf):
    """Each milestone's row as of a moment."""

    @handles(M.MilestoneReached)
    def milestone_reached(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.milestones[p["milestone_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["milestone_id"],
            "seq": e.sequence,
            "title": p["title"],
            "goal_id": p["goal_id"],
            "note": p["note"],
            "reached_by": e.actor,
            "reached_at": at,
            "celebration": None,
            "celebrated_at": None,
        }

    @handles(M.MilestoneCelebrated)
    def milestone_celebrated(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.milestones[p["milestone_id"]].update(celebration=p["how"], celebrated_at=at)
