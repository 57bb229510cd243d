"""The transparency commands as an auditor runs them: a checkpoint kept before an
insider's attack makes `verify --all --against` fail; legitimate work passes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from mentorlog.cli import main
from mentorlog.services import open_services
from mentorlog.settings import Settings
from tests.conftest import SYSTEM
from tests.processes import mentorlog
from tests.test_transparency import (
    delete_newest_two,
    delete_the_stream,
    edit_a_rating_and_relink,
)
from tests.test_verify import longest_stream


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a mentorlog command on the data dir, as an auditor would."""
    return mentorlog(*args, "--data", str(data))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A demo data dir of this test's own."""
    data = tmp_path / "data"
    assert CliRunner().invoke(main, ["demo", "--data", str(data)]).exit_code == 0
    return data


def grow(data: Path) -> None:
    """Legitimate work after the checkpoint: a new person registered."""
    services = open_services(Settings(data_dir=data), create=False)
    try:
        services.app.register_person(
            actor=SYSTEM,
            display_name="Joined later",
            career_stage="mid",
            years_experience=6,
            tenure_years=1,
        )
    finally:
        services.close()


def test_a_legitimate_append_passes_and_a_forged_checkpoint_fails(
    data: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "kept.checkpoint"
    assert cli(data, "checkpoint", "--out", str(kept)).returncode == 0
    key = cli(data, "public-key").stdout.strip()
    grow(data)
    ok = cli(data, "verify", "--all", "--against", str(kept), "--key", key)
    assert ok.returncode == 0, ok.stderr
    assert "the log extends 1 checkpoint(s)" in ok.stdout
    # A directory of kept checkpoints: each one is checked.
    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "1.checkpoint").write_text(kept.read_text())
    (folder / "2.checkpoint").write_text(cli(data, "checkpoint").stdout)
    assert cli(data, "verify", "--all", "--against", str(folder)).returncode == 0
    lines = kept.read_text().split("\n")
    lines[1] = str(int(lines[1]) + 1)
    forged = tmp_path / "forged.checkpoint"
    forged.write_text("\n".join(lines))
    bad = cli(data, "verify", "--all", "--against", str(forged))
    assert bad.returncode == 1
    assert "checkpoint refused" in bad.stderr and "does not verify" in bad.stderr
    # Another installation's key is refused by name.
    other = tmp_path / "other"
    assert CliRunner().invoke(main, ["demo", "--data", str(other)]).exit_code == 0
    foreign = cli(other, "public-key").stdout.strip()
    refused = cli(data, "verify", "--all", "--against", str(kept), "--key", foreign)
    assert refused.returncode == 1
    assert f"not signed by {foreign.split('+')[0]}" in refused.stderr
    usage = cli(data, "verify", str(UUID(int=1)), "--against", str(kept))
    assert usage.returncode == 2 and "add --all" in usage.stderr
    for result in (ok, bad, refused, usage):
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "attack", [edit_a_rating_and_relink, delete_newest_two, delete_the_stream]
)
def test_insider_attacks_fail_verify_against_an_earlier_checkpoint(
    data: Path, tmp_path: Path, attack: Callable[..., None]
) -> None:
    kept = tmp_path / "kept.checkpoint"
    assert cli(data, "checkpoint", "--out", str(kept)).returncode == 0
    grow(data)
    with sqlite3.connect(data / "events.db") as con:
        stream = longest_stream(con)

        def run(query: str, *params: Any) -> list[tuple[Any, ...]]:
            return con.execute(query, params).fetchall()

        attack(None, run, stream)
    assert cli(data, "verify", "--all").returncode == 0  # the chains still verify
    caught = cli(data, "verify", "--all", "--against", str(kept))
    assert caught.returncode == 1
    assert "is not an extension of the checkpoint" in caught.stderr
    assert "first changed entry is leaf" in caught.stderr
    assert "Traceback" not in caught.stderr


def test_inclusion_proofs_and_bundles_from_the_command_line(
    data: Path, tmp_path: Path
) -> None:
    with sqlite3.connect(data / "events.db") as con:
        stream = str(UUID(longest_stream(con)))
    kept = tmp_path / "kept.checkpoint"
    assert cli(data, "checkpoint", "--out", str(kept)).returncode == 0
    grow(data)
    proofs = cli(data, "inclusion-proof", stream, "--checkpoint", str(kept))
    assert proofs.returncode == 0, proofs.stderr
    assert proofs.stdout.count('"leaf_index"') >= 5
    bundle = tmp_path / "bundle"
    made = cli(data, "audit-bundle", stream, "--out", str(bundle))
    assert made.returncode == 0, made.stderr
    checked = subprocess.run(
        [sys.executable, str(bundle / "verify_bundle.py"), str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    again = cli(data, "audit-bundle", stream, "--out", str(bundle))
    assert again.returncode == 1 and "is not empty" in again.stderr
    unknown = cli(data, "audit-bundle", str(UUID(int=7)), "--out", str(tmp_path / "x"))
    assert unknown.returncode == 1 and "no stream" in unknown.stderr
