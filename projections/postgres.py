"""The read-model store on PostgreSQL: tables and tracking, wakeups, the leader lock."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, LiteralString, cast

import psycopg
from eventsourcing.persistence import ProgrammingError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from mentorlog.core.commands.base import first_line
from mentorlog.core.storage.postgres import advisory_lock_key
from mentorlog.projections.base import Projection, VersionedTables
from psycopg import Connection, Cursor, Pipeline
from psycopg.rows import DictRow, TupleRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier

log = logging.getLogger(__name__)

TRACKING_TABLE = "tracking"
MAX_LISTEN_PAUSE = 30.0  # seconds between LISTEN reconnects while the database is away
VERSIONS_TABLE = "projection_versions"
# A quoted string or identifier, a ? placeholder, or a % sign.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")
# SQLite storage classes and the PostgreSQL types that hold the same values.
_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION"}
_TYPE_WORDS = re.compile(r"'(?:[^']|'')*'|\b(?:INTEGER|REAL)\b", re.IGNORECASE)
_SQLITE_ONLY = ("WITHOUT ROWID", "AUTOINCREMENT", "INSERT OR ", "PRAGMA ")


# Handlers are written once, for SQLite's `?` placeholders; here they get a cursor that
# turns those into psycopg's `%s`. Each projection's DDL is used as written, with
# SQLite's storage classes named by their PostgreSQL equivalents (INTEGER is 64-bit
# and REAL is a double in SQLite, so they become BIGINT and DOUBLE PRECISION).
@functools.lru_cache(maxsize=2048)
def to_pyformat(sql: str) -> str:
    """Turn SQLite's ? placeholders into psycopg's %s; escape literal % signs."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        return token.replace("%", "%%")

    return _TOKENS.sub(swap, sql)


def postgres_ddl(statement: str) -> str:
    """A projection's DDL for PostgreSQL: SQLite's storage classes renamed."""
    upper = statement.upper()
    for phrase in _SQLITE_ONLY:
        if phrase in upper:
            raise ProgrammingError(
                f"projection DDL must be portable, but uses {phrase.strip()}: "
                f"{statement}"
            )

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        return _TYPES.get(word.upper(), word)

    return _TYPE_WORDS.sub(rename, statement)


lock_key = advisory_lock_key  # one key per (schema, purpose), shared with core


class SchemaDatastore(PostgresDatastore):
    """eventsourcing's PostgreSQL datastore, its sessions searching its schema."""

    def after_connect_func(self) -> Callable[[Connection[Any]], None]:
        """Configure like eventsourcing, then set the search path to the schema."""
        configure = super().after_connect_func()
        statement = SQL("SET search_path TO {}").format(Identifier(self.schema))

        def after_connect(connection: Connection[Any]) -> None:
            configure(connection)
            connection.execute(statement)

        return after_connect


class QmarkCursor:
    """A psycopg cursor that takes ? placeholders and returns rows as tuples."""

    def __init__(
        self,
        cursor: Cursor[TupleRow],
        prepare: bool | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        self.cursor = cursor
        self.prepare = prepare
        self.pipeline = pipeline

    def execute(self, sql: str, params: Sequence[Any] = ()) -> QmarkCursor:
        """Run one statement."""
        query = cast(LiteralString, to_pyformat(sql))
        self.cursor.execute(query, tuple(params), prepare=self.prepare)
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> QmarkCursor:
        """Run one statement for each row of parameters."""
        params = [tuple(row) for row in rows]
        if params:
            self.cursor.executemany(cast(LiteralString, to_pyformat(sql)), params)
        return self

    def fetchone(self) -> TupleRow | None:
        """The next row, or None."""
        return self.cursor.fetchone()

    def fetchall(self) -> list[TupleRow]:
        """The remaining rows."""
        return self.cursor.fetchall()

    def __iter__(self) -> Iterator[TupleRow]:
        return iter(self.cursor)

    @property
    def rowcount(self) -> int:
        """Rows the last statement touched (waiting for it, when pipelined)."""
        if self.pipeline is not None:
            self.pipeline.sync()
        return self.cursor.rowcount


class PostgresReadModelRecorder(VersionedTables, PostgresTrackingRecorder):
    """Writes a projection's rows and its tracking position in one transaction."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        projections: Sequence[Projection],
        tracking_table_name: str = TRACKING_TABLE,
    ) -> None:
        self.projections = list(projections)
        # The transaction of the page being applied in this thread (see `page`).
        self._page = threading.local()
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        self.schema = datastore.schema
        # NOTIFY channels are database-wide: name this schema's.
        self.channel = f"{self.schema}_read_models"[: self.MAX_IDENTIFIER_LEN]
        self._notify = SQL("NOTIFY {}").format(Identifier(self.channel))
        self._ddl_lock = lock_key(self.schema, "ddl")
        tracking = Identifier(self.schema, self.tracking_table_name)
        self._positions = SQL(
            "SELECT application_name, notification_id FROM {} "
            "WHERE application_name = ANY(%s)"
        ).format(tracking)
        self._forget = SQL("DELETE FROM {} WHERE application_name = %s").format(
            tracking
        )
        versions = Identifier(self.schema, VERSIONS_TABLE)
        self._versions = SQL("SELECT name, version FROM {}").format(versions)
        self._set_version_sql = SQL(
            "INSERT INTO {} VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET version = excluded.version"
        ).format(versions)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} "
                "(name text PRIMARY KEY, version bigint NOT NULL)"
            ).format(versions)
        )
        for projection in self.projections:
            self.sql_create_statements.extend(self._ddl(projection))

    @staticmethod
    def _ddl(projection: Projection) -> list[Composed]:
        return [
            Composed([SQL(cast(LiteralString, postgres_ddl(statement)))])
            for statement in projection.ddl
        ]

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # Processes starting together take turns: CREATE ... IF NOT EXISTS races.
        curs.execute("SELECT pg_advisory_xact_lock(%s)", (self._ddl_lock,))
        super()._create_table(curs)

    def existing_tables(self) -> set[str]:
        """The tables the schema holds now."""
        with self.datastore.get_connection() as connection:
            rows = connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = %s",
                (self.schema,),
            ).fetchall()
        return {row["table_name"] for row in rows}

    @contextmanager
    def _ddl_transaction(self) -> Iterator[Cursor[DictRow]]:
        """A transaction holding the schema's DDL lock (processes take turns)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("SELECT pg_advisory_xact_lock(%s)", (self._ddl_lock,))
            yield curs

    def _known_versions(self, cursor: Any) -> dict[str, int]:
        """The version each projection's tables were made for."""
        cursor.execute(self._versions)
        return {row["name"]: row["version"] for row in cursor.fetchall()}

    def _recreate(self, cursor: Any, projection: Projection) -> None:
        """Drop and create the projection's tables, and forget its position."""
        for table in projection.tables:
            cursor.execute(
                SQL("DROP TABLE IF EXISTS {}").format(Identifier(self.schema, table))
            )
        for statement in self._ddl(projection):
            cursor.execute(statement)
        cursor.execute(self._forget, (projection.name,))

    def _set_version(self, cursor: Any, projection: Projection) -> None:
        """Record the version the projection's tables are made for now."""
        cursor.execute(self._set_version_sql, (projection.name, projection.version))

    @contextmanager
    def page(self) -> Iterator[None]:
        """One transaction for every apply_page inside: all commit, or none does."""
        with self.datastore.transaction(commit=True) as curs:
            self._page.cursor = curs
            try:
                yield
            finally:
                self._page.cursor = None
            curs.execute(self._notify)

    def apply_page(
        self, projection: Projection, events: Sequence[tuple[int, Any]], last_id: int
    ) -> None:
        """Apply a page of (position, event) and move the position to last_id."""
        curs: Cursor[DictRow] | None = getattr(self._page, "cursor", None)
        if curs is not None:
            self._apply_page(curs, projection, events, last_id)
            return
        with self.datastore.transaction(commit=True) as curs:
            self._apply_page(curs, projection, events, last_id)
            curs.execute(self._notify)

    def _apply_page(
        self,
        curs: Cursor[DictRow],
        projection: Projection,
        events: Sequence[tuple[int, Any]],
        last_id: int,
    ) -> None:
        """Apply the page's events, then insert the projection's position."""
        connection = curs.connection
        # Pipelined: statements go out without waiting for each reply; a handler
        # that reads (fetchone) waits for what it needs.
        with (
            connection.pipeline() as pipeline,
            connection.cursor(row_factory=tuple_row) as raw,
        ):
            # Unprepared: psycopg may lose track of statements prepared in a
            # pipeline that an error aborts.
            projection.apply_page(
                QmarkCursor(raw, prepare=False, pipeline=pipeline), events
            )
        self._insert_tracking(curs, Tracking(projection.name, last_id))

    def position(self, name: str) -> int:
        """The last notification ID a projection has applied (0 for none)."""
        return self.max_tracking_id(name) or 0

    def positions(self, names: Sequence[str]) -> dict[str, int]:
        """Each named projection's position, in one query (0 for none)."""
        with self.datastore.get_connection() as connection:
            rows = connection.execute(self._positions, (list(names),), prepare=True)
            found = {r["application_name"]: r["notification_id"] for r in rows}
        return {name: found.get(name) or 0 for name in names}

    def reset(self, projection: Projection) -> None:
        """Drop a projection's rows and position, so it replays from the start."""
        with self.datastore.transaction(commit=True) as curs:
            for table in projection.tables:
                curs.execute(
                    SQL("DELETE FROM {}").format(Identifier(self.schema, table))
                )
            curs.execute(self._forget, (projection.name,))
            curs.execute(self._notify)

    def connect(self) -> Connection[TupleRow]:
        """A session of its own (not pooled), for LISTEN and the advisory lock."""
        kwargs = dict(cast(dict[str, Any], self.datastore.pool.kwargs))
        kwargs.pop("row_factory", None)
        if self.datastore.pool.get_password_func is not None:
            kwargs["password"] = self.datastore.pool.get_password_func()
        return psycopg.connect(
            **kwargs, autocommit=True, connect_timeout=int(self.datastore.pool.timeout)
        )


def open_pg_read_models(
    datastore: PostgresDatastore, projections: Sequence[Projection]
) -> PostgresReadModelRecorder:
    """Open (and create if needed) the read-model tables in the datastore's schema."""
    recorder = PostgresReadModelRecorder(datastore, projections)
    before = recorder.existing_tables()
    recorder.create_table()
    created = [p.name for p in projections if not set(p.tables) & before]
    recorder.migrate(created)
    return recorder


class PostgresListener:
    """Calls back whenever one of its channels is notified (LISTEN in a thread)."""

    def __init__(
        self,
        connect: Callable[[], Connection[Any]],
        channels: Sequence[str],
        retry_interval: float = 1.0,
    ) -> None:
        self.connect = connect
        self.channels = list(channels)
        self.retry_interval = retry_interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self, wake: Callable[[], None]) -> None:
        """Listen in a background thread, calling wake on each notification."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._listen, args=(wake,), name="projections-listen", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and close the session."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.listening.clear()

    def _listen(self, wake: Callable[[], None]) -> None:
        lost = 0  # sessions lost in a row: the pause doubles, and one line says so
        while not self._stopping.is_set():
            try:
                with self.connect() as connection:
                    for channel in self.channels:
                        connection.execute(SQL("LISTEN {}").format(Identifier(channel)))
                    self.listening.set()
                    if lost > 1:
                        log.warning("LISTEN session back")
                    lost = 0
                    wake()  # whatever was recorded before LISTEN took effect
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=0.1, stop_after=1):
                            wake()
            except psycopg.Error as exc:
                self.listening.clear()
                if self._stopping.is_set():
                    return
                lost += 1
                if lost <= 2:
                    log.warning(
                        "LISTEN session lost (%s); reconnecting", first_line(exc)
                    )
                wake()  # poll once while the session is down
                pause = min(self.retry_interval * 2 ** (lost - 1), MAX_LISTEN_PAUSE)
                self._stopping.wait(pause if lost > 1 else 0)


class AdvisoryLock:
    """A session-level advisory lock on a session of its own.

    PostgreSQL releases it when the session ends, so when the holding process dies
    another process can take it over.
    """

    def __init__(self, connect: Callable[[], Connection[Any]], key: int) -> None:
        self.connect = connect
        self.key = key
        self._connection: Connection[Any] | None = None
        self._held = False
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        """True while this process holds the lock (as last checked)."""
        return self._held

    def acquire(self) -> bool:
        """Take the lock if free, without waiting; True while this process holds it."""
        with self._mutex:
            try:
                if self._connection is None or self._connection.closed:
                    self._held = False
                    self._connection = self.connect()
                if self._held:
                    self._connection.execute("SELECT 1")  # still our session?
                    return True
                row = self._connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self.key,)
                ).fetchone()
                self._held = bool(row and row[0])
            except psycopg.Error as exc:
                log.warning("advisory lock session lost (%s)", first_line(exc))
                self._close()
            return self._held

    def release(self) -> None:
        """Release the lock (if held) and close the session."""
        with self._mutex:
            if self._held and self._connection is not None:
                # If the session is gone, the lock went with it.
                with contextlib.suppress(psycopg.Error):
                    self._connection.execute(
                        "SELECT pg_advisory_unlock(%s)", (self.key,)
                    )
            self._close()

    def _close(self) -> None:
        self._held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                connection.close()
