"""Open the parts for one data directory or database: plugins, event store, read
models, runner. `Settings.database_url` picks PostgreSQL; without it, SQLite files."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Identifier

from mentorlog import __version__
from mentorlog.checkpointing import Checkpointer
from mentorlog.core.application import Mentoring
from mentorlog.core.chain import LINKS_TABLE
from mentorlog.core.oidc import Verifier
from mentorlog.core.storage.postgres import (
    ChainedPostgresRecorder,
    PostgresKeyStore,
)
from mentorlog.core.storage.postgres import Factory as PostgresFactory
from mentorlog.core.storage.sqlite import ChainedSQLiteRecorder, SQLiteKeyStore
from mentorlog.core.storage.sqlite import Factory as SQLiteFactory
from mentorlog.core.storage.tree import TREE_TABLES
from mentorlog.plugins.manager import Catalog, load_catalog
from mentorlog.projections.postgres import (
    TRACKING_TABLE,
    AdvisoryLock,
    PostgresListener,
    PostgresReadModelRecorder,
    SchemaDatastore,
    lock_key,
    open_pg_read_models,
)
from mentorlog.projections.postgres_queries import PostgresReadDatabase
from mentorlog.projections.registry import all_projections
from mentorlog.projections.runner import ProjectionRunner
from mentorlog.projections.sqlite import ReadModelRecorder, open_read_models
from mentorlog.projections.sqlite_queries import ReadDatabase
from mentorlog.settings import MARKER, PostgresURL, Settings

if TYPE_CHECKING:
    from mentorlog.nudges import Nudger
    from mentorlog.webhooks import WebhookSender

DATA_FORMAT = 1
META_TABLE = "mentorlog_meta"
CONNECT_TIMEOUT = 10  # seconds, for every PostgreSQL connection
# Aggregates whose state is kept between commands (least recently used go first).
# Each load adds the events any process recorded since and gets a copy of its own
# (see core.storage.cache.CachingRepository): no stale or refused state is served.
AGGREGATE_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "1000"}


class DataDirError(Exception):
    """The data directory cannot be used: not mentorlog's, unreadable or corrupt."""


class DatabaseError(DataDirError):
    """The PostgreSQL database cannot be used: unreachable, refused, not mentorlog's."""


@dataclass
class Services:
    """Everything one mentorlog process needs, built from settings."""

    settings: Settings
    catalog: Catalog
    app: Mentoring
    read_models: ReadModelRecorder | PostgresReadModelRecorder
    runner: ProjectionRunner

    def read_database(self, size: int = 2) -> ReadDatabase | PostgresReadDatabase:
        """A not-yet-opened async reader of the read models: `await db.open()`."""
        postgres = self.settings.postgres
        if postgres is None:
            return ReadDatabase(self.settings.views_db, size=size)
        return PostgresReadDatabase(
            postgres.connection_kwargs(), postgres.schema, size=size
        )

    @cached_property
    def oidc(self) -> Verifier | None:
        """Verifies the identity provider's tokens, when one is configured."""
        return Verifier(self.settings.oidc) if self.settings.oidc else None

    @cached_property
    def checkpoints(self) -> Checkpointer:
        """Signs, keeps and checks the log's checkpoints."""
        return Checkpointer(self.settings, self.app.recorder)

    @cached_property
    def webhooks(self) -> WebhookSender:
        """Sends the webhook deliveries the outbox holds (run beside the runner)."""
        from mentorlog.webhooks import WebhookSender

        return WebhookSender(self)

    @cached_property
    def nudges(self) -> Nudger:
        """Finds, records and sends the nudges programs' rules make due."""
        from mentorlog.nudges import Nudger

        return Nudger(self)

    def close(self) -> None:
        """Stop the runner and close the databases."""
        if "checkpoints" in self.__dict__:
            self.checkpoints.stop()
        if "webhooks" in self.__dict__:
            self.webhooks.stop()
        if "nudges" in self.__dict__:
            self.nudges.stop()
        self.runner.stop()
        self.app.close()
        self.app.sealer.keys.close()
        self.read_models.datastore.close()


def prepare_data_dir(data_dir: Path, create: bool = True) -> None:
    """Check a data dir is mentorlog's (or empty), creating it and its marker."""
    marker = data_dir / MARKER
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"{data_dir} is a file, not a mentorlog data directory")
    if marker.exists():
        try:
            meta = json.loads(marker.read_text())
        except (OSError, ValueError) as exc:
            raise DataDirError(f"{marker} is unreadable: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != DATA_FORMAT:
            raise DataDirError(
                f"{data_dir} holds data in a format this mentorlog cannot read"
            )
        return
    if data_dir.exists() and any(data_dir.iterdir()):
        raise DataDirError(
            f"{data_dir} is not a mentorlog data directory (it has files but no "
            f"{MARKER}); choose an empty or new directory"
        )
    if not create:
        state = "holds no mentorlog data" if data_dir.exists() else "does not exist"
        raise DataDirError(
            f"{data_dir} {state}; start an installation with 'mentorlog init "
            f"--data {data_dir}' or load the demo with 'mentorlog demo --data "
            f"{data_dir}'"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"format": DATA_FORMAT, "created_by": __version__}))


def _check_sqlite(path: Path) -> None:
    if not path.exists():
        return
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DataDirError(f"{path} is not a readable SQLite database: {exc}") from None


def open_services(settings: Settings, create: bool = True) -> Services:
    """Open the event store, the read models and the runner the settings name."""
    try:
        postgres = settings.postgres
    except ValueError as exc:
        raise DatabaseError(str(exc)) from None
    if postgres is not None:
        return _open_postgres(settings, postgres, create)
    prepare_data_dir(settings.data_dir, create=create)
    _check_sqlite(settings.events_db)
    _check_sqlite(settings.views_db)
    catalog = load_catalog(settings.disabled_plugins, settings.skip_failing_plugins)
    app = Mentoring(
        catalog,
        env={
            "PERSISTENCE_MODULE": get_topic(SQLiteFactory),
            "SQLITE_DBNAME": str(settings.events_db),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": get_topic(ChainedSQLiteRecorder),
            **AGGREGATE_CACHE,
        },
        keys=SQLiteKeyStore(settings.data_dir / "keys.db"),
    )
    projections = all_projections(app.sealer)
    read_models = open_read_models(settings.views_db, projections)
    runner = ProjectionRunner(
        app,
        read_models,
        projections,
        page_size=settings.page_size,
        poll_interval=settings.poll_interval,
    )
    return Services(settings, catalog, app, read_models, runner)


def prepare_database(
    postgres: PostgresURL, table_names: set[str], create: bool
) -> None:
    """Check the database answers and its schema is mentorlog's (or new), marking it."""
    schema = Identifier(postgres.schema)
    meta = Identifier(postgres.schema, META_TABLE)
    try:
        with psycopg.connect(
            **postgres.connection_kwargs(),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
        ) as connection:
            found = {
                row[0]
                for row in connection.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = %s",
                    (postgres.schema,),
                )
            }
            if META_TABLE in found:
                row = connection.execute(
                    SQL("SELECT value FROM {} WHERE key = 'format'").format(meta)
                ).fetchone()
                if row is None or row[0] != str(DATA_FORMAT):
                    raise DatabaseError(
                        f"schema '{postgres.schema}' of {postgres.where} holds data "
                        "in a format this mentorlog cannot read"
                    )
                return
            if not create:
                raise DatabaseError(
                    f"schema '{postgres.schema}' of {postgres.where} holds no "
                    "mentorlog data; start an installation with 'mentorlog init' "
                    "or load the demo with 'mentorlog demo' (same --database-url)"
                )
            clashes = sorted(found & table_names)
            if clashes:
                raise DatabaseError(
                    f"schema '{postgres.schema}' of {postgres.where} is not "
                    f"mentorlog's (it has {', '.join(clashes)} but no {META_TABLE}); "
                    "choose another schema"
                )
            with connection.transaction():
                # Processes starting together take turns (IF NOT EXISTS races).
                connection.execute(
                    "SELECT pg_advisory_xact_lock(%s)",
                    (lock_key(postgres.schema, "ddl"),),
                )
                connection.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
                connection.execute(
                    SQL(
                        "CREATE TABLE IF NOT EXISTS {} "
                        "(key text PRIMARY KEY, value text NOT NULL)"
                    ).format(meta)
                )
                connection.execute(
                    SQL(
                        "INSERT INTO {} VALUES ('format', %s), ('created_by', %s) "
                        "ON CONFLICT (key) DO NOTHING"
                    ).format(meta),
                    (str(DATA_FORMAT), __version__),
                )
    except psycopg.Error as exc:
        raise DatabaseError(
            f"cannot use PostgreSQL {postgres.where}: {_first_line(exc)}"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open_postgres(settings: Settings, postgres: PostgresURL, create: bool) -> Services:
    """Open everything in one PostgreSQL schema: events, links, keys, read models."""
    catalog = load_catalog(settings.disabled_plugins, settings.skip_failing_plugins)
    tables = {t for p in all_projections() for t in p.tables}
    tables |= {TRACKING_TABLE, LINKS_TABLE, "person_keys", *TREE_TABLES}
    tables |= {f"{Mentoring.name}_events", f"{Mentoring.name}_snapshots"}
    prepare_database(postgres, tables, create)
    env = {
        **postgres.eventsourcing_env(),
        "PERSISTENCE_MODULE": get_topic(PostgresFactory),
        "APPLICATION_RECORDER_TOPIC": get_topic(ChainedPostgresRecorder),
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "8",
        **AGGREGATE_CACHE,
    }
    datastore = SchemaDatastore(
        dbname=postgres.dbname,
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        schema=postgres.schema,
        connect_timeout=CONNECT_TIMEOUT,
        pool_size=1,
        max_overflow=7,
        idle_in_transaction_session_timeout=60,
    )
    app: Mentoring | None = None
    try:
        app = Mentoring(catalog, env=env, keys=PostgresKeyStore(datastore))
        projections = all_projections(app.sealer)
        read_models = open_pg_read_models(datastore, projections)
        recorder = app.recorder
        assert isinstance(recorder, ChainedPostgresRecorder)
        runner = ProjectionRunner(
            app,
            read_models,
            projections,
            page_size=settings.page_size,
            poll_interval=settings.poll_interval,
            wakeup=PostgresListener(
                read_models.connect, [recorder.channel_name, read_models.channel]
            ),
            leader=AdvisoryLock(
                read_models.connect, lock_key(postgres.schema, "projections")
            ),
        )
    except (PersistenceError, psycopg.Error) as exc:
        if app is not None:
            app.close()
        datastore.close()
        raise DatabaseError(
            f"cannot use PostgreSQL {postgres.where}: {_first_line(exc)}"
        ) from None
    return Services(settings, catalog, app, read_models, runner)
