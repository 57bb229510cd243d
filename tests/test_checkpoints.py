"""Signed checkpoints: signed with a key outside the data, kept, witnessed, checked."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from mentorlog.core.verify_bundle import VerificationError

from mentorlog.checkpointing import check_against, read_checkpoints
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.conftest import World


@pytest.fixture
def witnessed(settings: Settings, tmp_path: Path) -> Settings:
    """Settings with a witness directory and a key file of their own."""
    return replace(
        settings,
        witness_dir=tmp_path / "witness",
        checkpoint_key=tmp_path / "keys" / "log.key",
    )


@pytest.fixture
def services(witnessed: Settings) -> Iterator[Services]:
    opened = open_services(witnessed)
    yield opened
    opened.close()


def test_a_checkpoint_is_signed_kept_and_witnessed(
    services: Services, world: World, witnessed: Settings
) -> None:
    world.one_on_one()
    checkpoints = services.checkpoints
    kept = checkpoints.sign()
    key_file = witnessed.checkpoint_key_path
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not key_file.is_relative_to(witnessed.data_dir)
    assert kept.checkpoint.size == checkpoints.log.size() > 0
    assert kept.checkpoint.origin == checkpoints.verifier.name
    assert kept.checkpoint.origin.startswith("mentorlog/")
    assert kept.note.splitlines()[1] == str(kept.checkpoint.size)
    assert [k.note for k in checkpoints.kept()] == [kept.note]
    assert witnessed.witness_dir is not None
    assert read_checkpoints(witnessed.witness_dir) == [kept.note]
    # A legitimate append extends it; a second checkpoint is kept beside it.
    world.person("Later", "mid", 6, 2)
    later = checkpoints.sign()
    assert later.checkpoint.size > kept.checkpoint.size
    assert len(read_checkpoints(witnessed.witness_dir)) == 2
    found = services.checkpoints.log.consistency_proof(
        kept.checkpoint.size, later.checkpoint.size
    )
    assert found
    recorder = services.app.recorder
    notes = read_checkpoints(witnessed.witness_dir)
    assert check_against(recorder, notes, checkpoints.verifier) == []


def test_forged_and_foreign_checkpoints_are_refused(
    services: Services, world: World, witnessed: Settings, tmp_path: Path
) -> None:
    world.one_on_one()
    kept = services.checkpoints.sign()
    lines = kept.note.split("\n")
    lines[1] = str(int(lines[1]) - 1)
    recorder = services.app.recorder
    verifier = services.checkpoints.verifier
    with pytest.raises(VerificationError, match="does not verify"):
        check_against(recorder, ["\n".join(lines)], verifier)
    other = open_services(
        replace(
            witnessed,
            data_dir=tmp_path / "other",
            database_url=None,
            checkpoint_key=tmp_path / "other.key",
            witness_dir=None,
        )
    )
    try:
        foreign = other.checkpoints.sign().note
    finally:
        other.close()
    with pytest.raises(VerificationError, match="not signed by mentorlog/"):
        check_against(recorder, [foreign], verifier)


def test_the_server_signs_when_enough_events_were_recorded(
    witnessed: Settings, tmp_path: Path
) -> None:
    opened = open_services(replace(witnessed, checkpoint_every=3))
    try:
        world = World(opened.app)
        opened.checkpoints.start(poll=0.02)
        world.one_on_one()
        deadline = time.monotonic() + 10
        while not opened.checkpoints.kept() and time.monotonic() < deadline:
            time.sleep(0.02)
        kept = opened.checkpoints.kept()
        assert kept and kept[-1].checkpoint.size >= 3
    finally:
        opened.close()
