"""The command line, run as users run it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mentorlog.projections.registry import all_projections

from mentorlog.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `mentorlog` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "mentorlog", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the demo loaded once for this module."""
    data = tmp_path_factory.mktemp("demo") / "data"
    result = CliRunner().invoke(main, ["demo", "--data", str(data)])
    assert result.exit_code == 0, result.output
    return data


def test_demo_covers_every_format_framework_and_a_completed_mentorship(
    demo_dir: Path,
) -> None:
    with sqlite3.connect(demo_dir / "views.db") as con:
        formats = {row[0] for row in con.execute("SELECT format FROM mentorships")}
        frameworks = {row[0] for row in con.execute("SELECT framework FROM goals")}
        statuses = {row[0] for row in con.execute("SELECT status FROM mentorships")}
        people = con.execute("SELECT count(*) FROM people").fetchone()[0]
        stages = {row[0] for row in con.execute("SELECT career_stage FROM people")}
        counts = [
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("meetings", "reviews", "milestones", "feedback")
        ]
    assert formats == {"one_on_one", "reverse", "circle", "peer", "group"}
    assert frameworks == {"plain", "smart", "smarty", "okr"}
    assert {"active", "completed"} <= statuses
    assert people >= 12 and stages == {"early", "mid", "late"}
    assert all(count > 0 for count in counts)


def test_demo_is_not_loaded_twice(demo_dir: Path) -> None:
    with sqlite3.connect(demo_dir / "events.db") as con:
        before = con.execute("SELECT count(*) FROM stored_events").fetchone()[0]
    result = CliRunner().invoke(main, ["demo", "--data", str(demo_dir)])
    with sqlite3.connect(demo_dir / "events.db") as con:
        after = con.execute("SELECT count(*) FROM stored_events").fetchone()[0]
    assert result.exit_code == 0
    assert "not loaded twice" in result.output
    assert before == after


def test_projections_status_and_rebuild(demo_dir: Path) -> None:
    with sqlite3.connect(demo_dir / "views.db") as con:
        before = con.execute(
            "SELECT * FROM goals ORDER BY mentorship_id, id"
        ).fetchall()
    rebuilt = CliRunner().invoke(
        main, ["projections", "rebuild", "--data", str(demo_dir)]
    )
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"Rebuilt {len(all_projections())} projections" in rebuilt.output
    with sqlite3.connect(demo_dir / "views.db") as con:
        after = con.execute("SELECT * FROM goals ORDER BY mentorship_id, id").fetchall()
    assert before == after
    status = CliRunner().invoke(
        main, ["projections", "status", "--data", str(demo_dir)]
    )
    assert status.exit_code == 0
    assert "mentorships" in status.output and "behind" in status.output


def test_plugins_lists_builtins_with_their_hooks() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "register_formats" in result.output
    assert "register_goal_frameworks" in result.output
    assert "smarty" in result.output and "circle" in result.output


def test_a_directory_that_is_not_mentorlogs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("someone else's files")
    result = run("projections", "status", "--data", str(tmp_path))
    assert result.returncode == 1
    assert "not a mentorlog data directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_missing_directory_is_refused_for_status(tmp_path: Path) -> None:
    result = run("projections", "status", "--data", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_corrupt_event_store_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert CliRunner().invoke(main, ["demo", "--data", str(data)]).exit_code == 0
    events = data / "events.db"
    for extra in ("events.db-wal", "events.db-shm"):
        (data / extra).unlink(missing_ok=True)
    garbage = b"this is not a database" * 100
    events.write_bytes(garbage)
    result = run("projections", "status", "--data", str(data))
    assert result.returncode == 1
    assert "events.db is not a readable SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert events.read_bytes() == garbage


def test_bad_arguments_give_usage_errors(tmp_path: Path) -> None:
    result = run("serve", "--port", "not-a-port", "--data", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "Invalid value for '--port'" in result.stderr
    assert "Traceback" not in result.stderr
    unknown = run("projections", "explode")
    assert unknown.returncode == 2
    assert "No such command" in unknown.stderr


def test_demo_writes_a_working_token_per_role(demo_dir: Path) -> None:
    import json

    from mentorlog.services import open_services
    from mentorlog.settings import Settings

    tokens = json.loads((demo_dir / "demo-tokens.json").read_text())
    assert sorted(tokens) == ["admin", "auditor", "participant"]
    services = open_services(Settings(data_dir=demo_dir), create=False)
    try:
        roles = {services.app.authenticate(t).role for t in tokens.values()}
    finally:
        services.close()
    assert roles == {"admin", "auditor", "participant"}


def test_the_demo_unfolds_over_simulated_months(demo_dir: Path) -> None:
    from collections import defaultdict
    from datetime import UTC, datetime, timedelta
    from itertools import pairwise

    from mentorlog.services import open_services
    from mentorlog.settings import Settings

    services = open_services(Settings(data_dir=demo_dir), create=False)
    try:
        app = services.app
        events = [
            app.mapper.to_domain_event(n)
            for n in app.recorder.select_notifications(1, 10_000)
        ]
    finally:
        services.close()
    now = datetime.now(UTC)
    streams: dict[object, list[datetime]] = defaultdict(list)
    for e in events:
        streams[e.originator_id].append(e.timestamp)
    # Each stream's events keep their recorded order in time; the chain verifies.
    assert all(a < b for times in streams.values() for a, b in pairwise(times))
    verified = run("verify", "--all", "--data", str(demo_dir))
    assert verified.returncode == 0, verified.stderr
    assert now - timedelta(days=181) < events[0].timestamp < now - timedelta(days=179)
    by_type: dict[str, list[datetime]] = defaultdict(list)
    for e in events:
        by_type[type(e).__name__].append(e.timestamp)
    held = sorted(by_type["MeetingHeld"])
    assert all(b - a >= timedelta(days=7) for a, b in pairwise(held))
    (completed,) = by_type["Completed"]
    assert completed - events[0].timestamp > timedelta(days=90)
    # The tokens were issued when the demo was loaded, not in its simulated past.
    assert all(now - t < timedelta(hours=1) for t in by_type["Issued"])
    simulated = [e.timestamp for e in events if type(e).__name__ != "Issued"]
    assert max(simulated) < now - timedelta(days=1)
    with sqlite3.connect(demo_dir / "views.db") as con:
        quiet = [
            datetime.fromisoformat(row[0])
            for row in con.execute(
                "SELECT quiet_since FROM activity WHERE status = 'active'"
            )
        ]
    assert sum(now - since > timedelta(days=90) for since in quiet) >= 2
