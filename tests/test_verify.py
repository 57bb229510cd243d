"""Tamper evidence: `mentorlog verify` catches edits made to the store from outside."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from mentorlog.cli import main


def verify(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `mentorlog verify` as an auditor would."""
    return subprocess.run(
        [sys.executable, "-m", "mentorlog", "verify", "--data", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo data dir, loaded once, to copy for each tampering."""
    data = tmp_path_factory.mktemp("pristine") / "data"
    assert CliRunner().invoke(main, ["demo", "--data", str(data)]).exit_code == 0
    return data


@pytest.fixture
def data(pristine: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store (checkpointed into one file)."""
    with sqlite3.connect(pristine / "events.db") as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "data"
    copy.mkdir()
    for name in ("mentorlog.json", "events.db", "views.db"):
        (copy / name).write_bytes((pristine / name).read_bytes())
    return copy


def longest_stream(con: sqlite3.Connection) -> str:
    """The stream with the most events (the demo's fullest mentorship)."""
    return con.execute(
        "SELECT originator_id FROM stored_events GROUP BY originator_id "
        "ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]


def flip_byte(con: sqlite3.Connection, stream: str) -> int:
    """Change one byte in the payload of the stream's 5th event."""
    state = con.execute(
        "SELECT state FROM stored_events "
        "WHERE originator_id=? AND originator_version=5",
        (stream,),
    ).fetchone()[0]
    edited = bytearray(state)
    edited[len(edited) // 2] ^= 0x01
    con.execute(
        "UPDATE stored_events SET state=? "
        "WHERE originator_id=? AND originator_version=5",
        (bytes(edited), stream),
    )
    return 5


def delete_event(con: sqlite3.Connection, stream: str) -> int:
    """Delete the stream's 4th event (its link stays)."""
    con.execute(
        "DELETE FROM stored_events WHERE originator_id=? AND originator_version=4",
        (stream,),
    )
    return 4


def delete_event_and_link(con: sqlite3.Connection, stream: str) -> int:
    """Delete the stream's 4th event and its link, as a careful forger would."""
    delete_event(con, stream)
    con.execute(
        "DELETE FROM event_links WHERE originator_id=? AND originator_version=4",
        (stream,),
    )
    return 4


def swap_events(con: sqlite3.Connection, stream: str) -> int:
    """Swap the topics and payloads of the stream's 6th and 7th events."""
    rows = con.execute(
        "SELECT originator_version, topic, state FROM stored_events "
        "WHERE originator_id=? AND originator_version IN (6, 7)",
        (stream,),
    ).fetchall()
    (v1, t1, s1), (v2, t2, s2) = rows
    for version, topic, state in ((v1, t2, s2), (v2, t1, s1)):
        con.execute(
            "UPDATE stored_events SET topic=?, state=? "
            "WHERE originator_id=? AND originator_version=?",
            (topic, state, stream, version),
        )
    return 6


def append_forged(con: sqlite3.Connection, stream: str) -> int:
    """Append a copy of the last event as a new version, with no link."""
    version, topic, state = con.execute(
        "SELECT originator_version, topic, state FROM stored_events "
        "WHERE originator_id=? ORDER BY originator_version DESC LIMIT 1",
        (stream,),
    ).fetchone()
    con.execute(
        "INSERT INTO stored_events VALUES (?,?,?,?)",
        (stream, version + 1, topic, state),
    )
    return version + 1


@pytest.mark.parametrize(
    "tamper",
    [flip_byte, delete_event, delete_event_and_link, swap_events, append_forged],
)
def test_verify_catches_tampering(data: Path, tamper: Callable[..., int]) -> None:
    assert verify(data, "--all").returncode == 0
    with sqlite3.connect(data / "events.db") as con:
        stream = longest_stream(con)
        sequence = tamper(con, stream)
    result = verify(data, "--all")
    assert result.returncode == 1
    assert f"stream {UUID(stream)} is broken at sequence {sequence}" in result.stderr
    assert "Traceback" not in result.stderr
    single = verify(data, str(UUID(stream)))
    assert single.returncode == 1


def test_digest_survives_rebuild_and_restart(data: Path) -> None:
    first = verify(data, "--all")
    assert first.returncode == 0, first.stderr
    digest = first.stdout.strip().splitlines()[-1]
    assert digest.startswith("store digest: ")
    rebuilt = CliRunner().invoke(main, ["projections", "rebuild", "--data", str(data)])
    assert rebuilt.exit_code == 0
    again = verify(data, "--all")
    assert again.stdout.strip().splitlines()[-1] == digest
    assert again.stdout == first.stdout


def test_verify_one_stream_and_bad_arguments(data: Path) -> None:
    with sqlite3.connect(data / "events.db") as con:
        stream = longest_stream(con)
    one = verify(data, str(UUID(stream)))
    assert one.returncode == 0
    assert str(UUID(stream)) in one.stdout
    assert verify(data).returncode == 2
    unknown = verify(data, "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == 1 and "no stream" in unknown.stderr
    assert verify(data, "not-an-id").returncode == 2
