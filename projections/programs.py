"""Projection of programs: the programs table; each program's metrics row."""

from __future__ import annotations

from typing import Any

from mentorlog.core.program import Program
from mentorlog.projections.base import (
    EventHandlers,
    Projection,
    append_json,
    dumps,
    handles,
    iso,
    oid,
)


class Programs(Projection):
    """Programs with their criteria, starter goals and connection plan."""

    name = "programs"
    tables = ("programs",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS programs ("
        "id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, "
        "description TEXT NOT NULL, eligibility TEXT NOT NULL, "
        "duration_months INTEGER NOT NULL, cadence_days INTEGER NOT NULL, "
        "formats TEXT NOT NULL, default_framework TEXT NOT NULL, admins TEXT NOT NULL, "
        "starter_goals TEXT NOT NULL, connection_plan TEXT NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS programs_seq ON programs (seq)",
    )

    @handles(Program.Created)
    def created(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO programs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                pos,
                e.name,
                e.description,
                dumps(e.eligibility),
                e.duration_months,
                e.cadence_days,
                dumps(e.formats),
                e.default_framework,
                dumps(e.admins),
                "[]",
                "[]",
                iso(e.timestamp),
                iso(e.timestamp),
            ),
        )

    @handles(Program.StarterGoalAdded)
    def starter_goal_added(self, c: Any, e: Any, pos: int) -> None:
        goal = {
            "id": e.goal_id,
            "title": e.title,
            "framework": e.framework,
            "fields": e.fields,
            "term": e.term,
            "locked": e.locked,
        }
        append_json(c, "programs", "starter_goals", oid(e), goal, iso(e.timestamp))

    @handles(Program.ConnectionPlanSet)
    def plan_set(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE programs SET connection_plan = ?, updated_at = ? WHERE id = ?",
            (dumps(e.meetings), iso(e.timestamp), oid(e)),
        )

    @handles(Program.AdminAdded)
    def admin_added(self, c: Any, e: Any, pos: int) -> None:
        append_json(c, "programs", "admins", oid(e), e.person_id, iso(e.timestamp))


class ProgramsMetrics(EventHandlers):
    """A new program's row of metrics (projections/program_metrics.py)."""

    @handles(Program.Created)
    def program_created(self, t: Any, e: Any, pos: int) -> None:
        t.open(oid(e), pos, iso(e.timestamp))
