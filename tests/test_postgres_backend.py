"""The whole service on PostgreSQL: one database URL, a schema per test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from click.testing import CliRunner
from eventsourcing.persistence import IntegrityError
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.privacy import ERASED
from mentorlog.core.storage.postgres import ChainedPostgresRecorder, PostgresKeyStore
from mentorlog.projections import queries
from mentorlog.projections.postgres import (
    PostgresReadModelRecorder,
    open_pg_read_models,
    postgres_ddl,
    to_pyformat,
)
from mentorlog.projections.postgres_queries import PostgresReadDatabase
from mentorlog.projections.registry import all_projections
from mentorlog.projections.runner import ProjectionRunner, ProjectionsBusy
from mentorlog.projections.sqlite import open_read_models
from mentorlog.projections.sqlite_queries import ReadDatabase
from psycopg import sql

from mentorlog.cli import main
from mentorlog.services import DatabaseError, Services, open_services
from mentorlog.settings import PostgresURL, Settings
from tests.conftest import SYSTEM, World, require_postgres
from tests.test_concurrency import Store, forced_conflict, hammer_apart
from tests.test_lifecycle import live_a_mentorship
from tests.test_projections import Clashing, Fragile, goal, record_everything

ROOT = Path(__file__).resolve().parent.parent
Dump = dict[str, list[tuple[Any, ...]]]


def with_schema(dsn: str, schema: str) -> str:
    """The DSN (a URL) with ?schema= set."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(query=f"schema={schema}"))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database URL naming a schema of this test's own, dropped afterwards."""
    dsn = require_postgres()
    schema = f"mentorlog_test_{uuid.uuid4().hex[:12]}"
    try:
        yield with_schema(dsn, schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)
                )
            )


@pytest.fixture
def pg_settings(pg_url: str, tmp_path: Path) -> Settings:
    """Settings that pick PostgreSQL; the data dir is never touched."""
    return Settings(
        data_dir=tmp_path / "unused", database_url=pg_url, poll_interval=0.05
    )


@pytest.fixture
def services(pg_settings: Settings) -> Iterator[Services]:
    """Every service on PostgreSQL (overrides the SQLite fixture of conftest)."""
    opened = open_services(pg_settings)
    yield opened
    opened.close()


def schema_of(services: Services) -> str:
    """The services' PostgreSQL schema."""
    postgres = services.settings.postgres
    assert postgres is not None
    return postgres.schema


def pg_rows(services: Services, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query run in the services' schema."""
    with psycopg.connect(require_postgres(), autocommit=True) as con:
        con.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(schema_of(services)))
        )
        return con.execute(query.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]


def table_names(services: Services) -> list[str]:
    """Every read-model table, then tracking."""
    return [*(t for p in services.runner.projections for t in p.tables), "tracking"]


def pg_dump(services: Services) -> Dump:
    """Every read-model table and the tracking positions, rows sorted."""
    return {
        table: sorted(pg_rows(services, f"SELECT * FROM {table}"), key=repr)
        for table in table_names(services)
    }


def sqlite_mirror(services: Services, path: Path) -> ProjectionRunner:
    """SQLite read models fed from the PostgreSQL event log, as SQLite would build."""
    projections = all_projections(services.app.sealer)
    return ProjectionRunner(
        services.app, open_read_models(path, projections), projections
    )


def sqlite_dump(runner: ProjectionRunner, path: Path) -> Dump:
    """Every table of a SQLite read-model file, rows sorted."""
    import sqlite3

    tables = [*(t for p in runner.projections for t in p.tables), "tracking"]
    with sqlite3.connect(path) as con:
        return {
            table: sorted(
                (tuple(r) for r in con.execute(f"SELECT * FROM {table}")), key=repr
            )
            for table in tables
        }


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> float:
    """Wait until check() holds (without poking anyone); return the seconds taken."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.01)
    return time.monotonic() - start


# -- opening -----------------------------------------------------------------


def test_services_open_on_postgres(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MENTORLOG_DATABASE_URL alone puts every part in the URL's schema."""
    monkeypatch.setenv("MENTORLOG_DATABASE_URL", pg_url)
    settings = Settings.from_env(tmp_path / "data")
    services = open_services(settings)
    try:
        assert isinstance(services.app.recorder, ChainedPostgresRecorder)
        assert isinstance(services.app.recorder, ChainedRecorder)
        assert isinstance(services.app.sealer.keys, PostgresKeyStore)
        assert isinstance(services.read_models, PostgresReadModelRecorder)
        assert isinstance(services.read_database(), PostgresReadDatabase)
        World(services.app)
        assert services.runner.catch_up() > 0
        tables = {
            row[0]
            for row in pg_rows(
                services,
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = ?",
                schema_of(services),
            )
        }
        assert {
            "mentorlog_events",
            "event_links",
            "person_keys",
            "tracking",
            "mentorlog_meta",
            *table_names(services),
        } <= tables
    finally:
        services.close()
    assert not settings.data_dir.exists()
    # Reopened (as an existing store): the same events, no data dir needed.
    again = open_services(settings, create=False)
    try:
        assert again.runner.status()[0].behind == 0
        assert [lag.position for lag in again.runner.status()] == [
            again.runner.head()
        ] * len(again.runner.projections)
    finally:
        again.close()


def test_without_a_url_sqlite_is_the_default(tmp_path: Path) -> None:
    """No database URL: SQLite files in the data dir, as before."""
    require_postgres()
    plain = Settings(data_dir=tmp_path / "data")
    services = open_services(plain)
    try:
        assert not isinstance(services.read_models, PostgresReadModelRecorder)
        assert isinstance(services.read_database(), ReadDatabase)
    finally:
        services.close()
    assert plain.events_db.exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:1/test", "'test' on 127.0.0.1:1"),
        ("postgresql://postgres@127.0.0.1:5432/no_such_db", "'no_such_db'"),
        ("mysql://root:secret@127.0.0.1/test", "scheme 'mysql' is not"),
        ("postgresql://u:secret@127.0.0.1:99999/test", "bad port"),
        ("postgresql://postgres@127.0.0.1/test?sslcert=x", "sslcert"),
        ("postgresql://postgres@127.0.0.1:5432/", "names no database"),
    ],
    ids=["unreachable", "no-database", "scheme", "port", "parameter", "no-dbname"],
)
def test_a_bad_url_gives_a_clear_error(
    url: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DatabaseError names the database and server; the CLI prints one line."""
    require_postgres()
    settings = Settings(data_dir=tmp_path / "data", database_url=url)
    with pytest.raises(DatabaseError) as info:
        open_services(settings)
    assert expected in str(info.value) and "secret" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    monkeypatch.setenv("MENTORLOG_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["projections", "status"])
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output


def test_a_schema_without_mentorlog_data_is_refused(
    pg_settings: Settings, pg_url: str
) -> None:
    """create=False needs mentorlog's schema; a schema of another app is refused."""
    with pytest.raises(DatabaseError, match="holds no mentorlog data"):
        open_services(pg_settings, create=False)
    schema = PostgresURL.parse(pg_url).schema
    with psycopg.connect(require_postgres(), autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        con.execute(
            sql.SQL("CREATE TABLE {} (id int)").format(
                sql.Identifier(schema, "programs")
            )
        )
    with pytest.raises(DatabaseError, match="not mentorlog's .*programs"):
        open_services(pg_settings)


def test_urls_and_placeholders_are_translated() -> None:
    """URL parts, ? placeholders and DDL types, without a server."""
    require_postgres()
    url = PostgresURL.parse("postgresql://ann:p%40ss@db.example:6543/app?schema=s1")
    assert (url.host, url.port, url.dbname, url.user, url.password, url.schema) == (
        "db.example",
        "6543",
        "app",
        "ann",
        "p@ss",
        "s1",
    )
    assert PostgresURL.parse("postgres://u@h/d", schema="s2").schema == "s2"
    assert PostgresURL.parse("postgresql://u@h/d").schema == "public"
    assert "p@ss" not in url.where
    assert (
        to_pyformat("SELECT '?', \"a?\" FROM t WHERE a = ? AND b LIKE '5%' AND c = ?")
        == "SELECT '?', \"a?\" FROM t WHERE a = %s AND b LIKE '5%%' AND c = %s"
    )
    assert (
        postgres_ddl("CREATE TABLE t (n INTEGER, x REAL, real_name TEXT, d 'REAL')")
        == "CREATE TABLE t (n BIGINT, x DOUBLE PRECISION, real_name TEXT, d 'REAL')"
    )
    with pytest.raises(Exception, match="WITHOUT ROWID"):
        postgres_ddl("CREATE TABLE t (a TEXT PRIMARY KEY) WITHOUT ROWID")


# -- the write side ------------------------------------------------------------


def test_a_mentorship_lives_through_postgres_services(services: Services) -> None:
    """A whole life through the service; a new instance replays the same state."""
    world = World(services.app)
    mentorship = live_a_mentorship(services.app, world)
    services.runner.catch_up()
    assert pg_rows(
        services, "SELECT status FROM mentorships WHERE id = ?", mentorship
    ) == [("completed",)]
    verdicts = verify(services.app.recorder)  # type: ignore[arg-type]
    assert verdicts and all(v.ok for v in verdicts)
    assert mentorship.replace("-", "") in services.app.recorder.stream_ids()  # type: ignore[attr-defined]
    again = open_services(services.settings, create=False)
    try:
        assert vars(again.app.get_mentorship(mentorship)) == vars(
            services.app.get_mentorship(mentorship)
        )
    finally:
        again.close()


def test_verify_detects_a_payload_edited_in_postgres(services: Services) -> None:
    """An event's state changed by SQL breaks its stream's chain there, and only it."""
    world = World(services.app)
    mentorship = world.one_on_one()
    for rating in (3, 4, 5):
        services.app.record_review(
            mentorship, actor=world.mentor_actor, progress_rating=rating
        )
    recorder = services.app.recorder
    assert isinstance(recorder, ChainedPostgresRecorder)
    before = {v.stream_id: v for v in verify(recorder)}
    assert all(v.ok for v in before.values())
    (state,) = pg_rows(
        services,
        "SELECT state FROM mentorlog_events "
        "WHERE originator_id = ? AND originator_version = 3",
        mentorship,
    )[0]
    edited = bytearray(state)
    edited[len(edited) // 2] ^= 0x01
    pg_rows(
        services,
        "UPDATE mentorlog_events SET state = ? "
        "WHERE originator_id = ? AND originator_version = 3 RETURNING 1",
        bytes(edited),
        mentorship,
    )
    after = {v.stream_id: v for v in verify(recorder)}
    key = uuid.UUID(mentorship).hex
    assert (after[key].bad_version, after[key].reason) == (3, "hash mismatch")
    assert all(v.ok and v == before[s] for s, v in after.items() if s != key)


def test_writers_in_two_instances_keep_every_chain_intact(services: Services) -> None:
    """Concurrent writers and a retried conflict: every chain still verifies."""
    store = Store(services.catalog, dict(services.app.env), services.app.sealer.keys)
    hammer_apart(store, World(services.app))
    forced_conflict(store, World(services.app))
    verdicts = verify(services.app.recorder)  # type: ignore[arg-type]
    assert verdicts and all(v.ok for v in verdicts), [v for v in verdicts if not v.ok]


def test_links_remembered_by_one_instance_chain_after_anothers_writes(
    services: Services,
) -> None:
    """A recorder's remembered head is used only when it is the previous version."""
    store = Store(services.catalog, dict(services.app.env), services.app.sealer.keys)
    world = World(services.app)
    mentorship = world.one_on_one()
    other = store.open()
    try:
        for n in range(6):
            # Alternate instances: each one's remembered head is stale every time.
            app = services.app if n % 2 == 0 else other
            goal = app.set_goal(
                mentorship, actor=world.mentee_actor, title=f"g{n}", framework="plain"
            ).id
            # The same instance again: its remembered head is the previous version.
            app.record_goal_progress(
                mentorship, goal, actor=world.mentee_actor, percent=50
            )
    finally:
        other.close()
    recorder = services.app.recorder
    assert isinstance(recorder, ChainedPostgresRecorder)
    (verdict,) = verify(recorder, [uuid.UUID(mentorship).hex])
    assert verdict.ok and verdict.events == len(recorder.select_events(mentorship))
    assert verdict.events >= 14


def test_erasure_with_the_postgres_key_store(services: Services) -> None:
    """Erasure nulls the key in PostgreSQL; read models hide the data, chains hold."""
    app = services.app
    world = World(app)
    person = app.register_person(
        actor=SYSTEM,
        display_name="Quentin Quarrington",
        career_stage="early",
        years_experience=3,
        tenure_years=3,
        email="quentin@example.org",
    ).id
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": world.mentor, "role": "mentor"},
            {"person_id": person, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(mentorship, actor=SYSTEM)
    app.set_goal(
        mentorship,
        actor=f"person:{person}",
        title="Leave this team by spring",
        framework="plain",
        private=True,
    )
    services.runner.catch_up()
    assert pg_rows(
        services, "SELECT display_name, email FROM people WHERE id = ?", person
    ) == [("Quentin Quarrington", "quentin@example.org")]
    raw = pg_rows(
        services, "SELECT string_agg(encode(state, 'escape'), '') FROM mentorlog_events"
    )
    assert "Quarrington" not in raw[0][0]

    app.erase_person(person, actor=SYSTEM, reason="asked to be forgotten")
    services.runner.catch_up()
    assert pg_rows(
        services, "SELECT key, destroyed FROM person_keys WHERE person_id = ?", person
    ) == [(None, True)]
    assert app.sealer.keys.get(person) is None
    with pytest.raises(KeyError):
        app.sealer.keys.create(person)
    expected = [(ERASED, None, 1)]
    query = "SELECT display_name, email, erased FROM people WHERE id = ?"
    assert pg_rows(services, query, person) == expected
    assert pg_rows(
        services, "SELECT title FROM goals WHERE mentorship_id = ?", mentorship
    ) == [("[erased]",)]
    assert all(v.ok for v in verify(app.recorder))  # type: ignore[arg-type]
    services.runner.rebuild()
    assert pg_rows(services, query, person) == expected


# -- the read side -------------------------------------------------------------


def test_catch_up_builds_the_same_rows_as_sqlite(
    services: Services, tmp_path: Path
) -> None:
    """Every event type: PostgreSQL read models equal SQLite's, row for row."""
    record_everything(services.app)
    head = services.runner.head()
    assert services.runner.catch_up() == head
    mirror = sqlite_mirror(services, tmp_path / "views.db")
    assert mirror.catch_up() == head
    on_postgres = pg_dump(services)
    on_sqlite = sqlite_dump(mirror, tmp_path / "views.db")
    assert [t for t, rows in on_postgres.items() if not rows] == []
    for table, rows in on_sqlite.items():
        assert on_postgres[table] == rows, table
    services.runner.rebuild()
    assert pg_dump(services) == on_postgres


def test_a_page_and_its_position_roll_back_together(services: Services) -> None:
    """A failing handler or a handler's clash leaves rows and position as they were."""
    app, world = services.app, World(services.app)
    datastore = services.read_models.datastore
    store = open_pg_read_models(datastore, [Fragile(), Clashing()])  # type: ignore[arg-type]
    fragile = ProjectionRunner(app, store, [Fragile()])
    clashing = ProjectionRunner(app, store, [Clashing()])
    mentorship = world.one_on_one()
    goal(app, world, mentorship, "a")
    before = goal(app, world, mentorship, "b")
    fragile.catch_up()
    goal(app, world, mentorship, "c")
    head = goal(app, world, mentorship, "boom")
    with pytest.raises(RuntimeError, match="boom"):
        fragile.catch_up()
    assert pg_rows(services, "SELECT title FROM fragile ORDER BY title") == [
        ("a",),
        ("b",),
    ]
    assert store.position("fragile") == before
    with pytest.raises(IntegrityError):
        clashing.catch_up()
    assert store.position("clashing") == 0
    assert pg_rows(services, "SELECT count(*) FROM clashing") == [(0,)]
    # The pool's sessions are sound after the failures.
    try:
        Fragile.fail_on = None
        assert fragile.catch_up() == head - before
        assert services.runner.catch_up() == head
    finally:
        Fragile.fail_on = "boom"


async def test_postgres_read_database_fetches_what_sqlite_does(
    services: Services, tmp_path: Path
) -> None:
    """The query functions give the same rows on both read databases."""
    world = World(services.app)
    live_a_mentorship(services.app, world)
    world.one_on_one(start=False)
    services.runner.catch_up()
    mirror = sqlite_mirror(services, tmp_path / "views.db")
    mirror.catch_up()
    postgres = services.read_database()
    with pytest.raises(RuntimeError, match="not open"):
        await postgres.fetch("SELECT 1")
    await postgres.open()
    sqlite = await ReadDatabase(tmp_path / "views.db").open()
    try:
        mentorships = [
            r["id"] for r in await sqlite.fetch("SELECT id FROM mentorships")
        ]
        people = [r["id"] for r in await sqlite.fetch("SELECT id FROM people")]
        goal_keys = [
            (r["mentorship_id"], r["id"])
            for r in await sqlite.fetch("SELECT mentorship_id, id FROM goals")
        ]
        asks: list[Callable[[Any], Any]] = [
            lambda db: db.fetch("SELECT * FROM programs ORDER BY seq"),
            lambda db: db.fetch(
                "SELECT count(*) AS n, sum(progress) AS total, "
                "max(seq) AS last FROM goals WHERE private = ?",
                [0],
            ),
            lambda db: queries.people_by_id(db, people),
            lambda db: queries.mentorships_by_id(db, mentorships),
            lambda db: queries.entities_by_key(db, "goals", goal_keys),
            lambda db: queries.rows_by_mentorship(db, "participants", mentorships),
            lambda db: queries.rows_by_mentorship(db, "meetings", mentorships),
            lambda db: queries.rows_by_mentorship(db, "reviews", mentorships),
            lambda db: queries.mentorships_of_people(db, people),
            lambda db: queries.page_people(db, queries.PageRequest(first=2)),
            lambda db: queries.page_people(
                db, queries.PageRequest(last=1, before=10**9), career_stage="late"
            ),
            lambda db: queries.page_mentorships(
                db,
                queries.PageRequest(first=5, after=0),
                queries.MentorshipFilter(status="completed"),
            ),
            lambda db: queries.projection_position(
                db, [p.name for p in services.runner.projections]
            ),
        ]
        for ask in asks:
            expected = await ask(sqlite)
            assert expected
            assert await ask(postgres) == expected
    finally:
        await sqlite.close()
        await postgres.close()


def test_listen_notify_wakes_the_follower(
    pg_settings: Settings, services: Services
) -> None:
    """With a poll every 30 s, a write elsewhere is applied within moments."""
    slow = Settings(
        data_dir=pg_settings.data_dir,
        database_url=pg_settings.database_url,
        poll_interval=30,
    )
    follower = open_services(slow)
    try:
        follower.runner.start()
        wakeup = follower.runner.wakeup
        eventually(lambda: wakeup.listening.is_set())
        eventually(lambda: follower.runner.position == follower.runner.head())
        time.sleep(0.1)  # the follower now sleeps until a poll or a NOTIFY
        # Another instance writes; nobody pokes the follower.
        World(services.app)
        head = services.runner.head()
        # Polling alone would take 30 s; within 5 s means NOTIFY woke it.
        eventually(lambda: follower.runner.position >= head, timeout=5)
        assert pg_rows(services, "SELECT count(*) FROM people") == [(3,)]
    finally:
        follower.close()


def test_one_runner_at_a_time_and_the_next_takes_over(
    pg_settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second runner waits, reads the first's positions, and takes over on stop."""
    first = services
    first.runner.start()
    eventually(lambda: first.runner.leading)
    second = open_services(pg_settings)
    applied: list[str] = []
    apply_page = second.read_models.apply_page

    def counting(projection: Any, events: Any, last_id: int) -> None:
        applied.append(projection.name)
        apply_page(projection, events, last_id)

    monkeypatch.setattr(second.read_models, "apply_page", counting)
    try:
        second.runner.start()
        world = World(second.app)
        head = second.runner.head()
        # Read-your-writes on the waiting runner: the first applies, it sees.
        assert second.runner.wait_for(head, timeout=5)
        assert second.runner.catch_up() == 0
        with pytest.raises(ProjectionsBusy):
            second.runner.rebuild()
        assert applied == [] and not second.runner.leading
        first.runner.stop()
        world.one_on_one()
        head = second.runner.head()
        assert second.runner.wait_for(head, timeout=5)
        assert second.runner.leading and applied
        assert pg_rows(second, "SELECT count(*) FROM mentorships") == [(1,)]
    finally:
        second.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from mentorlog.services import open_services
    from mentorlog.settings import Settings

    services = open_services(
        Settings(data_dir="unused", database_url=sys.argv[1], poll_interval=0.05)
    )
    services.runner.start()
    while not services.runner.leading:
        time.sleep(0.01)
    print("leading", flush=True)
    time.sleep(60)
    """
)


def test_when_the_holder_dies_another_process_takes_over(
    pg_settings: Settings, services: Services
) -> None:
    """Kill -9 the process applying events: the lock goes with its session."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(pg_settings.database_url)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "leading"
        services.runner.start()
        World(services.app)
        assert services.runner.wait_for(services.runner.head(), timeout=5)
        assert not services.runner.leading  # the other process applied them
    finally:
        holder.kill()
        holder.wait()
    eventually(lambda: services.runner.leading)
    World(services.app)
    assert services.runner.wait_for(services.runner.head(), timeout=5)
    assert pg_rows(services, "SELECT count(*) FROM people") == [(6,)]
