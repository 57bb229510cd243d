"""`mentorlog migrate`: SQLite data copied into PostgreSQL replays to the same state."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.history import history
from mentorlog.core.transparency import Transparency

from mentorlog.cli import main
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.backends import dump_read_models
from tests.conftest import SYSTEM, World, require_postgres
from tests.test_projections import record_everything


@pytest.fixture
def target_url() -> Iterator[str]:
    """A URL naming a schema that does not exist yet, dropped afterwards."""
    dsn = require_postgres()
    schema = f"migrate_{uuid.uuid4().hex[:10]}"
    yield f"{dsn}?schema={schema}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class Installation:
    """What an installation holds, read through its services, for comparing."""

    def __init__(self, services: Services) -> None:
        recorder = services.app.recorder
        assert isinstance(recorder, ChainedRecorder)
        self.read_models = dump_read_models(services)
        self.notifications = [
            (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
            for n in recorder.select_notifications(1, 100_000)
        ]
        streams = recorder.stream_ids()
        self.histories = {
            s: [e.as_json() for e in history(services.app, s)] for s in streams
        }
        self.verdicts = [(v.stream_id, v.events, v.digest) for v in verify(recorder)]
        self.root = Transparency(recorder).root()
        self.checkpoints = recorder.select_checkpoints()


def build(services: Services) -> dict[str, Any]:
    """Every event type, an erased person, a keyed command and a snapshot."""
    app = services.app
    record_everything(app)
    world = World(app)
    mentorship = world.one_on_one()
    keyed = app.set_goal(
        mentorship,
        actor=world.mentee_actor,
        title="Lead a design review",
        framework="plain",
        idempotency_key="goal-1",
    )
    # Mentorships are snapshotted every 100 versions.
    while app.get_mentorship(mentorship).version < 101:
        app.record_goal_progress(
            mentorship, keyed.id, actor=world.mentee_actor, percent=10
        )
    erased = world.person("Erin Erased", "mid", 6, 3)
    app.erase_person(erased, actor=SYSTEM, reason="Asked to be forgotten")
    services.runner.catch_up()
    return {"world": world, "mentorship": mentorship, "keyed": keyed, "erased": erased}


def test_a_copy_replays_to_the_same_state_and_verifies_to_the_same_digests(
    tmp_path: Path, target_url: str
) -> None:
    source = Settings(data_dir=tmp_path / "data")
    services = open_services(source)
    try:
        built = build(services)
        services.checkpoints.sign()
        before = Installation(services)
    finally:
        services.close()
    with closing(sqlite3.connect(source.events_db)) as con:
        snapshots = con.execute("SELECT count(*) FROM stored_snapshots").fetchone()[0]
    with closing(sqlite3.connect(source.data_dir / "keys.db")) as con:
        destroyed = con.execute(
            "SELECT count(*) FROM person_keys WHERE destroyed"
        ).fetchone()[0]
    assert snapshots >= 1

    runner = CliRunner()
    result = runner.invoke(
        main, ["migrate", "--data", str(source.data_dir), "--to", target_url]
    )
    assert result.exit_code == 0, result.output
    assert f"Copied {len(before.notifications)} events" in result.output
    assert f"{snapshots} snapshots" in result.output
    assert destroyed >= 2  # two erasures
    assert f"({destroyed} destroyed)" in result.output
    # verify prints the same per-stream digests and store digest for both.
    verified = [
        runner.invoke(main, ["verify", "--all", *where])
        for where in (["--data", str(source.data_dir)], ["--database-url", target_url])
    ]
    assert [v.exit_code for v in verified] == [0, 0]
    assert verified[0].output == verified[1].output
    assert len(verified[0].output.splitlines()) == len(before.verdicts) + 1
    assert verified[0].output.splitlines()[-1] in result.output

    target = replace(source, database_url=target_url)
    copied = open_services(target, create=False)
    try:
        after = Installation(copied)
        assert after.notifications == before.notifications  # order and IDs
        assert after.histories == before.histories
        assert after.verdicts == before.verdicts
        assert after.root == before.root  # the Merkle tree came along
        assert after.checkpoints == before.checkpoints != []
        assert after.read_models == before.read_models
        app = copied.app
        # The destroyed key's tombstone came along: it is never made again.
        assert app.sealer.keys.get(built["erased"]) is None
        with pytest.raises(KeyError):
            app.sealer.keys.create(built["erased"])
        # So did the fingerprint secret: a retried keyed command records nothing.
        head = app.recorder.max_notification_id()
        world: World = built["world"]
        again = app.set_goal(
            built["mentorship"],
            actor=world.mentee_actor,
            title="Lead a design review",
            framework="plain",
            idempotency_key="goal-1",
        )
        assert again == built["keyed"]
        assert app.recorder.max_notification_id() == head
        # New events continue the copied notification IDs.
        World(app)
        assert app.recorder.select_notifications(head, 2)[1].id == head + 1
    finally:
        copied.close()


def test_a_target_that_holds_data_is_refused(tmp_path: Path, target_url: str) -> None:
    source = Settings(data_dir=tmp_path / "data")
    services = open_services(source)
    try:
        World(services.app)
    finally:
        services.close()
    used = open_services(replace(source, database_url=target_url))
    try:
        World(used.app)
        head = used.app.recorder.max_notification_id()
    finally:
        used.close()
    result = CliRunner().invoke(
        main, ["migrate", "--data", str(source.data_dir), "--to", target_url]
    )
    assert result.exit_code == 1
    assert "is not empty (it holds" in result.output
    assert "migrate only into an empty schema" in result.output
    check = open_services(replace(source, database_url=target_url), create=False)
    try:
        assert check.app.recorder.max_notification_id() == head
    finally:
        check.close()


def test_a_missing_source_or_a_sqlite_target_is_a_message(
    tmp_path: Path, target_url: str
) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        main, ["migrate", "--data", str(tmp_path / "none"), "--to", target_url]
    )
    assert missing.exit_code == 1
    assert "does not exist" in missing.output
    bad = runner.invoke(main, ["migrate", "--data", str(tmp_path), "--to", "sqlite:x"])
    assert bad.exit_code == 1
    assert "scheme 'sqlite' is not PostgreSQL's" in bad.output
