"""Projection of goals: the goals table; their as-of rows, metrics, interactions."""

from __future__ import annotations

from typing import Any

from mentorlog.core.history import HistoryEntry
from mentorlog.core.mentorship import Mentorship as M
from mentorlog.projections.base import (
    ERASED_CONTENT,
    EventHandlers,
    Projection,
    dumps,
    handles,
    iso,
    oid,
)
from mentorlog.projections.people import on_erasure
from mentorlog.projections.replayed import AsOf, Payload, Replayed


class Goals(Projection):
    """Each goal's current fields, status, progress and whom it is shared with."""

    name = "goals"
    # v2: shared_with; status notes of private goals are sealed (opened here).
    version = 2
    tables = ("goals",)
    interactions = {
        M.GoalProgressRecorded: "goal_progress",
        M.GoalAchieved: "goal_achieved",
    }
    ddl = (
        "CREATE TABLE IF NOT EXISTS goals ("
        "mentorship_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "title TEXT NOT NULL, framework TEXT NOT NULL, fields TEXT NOT NULL, "
        "term TEXT NOT NULL, private INTEGER NOT NULL, owner_id TEXT, "
        "starter_goal_id TEXT, locked INTEGER NOT NULL, status TEXT NOT NULL, "
        "progress REAL NOT NULL, set_by TEXT NOT NULL, status_note TEXT NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "shared_with TEXT NOT NULL, "
        "PRIMARY KEY (mentorship_id, id))",
        "CREATE INDEX IF NOT EXISTS goals_seq ON goals (mentorship_id, seq)",
    )

    def _open(self, e: Any) -> tuple[str, str]:
        """A goal's title and fields as JSON, opened if sealed, blanked if erased."""
        title = self.sealer.open(e.title, ERASED_CONTENT)
        fields = self.sealer.open(e.fields, {})
        return title, dumps(fields)

    @handles(M.GoalSet)
    def goal_set(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        title, fields = self._open(e)
        c.execute(
            "INSERT INTO goals VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.goal_id,
                pos,
                title,
                e.framework,
                fields,
                e.term,
                int(e.private),
                e.owner_id,
                e.starter_goal_id,
                int(e.locked),
                "open",
                0.0,
                e.actor,
                "",
                at,
                at,
                "[]",
            ),
        )

    @handles(M.GoalRevised)
    def goal_revised(self, c: Any, e: Any, pos: int) -> None:
        self._update(c, e, "title = ?, fields = ?", self._open(e))

    @handles(M.GoalProgressRecorded)
    def progress_recorded(self, c: Any, e: Any, pos: int) -> None:
        self._update(c, e, "progress = ?", (e.progress,))

    @handles(M.GoalAchieved)
    def achieved(self, c: Any, e: Any, pos: int) -> None:
        note = self.sealer.open(e.note, ERASED_CONTENT)
        self._update(
            c, e, "status = 'achieved', progress = 100.0, status_note = ?", (note,)
        )

    @handles(M.GoalAbandoned)
    def abandoned(self, c: Any, e: Any, pos: int) -> None:
        reason = self.sealer.open(e.reason, ERASED_CONTENT)
        self._update(c, e, "status = 'abandoned', status_note = ?", (reason,))

    @handles(M.GoalSharingChanged)
    def sharing_changed(self, c: Any, e: Any, pos: int) -> None:
        self._update(c, e, "shared_with = ?", (dumps(e.shared_with),))

    def _update(
        self, c: Any, e: Any, assignments: str, values: tuple[Any, ...]
    ) -> None:
        c.execute(
            f"UPDATE goals SET {assignments}, updated_at = ? "
            "WHERE mentorship_id = ? AND id = ?",
            (*values, iso(e.timestamp), oid(e), e.goal_id),
        )

    @on_erasure
    def owner_erased(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE goals SET title = ?, fields = '{}', "
            "status_note = CASE WHEN status_note = '' THEN '' ELSE ? END, "
            "updated_at = ? WHERE owner_id = ? AND private = 1",
            (ERASED_CONTENT, ERASED_CONTENT, iso(e.timestamp), oid(e)),
        )


class GoalsAsOf(AsOf):
    """Each goal's row as of a moment."""

    @handles(M.GoalSet)
    def goal_set(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]] = {
            "mentorship_id": s.mentorship["id"],
            "id": p["goal_id"],
            "seq": e.sequence,
            "title": self.open_sealed(p["title"], ERASED_CONTENT),
            "framework": p["framework"],
            "fields": self.open_sealed(p["fields"], {}),
            "term": p["term"],
            "private": bool(p["private"]),
            "owner_id": p["owner_id"],
            "starter_goal_id": p["starter_goal_id"],
            "locked": bool(p["locked"]),
            "status": "open",
            "progress": 0.0,
            "set_by": e.actor,
            "status_note": "",
            "created_at": at,
            "updated_at": at,
            "shared_with": [],
        }

    @handles(M.GoalRevised)
    def goal_revised(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]].update(
            title=self.open_sealed(p["title"], ERASED_CONTENT),
            fields=self.open_sealed(p["fields"], {}),
            updated_at=at,
        )

    @handles(M.GoalProgressRecorded)
    def goal_progress_recorded(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.goals[p["goal_id"]].update(progress=p["progress"], updated_at=at)

    @handles(M.GoalAchieved)
    def goal_achieved(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]].update(
            status="achieved",
            progress=100.0,
            status_note=self.open_sealed(p["note"], ERASED_CONTENT),
            updated_at=at,
        )

    @handles(M.GoalAbandoned)
    def goal_abandoned(self, s: Replayed, e: HistoryEntry, p: Payload, at: str) -> None:
        s.goals[p["goal_id"]].update(
            status="abandoned",
            status_note=self.open_sealed(p["reason"], ERASED_CONTENT),
            updated_at=at,
        )

    @handles(M.GoalSharingChanged)
    def goal_sharing_changed(
        self, s: Replayed, e: HistoryEntry, p: Payload, at: str
    ) -> None:
        s.goals[p["goal_id"]].update(shared_with=list(p["shared_with"]), updated_at=at)


class GoalsMetrics(EventHandlers):
    """What goal events add to their program's metrics (program_metrics.py)."""

    @handles(M.GoalSet)
    def goal_set(self, t: Any, e: Any, pos: int) -> None:
        t.count(e, goals_set=1)

    @handles(M.GoalAchieved)
    def goal_achieved(self, t: Any, e: Any, pos: int) -> None:
        t.count(e, goals_achieved=1)

    @handles(M.GoalAbandoned)
    def goal_abandoned(self, t: Any, e: Any, pos: int) -> None:
        t.count(e, goals_abandoned=1)
