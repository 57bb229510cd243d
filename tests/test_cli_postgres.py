"""The command line on PostgreSQL: the same commands, one --database-url away."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from mentorlog.cli import main
from tests.conftest import require_postgres


@pytest.fixture
def database_url() -> Iterator[str]:
    """A URL naming a fresh schema of its own, dropped afterwards."""
    dsn = require_postgres()
    schema = f"cli_{uuid.uuid4().hex[:10]}"
    yield f"{dsn}?schema={schema}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_demo_verify_replay_and_rebuild_on_postgres(
    database_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    args = ["--database-url", database_url, "--data", str(tmp_path / "d")]
    demo = runner.invoke(main, ["demo", *args])
    assert demo.exit_code == 0, demo.output
    assert "postgresql://" in demo.output and "schema cli_" in demo.output
    assert (tmp_path / "d" / "demo-tokens.json").exists()
    verified = runner.invoke(main, ["verify", "--all", *args])
    assert verified.exit_code == 0, verified.output
    digest = verified.output.strip().splitlines()[-1]
    stream = verified.output.splitlines()[0].split()[0]
    replayed = runner.invoke(main, ["replay", stream, "--json", *args])
    assert replayed.exit_code == 0 and '"sequence": 1' in replayed.output
    rebuilt = runner.invoke(main, ["projections", "rebuild", *args])
    assert rebuilt.exit_code == 0, rebuilt.output
    again = runner.invoke(main, ["verify", "--all", *args])
    assert again.output.strip().splitlines()[-1] == digest


def test_an_unreachable_database_is_a_clear_error() -> None:
    result = CliRunner().invoke(
        main,
        [
            "projections",
            "status",
            "--database-url",
            "postgresql://postgres:secret@127.0.0.1:5999/test",
        ],
    )
    assert result.exit_code == 1
    assert "127.0.0.1:5999" in result.output and "secret" not in result.output
