"""program_trends: what happened per program and month adds up to program_metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from mentorlog.projections.program_metrics import COUNTS

from mentorlog.services import Services
from mentorlog.web.dashboard import monthly
from tests.conftest import ReadRows
from tests.test_api_support import Demo, demo_fixture  # noqa: F401


def test_the_months_add_up_to_the_program_totals(
    services: Services, demo: Demo, read_rows: ReadRows
) -> None:
    services.runner.catch_up()
    totals = {
        row[0]: dict(zip(COUNTS, row[1:], strict=True))
        for row in read_rows(
            f"SELECT program_id, {', '.join(COUNTS)} FROM program_metrics"
        )
    }
    summed: dict[str, dict[str, int]] = {}
    for row in read_rows(
        f"SELECT program_id, month, {', '.join(COUNTS)} FROM program_trends"
    ):
        program = summed.setdefault(row[0], dict.fromkeys(COUNTS, 0))
        for name, value in zip(COUNTS, row[2:], strict=True):
            program[name] += value
    assert summed == totals
    months = [
        row[0]
        for row in read_rows(
            "SELECT month FROM program_trends WHERE program_id = ? ORDER BY month",
            demo.ids["program"],
        )
    ]
    assert len(months) >= 5  # the demo's six simulated months, with gaps
    assert months == sorted(set(months))


def test_a_dashboard_month_row_runs_the_statuses_and_fills_the_gaps() -> None:
    rows = [
        {"month": "2026-01", "active": 2, "engaged": 1, "rated_feedback": 2,
         "feedback_rating_sum": 9, "meetings_held": 3},
        {"month": "2026-03", "active": -1, "completed": 1, "engaged": 1},
    ]  # fmt: skip
    months = monthly(rows, now=datetime(2026, 4, 2, tzinfo=UTC))
    assert [m["month"] for m in months] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert [m["active_at_end"] for m in months] == [2, 2, 1, 1]
    assert [m["quiet"] for m in months] == [1, 2, 0, 1]
    assert months[0]["satisfaction"] == 4.5 and months[1]["satisfaction"] is None
    assert months[2]["completed_to_date"] == 1
