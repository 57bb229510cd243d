"""Projection of program metrics: completion, satisfaction, goals and meetings."""

from __future__ import annotations

from typing import Any

from mentorlog.core.mentorship import Mentorship as M
from mentorlog.core.program import Program
from mentorlog.projections.base import Projection, handles, iso, oid
from mentorlog.projections.mentorships import STATUS_OF

STATUSES = ("proposed", "active", "paused", "completed", "ended")
COUNTS = (
    *STATUSES,
    "reviews",
    "review_rating_sum",
    "rated_feedback",
    "feedback_rating_sum",
    "goals_set",
    "goals_achieved",
    "goals_abandoned",
    "meetings_held",
)
RATES = ("completion_rate", "avg_progress_rating", "satisfaction", "goal_rate")


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def rates(row: dict[str, int]) -> dict[str, float | None]:
    """The derived figures of a program's counts."""
    return {
        # Of the mentorships that closed, how many completed rather than ended.
        "completion_rate": ratio(row["completed"], row["completed"] + row["ended"]),
        "avg_progress_rating": ratio(row["review_rating_sum"], row["reviews"]),
        # Satisfaction: the average rating of feedback that carried one (1-5).
        "satisfaction": ratio(row["feedback_rating_sum"], row["rated_feedback"]),
        "goal_rate": ratio(row["goals_achieved"], row["goals_set"]),
    }


class ProgramMetrics(Projection):
    """Per program: mentorships by status, completion, ratings, goals, meetings."""

    name = "program_metrics"
    tables = ("program_metrics", "program_metrics_mentorships")
    ddl = (
        "CREATE TABLE IF NOT EXISTS program_metrics ("
        "program_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
        + "".join(f"{name} INTEGER NOT NULL, " for name in COUNTS)
        + "".join(f"{name} REAL, " for name in RATES)
        + "updated_at TEXT NOT NULL)",
        # Each mentorship's program and status, to move it between counts.
        "CREATE TABLE IF NOT EXISTS program_metrics_mentorships ("
        "mentorship_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, "
        "status TEXT NOT NULL)",
    )

    @handles(Program.Created)
    def program_created(self, c: Any, e: Any, pos: int) -> None:
        values = (oid(e), pos, *(0 for _ in COUNTS), *(None for _ in RATES))
        c.execute(
            f"INSERT INTO program_metrics VALUES ({','.join('?' * (len(values) + 1))})",
            (*values, iso(e.timestamp)),
        )

    @handles(M.Proposed)
    def proposed(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO program_metrics_mentorships VALUES (?,?,?)",
            (oid(e), e.program_id, "proposed"),
        )
        self._add(c, e.program_id, e, proposed=1)

    @handles(*STATUS_OF)
    def status_changed(self, c: Any, e: Any, pos: int) -> None:
        program_id, old = self._mentorship(c, e)
        new = STATUS_OF[type(e)]
        c.execute(
            "UPDATE program_metrics_mentorships SET status = ? WHERE mentorship_id = ?",
            (new, oid(e)),
        )
        if new != old:
            self._add(c, program_id, e, **{old: -1, new: 1})

    @handles(M.ReviewRecorded)
    def review_recorded(self, c: Any, e: Any, pos: int) -> None:
        program_id, _ = self._mentorship(c, e)
        self._add(c, program_id, e, reviews=1, review_rating_sum=e.progress_rating)

    @handles(M.FeedbackGiven)
    def feedback_given(self, c: Any, e: Any, pos: int) -> None:
        if e.rating is None:
            return
        program_id, _ = self._mentorship(c, e)
        self._add(c, program_id, e, rated_feedback=1, feedback_rating_sum=e.rating)

    @handles(M.GoalSet)
    def goal_set(self, c: Any, e: Any, pos: int) -> None:
        self._add(c, self._mentorship(c, e)[0], e, goals_set=1)

    @handles(M.GoalAchieved)
    def goal_achieved(self, c: Any, e: Any, pos: int) -> None:
        self._add(c, self._mentorship(c, e)[0], e, goals_achieved=1)

    @handles(M.GoalAbandoned)
    def goal_abandoned(self, c: Any, e: Any, pos: int) -> None:
        self._add(c, self._mentorship(c, e)[0], e, goals_abandoned=1)

    @handles(M.MeetingHeld)
    def meeting_held(self, c: Any, e: Any, pos: int) -> None:
        self._add(c, self._mentorship(c, e)[0], e, meetings_held=1)

    def _mentorship(self, c: Any, e: Any) -> tuple[str, str]:
        """The program and current status of the event's mentorship."""
        c.execute(
            "SELECT program_id, status FROM program_metrics_mentorships "
            "WHERE mentorship_id = ?",
            (oid(e),),
        )
        program_id, status = c.fetchone()
        return str(program_id), str(status)

    def _add(self, c: Any, program_id: str, e: Any, **deltas: int) -> None:
        """Add to a program's counts and recompute its rates from them."""
        c.execute(
            f"SELECT {', '.join(COUNTS)} FROM program_metrics WHERE program_id = ?",
            (program_id,),
        )
        row = dict(zip(COUNTS, c.fetchone(), strict=True))
        for name, delta in deltas.items():
            row[name] += delta
        derived = rates(row)
        columns = [*COUNTS, *RATES]
        c.execute(
            f"UPDATE program_metrics SET {', '.join(f'{n} = ?' for n in columns)}, "
            "updated_at = ? WHERE program_id = ?",
            (
                *(row[n] for n in COUNTS),
                *(derived[n] for n in RATES),
                iso(e.timestamp),
                program_id,
            ),
        )
