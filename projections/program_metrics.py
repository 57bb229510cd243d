"""Projection of program metrics: program_metrics, program_metrics_mentorships."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from mentorlog.projections.base import Projection, handles, iso, oid
from mentorlog.projections.feedback import FeedbackMetrics
from mentorlog.projections.goals import GoalsMetrics
from mentorlog.projections.meetings import MeetingsMetrics
from mentorlog.projections.mentorships import BEGINS, MOVES, STATUS_OF
from mentorlog.projections.programs import ProgramsMetrics
from mentorlog.projections.reviews import ReviewsMetrics

# A mentorship ended for a rematch counts as rematched, not as ended; a proposal
# withdrawn or declined never started, and counts as neither.
STATUSES = (
    "proposed",
    "active",
    "paused",
    "completed",
    "ended",
    "withdrawn",
    "declined",
    "rematched",
)
REMATCH = "rematch"
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


class Tally:
    """A page's changes to the metrics, summed in memory and written once.

    Each mentorship's program and status are read once (or learnt from its
    proposal) and kept; each program's counts get the page's deltas added and its
    rates recomputed in one UPDATE, stamped with the last event that changed them.
    The rows end as the events applied one at a time would leave them.
    """

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.mentorships: dict[str, tuple[str, str]] = {}  # id: (program, status)
        # Mentorships whose row is new, and known ones whose status changed (as
        # dicts: ordered sets, so the page's writes come in the events' order).
        self.proposed: dict[str, None] = {}
        self.moved: dict[str, None] = {}
        self.deltas: dict[str, dict[str, int]] = {}
        self.stamps: dict[str, str] = {}  # program: the last change's timestamp

    def execute(self, sql: str, params: Any = ()) -> Any:
        """Run a statement on the page's cursor."""
        return self.cursor.execute(sql, params)

    def mentorship(self, mentorship_id: str) -> tuple[str, str]:
        """The program and current status of a mentorship."""
        known = self.mentorships.get(mentorship_id)
        if known is None:
            self.cursor.execute(
                "SELECT program_id, status FROM program_metrics_mentorships "
                "WHERE mentorship_id = ?",
                (mentorship_id,),
            )
            program_id, status = self.cursor.fetchone()
            known = self.mentorships[mentorship_id] = (str(program_id), str(status))
        return known

    def propose(self, mentorship_id: str, program_id: str) -> None:
        """A new mentorship, proposed in a program."""
        self.mentorships[mentorship_id] = (program_id, "proposed")
        self.proposed[mentorship_id] = None

    def move(self, mentorship_id: str, status: str) -> None:
        """A mentorship's new status."""
        program_id, _ = self.mentorship(mentorship_id)
        self.mentorships[mentorship_id] = (program_id, status)
        if mentorship_id not in self.proposed:
            self.moved[mentorship_id] = None

    def open(self, program_id: str, position: int, at: str) -> None:
        """A new program's row: every count at zero, no rates yet."""
        values = (program_id, position, *(0 for _ in COUNTS), *(None for _ in RATES))
        self.cursor.execute(
            f"INSERT INTO program_metrics VALUES ({','.join('?' * (len(values) + 1))})",
            (*values, at),
        )

    def count(self, e: Any, **deltas: int) -> None:
        """Add to the counts of the program of the event's mentorship."""
        self.add(self.mentorship(oid(e))[0], e, **deltas)

    def add(self, program_id: str, e: Any, **deltas: int) -> None:
        """Add to a program's counts, as of the event."""
        counts = self.deltas.setdefault(program_id, {})
        for name, delta in deltas.items():
            counts[name] = counts.get(name, 0) + delta
        self.stamps[program_id] = iso(e.timestamp)

    def flush(self) -> None:
        """Write the page's mentorships and each changed program's counts once."""
        c = self.cursor
        c.executemany(
            "INSERT INTO program_metrics_mentorships VALUES (?,?,?)",
            [(m, *self.mentorships[m]) for m in self.proposed],
        )
        c.executemany(
            "UPDATE program_metrics_mentorships SET status = ? WHERE mentorship_id = ?",
            [(self.mentorships[m][1], m) for m in self.moved],
        )
        columns = [*COUNTS, *RATES]
        for program_id, deltas in self.deltas.items():
            c.execute(
                f"SELECT {', '.join(COUNTS)} FROM program_metrics WHERE program_id = ?",
                (program_id,),
            )
            row = dict(zip(COUNTS, c.fetchone(), strict=True))
            for name, delta in deltas.items():
                row[name] += delta
            derived = rates(row)
            c.execute(
                f"UPDATE program_metrics SET "
                f"{', '.join(f'{n} = ?' for n in columns)}, "
                "updated_at = ? WHERE program_id = ?",
                (
                    *(row[n] for n in COUNTS),
                    *(derived[n] for n in RATES),
                    self.stamps[program_id],
                    program_id,
                ),
            )


class ProgramMetrics(
    ProgramsMetrics,
    ReviewsMetrics,
    FeedbackMetrics,
    GoalsMetrics,
    MeetingsMetrics,
    Projection,
):
    """Per program: mentorships by status, completion, ratings, goals, meetings.

    Handlers get a Tally for the page (see apply_page), not the cursor itself.
    The mentorships' statuses come from the lifecycle (STATUS_OF); what the other
    events add, from each feature's projection (GoalsMetrics, ...).
    """

    name = "program_metrics"
    # v2: withdrawn, declined and rematched counts.
    version = 2
    tables: ClassVar[tuple[str, ...]] = (
        "program_metrics",
        "program_metrics_mentorships",
    )
    ddl: ClassVar[tuple[str, ...]] = (
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

    def apply_page(self, cursor: Any, events: Sequence[tuple[int, Any]]) -> None:
        """Apply the page's events to a tally, then write what it summed."""
        tally = Tally(cursor)
        super().apply_page(tally, events)
        tally.flush()

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Apply one event (a page of one)."""
        self.apply_page(cursor, [(position, event)])

    @handles(*BEGINS)
    def proposed(self, t: Tally, e: Any, pos: int) -> None:
        t.propose(oid(e), e.program_id)
        t.add(e.program_id, e, proposed=1)

    @handles(*MOVES)
    def status_changed(self, t: Tally, e: Any, pos: int) -> None:
        program_id, old = t.mentorship(oid(e))
        new = STATUS_OF[type(e)]
        if new == "ended" and e.reason.strip().casefold() == REMATCH:
            new = "rematched"
        t.move(oid(e), new)
        if new != old:
            t.add(program_id, e, **{old: -1, new: 1})
