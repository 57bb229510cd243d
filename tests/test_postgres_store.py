"""The write side on PostgreSQL: a mentorship's life, concurrency and replay."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import MentorlogError
from mentorlog.core.privacy import MemoryKeyStore
from mentorlog.plugins.manager import load_catalog
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import SYSTEM, World, require_postgres
from tests.test_concurrency import (
    Store,
    conflict_beyond_the_bound,
    forced_conflict,
    hammer,
    racing_starts,
)
from tests.test_idempotency import racing_creations, racing_instances
from tests.test_lifecycle import live_a_mentorship


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A schema of this test's own on the PostgreSQL server, dropped afterwards."""
    dsn = require_postgres()
    schema = f"mentorlog_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    info = conninfo_to_dict(dsn)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(info.get("dbname", "test")),
        "POSTGRES_HOST": str(info.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(info.get("port", "5432")),
        "POSTGRES_USER": str(info.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(info.get("password", "")),
        "POSTGRES_SCHEMA": schema,
    }
    try:
        yield Store(load_catalog(), env, MemoryKeyStore())
    finally:
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(
                sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema))
            )


@pytest.fixture
def pg_app(pg_store: Store) -> Iterator[Mentoring]:
    """The application service on the PostgreSQL schema."""
    app = pg_store.open()
    yield app
    app.close()


@pytest.fixture
def pg_world(pg_app: Mentoring) -> World:
    """A program, its admin, a mentor and a mentee, on PostgreSQL."""
    return World(pg_app)


def test_events_are_stored_in_the_tests_schema(
    pg_store: Store, pg_app: Mentoring, pg_world: World
) -> None:
    """The event store really is PostgreSQL, in the schema made for this test."""
    assert type(pg_app.recorder).__module__ == "eventsourcing.postgres"
    schema = pg_store.env["POSTGRES_SCHEMA"]
    with psycopg.connect(require_postgres()) as con:
        (count,) = con.execute(
            sql.SQL("SELECT count(*) FROM {}.mentorlog_events").format(
                sql.Identifier(schema)
            )
        ).fetchone() or (0,)
    assert count == len(pg_app.recorder.select_notifications(0, 1000)) > 0


def test_a_mentorship_lives_on_postgres(
    pg_store: Store, pg_app: Mentoring, pg_world: World
) -> None:
    """The whole life, then a new application replays it to the same state."""
    mentorship = live_a_mentorship(pg_app, pg_world)
    fresh = pg_store.open()
    try:
        replayed = fresh.get_mentorship(mentorship)
    finally:
        fresh.close()
    assert vars(replayed) == vars(pg_app.get_mentorship(mentorship))
    assert replayed.status == "completed"


def test_a_refusal_stores_nothing_on_postgres(
    pg_app: Mentoring, pg_world: World
) -> None:
    """A rule's refusal leaves the PostgreSQL log as it was."""
    mentorship = pg_world.one_on_one()
    pg_app.complete_mentorship(mentorship, actor=SYSTEM)
    head = pg_app.recorder.max_notification_id()
    with pytest.raises(MentorlogError) as info:
        pg_app.set_goal(
            mentorship, actor=pg_world.mentee_actor, title="Late", framework="plain"
        )
    assert info.value.code == "MENTORSHIP_CLOSED"
    assert pg_app.recorder.max_notification_id() == head


def test_threads_writing_one_mentorship_lose_nothing_on_postgres(
    pg_app: Mentoring, pg_world: World
) -> None:
    """Two threads x 25 goals and 25 reviews, all recorded once."""
    hammer(pg_world, [pg_app, pg_app])


def test_a_real_conflict_is_retried_on_postgres(
    pg_store: Store, pg_world: World
) -> None:
    """Two writers load the same version; the loser retries and both land."""
    forced_conflict(pg_store, pg_world)


def test_conflicts_beyond_the_bound_raise_conflict_on_postgres(
    pg_store: Store, pg_world: World
) -> None:
    """A writer that always loses gets CONFLICT, and nothing of it is stored."""
    conflict_beyond_the_bound(pg_store, pg_world)


def test_racing_starts_respect_capacity_on_postgres(
    pg_store: Store, pg_world: World
) -> None:
    """Two starts race for a mentee's one place; the retry finds none left."""
    racing_starts(pg_store, pg_world)


def test_instances_racing_with_one_key_record_once_on_postgres(
    pg_store: Store, pg_world: World
) -> None:
    """Racing duplicates under one idempotency key: one review, one result."""
    racing_instances(pg_store, pg_world)


def test_instances_racing_to_create_with_one_key_record_once_on_postgres(
    pg_store: Store, pg_world: World
) -> None:
    """Racing creations under one key conflict on the key alone."""
    racing_creations(pg_store, pg_world)
