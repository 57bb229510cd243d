"""`mentorlog worker`: projections in a process of their own (SQLite, PostgreSQL)."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from mentorlog.cli import main
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.conftest import World, require_postgres
from tests.processes import Process, wait_until


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Child processes, killed after the test if still running."""
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def caught_up(services: Services) -> bool:
    """True when every projection has applied the whole log."""
    return all(lag.behind == 0 for lag in services.runner.status())


def test_worker_help_says_one_at_a_time_on_sqlite() -> None:
    result = CliRunner().invoke(main, ["worker", "--help"])
    assert result.exit_code == 0
    assert "--database-url" in result.output
    assert "On SQLite one worker at a time" in " ".join(result.output.split())


def test_sqlite_worker_follows_refuses_a_second_and_stops_on_sigterm(
    tmp_path: Path, processes: list[Process]
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    services = open_services(settings)
    try:
        world = World(services.app)
        args = ["worker", "--data", str(settings.data_dir)]
        first = Process(args, tmp_path / "first.log")
        processes.append(first)
        first.wait_for_output("applying events")
        wait_until(lambda: caught_up(services), "the worker's catch-up", first)
        # It follows: what is recorded now reaches the read models too.
        world.one_on_one()
        wait_until(lambda: caught_up(services), "the worker to follow", first)
        second = Process(args, tmp_path / "second.log")
        processes.append(second)
        assert second.exit_code() == 1
        assert "another worker runs the projections" in second.output
        first.signal(signal.SIGTERM)
        assert first.exit_code() == 0, first.output
        assert "worker stopped; read models at event" in first.output
        head = services.runner.head()
        assert f"#{head}" in first.output.splitlines()[-1]
    finally:
        services.close()


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings naming a fresh PostgreSQL schema, dropped afterwards."""
    dsn = require_postgres()
    schema = f"worker_{uuid.uuid4().hex[:10]}"
    yield Settings(data_dir=tmp_path / "data", database_url=f"{dsn}?schema={schema}")
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_postgres_workers_take_turns_and_one_takes_over_when_killed(
    pg_settings: Settings, tmp_path: Path, processes: list[Process]
) -> None:
    assert pg_settings.database_url is not None
    services = open_services(pg_settings)
    try:
        world = World(services.app)
        args = ["worker", "--database-url", pg_settings.database_url]
        first = Process(args, tmp_path / "first.log")
        processes.append(first)
        first.wait_for_output("applying events")
        second = Process(args, tmp_path / "second.log")
        processes.append(second)
        second.wait_for_output("another worker applies events; waiting")
        wait_until(lambda: caught_up(services), "the first worker's catch-up", first)
        first.signal(signal.SIGKILL)
        assert first.exit_code() == -signal.SIGKILL
        world.one_on_one()
        second.wait_for_output("applying events to the read models")
        wait_until(lambda: caught_up(services), "the second worker", second)
        second.signal(signal.SIGINT)
        assert second.exit_code() == 0, second.output
        assert "worker stopped" in second.output
    finally:
        services.close()
