"""Projection of program metrics per month: program_trends and its two helpers.

The same handlers as program_metrics (ProgramMetrics and what each feature adds
to it), applied to a tally that keys every change by the program and the month
(UTC) of the event: a row holds what happened that month. Flows (proposed, goals
set and achieved, meetings held, reviews, rated feedback) are that month's counts;
the status columns are that month's net moves, whose running sum is how many
mentorships held the status at the month's end. `engaged` counts the mentorships
with at least one interaction that month (activity.KIND_OF), from which the
dashboard derives the quiet ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from mentorlog.projections.activity import KIND_OF
from mentorlog.projections.base import Projection, handles, oid
from mentorlog.projections.program_metrics import COUNTS, ProgramMetrics, Tally

TREND_COUNTS = (*COUNTS, "engaged")


def month_of(event: Any) -> str:
    """The event's month as YYYY-MM (its timestamp is UTC)."""
    return str(event.timestamp.strftime("%Y-%m"))


class MonthlyTally(Tally):
    """A page's changes summed per program and month, written once per pair."""

    def __init__(self, cursor: Any) -> None:
        super().__init__(cursor)
        self.monthly: dict[tuple[str, str], dict[str, int]] = {}
        self.engaged: dict[tuple[str, str], None] = {}  # (mentorship, month)

    def mentorship(self, mentorship_id: str) -> tuple[str, str]:
        """The program and current status of a mentorship."""
        known = self.mentorships.get(mentorship_id)
        if known is None:
            self.cursor.execute(
                "SELECT program_id, status FROM program_trends_mentorships "
                "WHERE mentorship_id = ?",
                (mentorship_id,),
            )
            program_id, status = self.cursor.fetchone()
            known = self.mentorships[mentorship_id] = (str(program_id), str(status))
        return known

    def open(self, program_id: str, position: int, at: str) -> None:
        """A new program: its months appear as things happen in them."""

    def add(self, program_id: str, e: Any, **deltas: int) -> None:
        """Add to a program's counts of the event's month."""
        counts = self.monthly.setdefault((program_id, month_of(e)), {})
        for name, delta in deltas.items():
            counts[name] = counts.get(name, 0) + delta

    def interacted(self, e: Any) -> None:
        """The event's mentorship interacted in the event's month."""
        self.engaged[(oid(e), month_of(e))] = None

    def flush(self) -> None:
        """Write the page's mentorships, engagements and monthly deltas."""
        c = self.cursor
        c.executemany(
            "INSERT INTO program_trends_mentorships VALUES (?,?,?)",
            [(m, *self.mentorships[m]) for m in self.proposed],
        )
        c.executemany(
            "UPDATE program_trends_mentorships SET status = ? WHERE mentorship_id = ?",
            [(self.mentorships[m][1], m) for m in self.moved],
        )
        for mentorship_id, month in self.engaged:
            c.execute(
                "SELECT 1 FROM program_trends_engaged "
                "WHERE mentorship_id = ? AND month = ?",
                (mentorship_id, month),
            )
            if c.fetchone() is None:
                c.execute(
                    "INSERT INTO program_trends_engaged VALUES (?,?)",
                    (mentorship_id, month),
                )
                program_id = self.mentorship(mentorship_id)[0]
                counts = self.monthly.setdefault((program_id, month), {})
                counts["engaged"] = counts.get("engaged", 0) + 1
        for (program_id, month), deltas in sorted(self.monthly.items()):
            names = [n for n in TREND_COUNTS if deltas.get(n)]
            if not names:
                continue
            values = [deltas.get(n, 0) for n in TREND_COUNTS]
            c.execute(
                f"INSERT INTO program_trends (program_id, month, "
                f"{', '.join(TREND_COUNTS)}) VALUES "
                f"({', '.join('?' * (len(TREND_COUNTS) + 2))}) "
                "ON CONFLICT (program_id, month) DO UPDATE SET "
                + ", ".join(f"{n} = program_trends.{n} + excluded.{n}" for n in names),
                (program_id, month, *values),
            )


class ProgramTrends(ProgramMetrics):
    """Per program and month: what happened (see the module docstring)."""

    name = "program_trends"
    tables: ClassVar[tuple[str, ...]] = (
        "program_trends",
        "program_trends_mentorships",
        "program_trends_engaged",
    )
    ddl: ClassVar[tuple[str, ...]] = (
        "CREATE TABLE IF NOT EXISTS program_trends ("
        "program_id TEXT NOT NULL, month TEXT NOT NULL, "
        + "".join(f"{name} INTEGER NOT NULL DEFAULT 0, " for name in TREND_COUNTS)
        + "PRIMARY KEY (program_id, month))",
        "CREATE TABLE IF NOT EXISTS program_trends_mentorships ("
        "mentorship_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, "
        "status TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS program_trends_engaged ("
        "mentorship_id TEXT NOT NULL, month TEXT NOT NULL, "
        "PRIMARY KEY (mentorship_id, month))",
    )

    def apply_page(self, cursor: Any, events: Sequence[tuple[int, Any]]) -> None:
        """Apply the page's events to a monthly tally, then write what it summed."""
        tally = MonthlyTally(cursor)
        for _, event in events:
            if type(event) in KIND_OF:
                tally.interacted(event)
        Projection.apply_page(self, tally, events)
        tally.flush()

    # Interactions that count towards no metric: followed for `engaged` only.
    @handles(*(cls for cls in KIND_OF if cls not in ProgramMetrics.handlers))
    def interaction(self, t: MonthlyTally, e: Any, pos: int) -> None:
        """Counted in apply_page."""
