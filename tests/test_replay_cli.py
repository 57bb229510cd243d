"""`mentorlog replay`: a stream's events as stored, as a timeline or JSON Lines."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentorlog.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's data dir and its one-on-one mentorship's ID."""
    data = tmp_path_factory.mktemp("replay") / "data"
    assert CliRunner().invoke(main, ["demo", "--data", str(data)]).exit_code == 0
    with sqlite3.connect(data / "views.db") as con:
        (mentorship,) = con.execute(
            "SELECT id FROM mentorships WHERE format='one_on_one' AND status='active'"
        ).fetchone()
    return data, mentorship


def replay(data: Path, *args: str) -> list[dict[str, object]]:
    """Replay as JSON Lines and parse each line."""
    result = CliRunner().invoke(main, ["replay", "--data", str(data), *args, "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_json_lines_hold_every_event_in_order(demo: tuple[Path, str]) -> None:
    data, mentorship = demo
    lines = replay(data, mentorship)
    with sqlite3.connect(data / "events.db") as con:
        (count,) = con.execute(
            "SELECT count(*) FROM stored_events WHERE originator_id=?",
            (mentorship.replace("-", ""),),
        ).fetchone()
    assert [line["sequence"] for line in lines] == list(range(1, count + 1))
    assert lines[0]["type"] == "Proposed" and lines[1]["type"] == "Started"
    assert all(line["actor"] and len(str(line["hash"])) == 64 for line in lines)
    assert {"GoalSet", "MeetingHeld", "ReviewRecorded"} <= {
        line["type"] for line in lines
    }


def test_as_of_stops_at_the_moment(demo: tuple[Path, str]) -> None:
    data, mentorship = demo
    lines = replay(data, mentorship)
    cut = str(lines[4]["occurredAt"])
    earlier = replay(data, mentorship, "--as-of", cut)
    assert earlier == [
        line
        for line in lines
        if datetime.fromisoformat(str(line["occurredAt"]))
        <= datetime.fromisoformat(cut)
    ]
    assert replay(data, mentorship, "--as-of", "2000-01-01T00:00:00Z") == []


def test_timeline_and_bad_arguments(demo: tuple[Path, str]) -> None:
    data, mentorship = demo
    timeline = CliRunner().invoke(main, ["replay", "--data", str(data), mentorship])
    assert timeline.exit_code == 0
    assert "#1 " in timeline.output and "Proposed" in timeline.output
    bad_time = CliRunner().invoke(
        main, ["replay", "--data", str(data), mentorship, "--as-of", "soon"]
    )
    assert bad_time.exit_code == 2 and "ISO 8601" in bad_time.output
    unknown = CliRunner().invoke(
        main, ["replay", "--data", str(data), "00000000-0000-0000-0000-000000000001"]
    )
    assert unknown.exit_code == 1 and "NOT_FOUND" in unknown.output
