"""Copy an embedded (SQLite) installation into an empty PostgreSQL schema.

Events keep their notification IDs (and so their order), chain links and snapshots
are copied as stored, and the key store comes along whole: live keys, destroyed-key
tombstones and the idempotency fingerprint secret. The copy is one transaction, so a
failure leaves the target empty; the read models are then rebuilt from the copy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from mentorlog.core.chain import LINKS_TABLE, ChainedRecorder, store_digest, verify
from mentorlog.core.commands.base import FINGERPRINT_KEY
from mentorlog.core.storage.tree import CHECKPOINTS_TABLE, NODES_TABLE
from mentorlog.core.transparency import Transparency
from mentorlog.services import (
    CONNECT_TIMEOUT,
    DatabaseError,
    DataDirError,
    Services,
    open_services,
    prepare_data_dir,
)
from mentorlog.settings import Settings

# (stage, done, total): stages are "events", "links", "snapshots", "keys",
# "read models" and "verify".
Step = Callable[[str, int, int], None]
PAGE = 2000  # rows read from SQLite at a time
KEYS_TABLE = "person_keys"


class TargetNotEmpty(DataDirError):
    """The PostgreSQL schema already holds events or keys."""


@dataclass(frozen=True)
class Migrated:
    """What was copied, and the store digest both sides verified to."""

    events: int
    links: int
    snapshots: int
    keys: int
    destroyed: int
    digest: str
    root: str = ""  # the Merkle tree's size and root, equal on both sides


# The Merkle tree's tables and their columns, copied as they are.
TREE_COLUMNS = {NODES_TABLE: "pos, hash", CHECKPOINTS_TABLE: "size, note"}


def _quiet(stage: str, done: int, total: int) -> None:
    """A progress callback that reports nothing."""


def migrate(source: Settings, target: Settings, progress: Step = _quiet) -> Migrated:
    """Copy the SQLite installation `source` into the PostgreSQL schema `target`."""
    if source.postgres is not None:
        raise DataDirError("the source of a migration is a data directory")
    try:
        postgres = target.postgres
    except ValueError as exc:
        raise DatabaseError(str(exc)) from None
    if postgres is None:
        raise DatabaseError("the target of a migration is a postgresql:// URL")
    prepare_data_dir(source.data_dir, create=False)
    if not source.events_db.exists():
        raise DataDirError(f"{source.data_dir} has no event store to migrate")
    # Opening the source grows its Merkle tree, if it was made before it had one.
    open_services(source, create=False).close()
    # Opening the target creates its tables (and a fingerprint secret, replaced).
    services = open_services(target)
    try:
        tables = _tables(services)
    finally:
        services.close()
    with (
        closing(_read_only(source.events_db)) as events,
        closing(_read_only(source.data_dir / "keys.db")) as keys,
        psycopg.connect(
            **postgres.connection_kwargs(), connect_timeout=CONNECT_TIMEOUT
        ) as pg,
    ):
        events.execute("BEGIN")  # one snapshot of the source for the whole copy
        keys.execute("BEGIN")
        with pg.transaction():
            where = f"schema '{postgres.schema}' of {postgres.where}"
            copied = _copy(events, keys, pg, tables, where, progress)
    return _check(source, target, copied, progress)


@dataclass(frozen=True)
class _Tables:
    """The target's table names, qualified by its schema."""

    schema: str
    events: str
    snapshots: str
    channel: str

    def name(self, table: str) -> Identifier:
        """A table of the schema, as an identifier."""
        return Identifier(self.schema, table)


def _tables(services: Services) -> _Tables:
    recorder: Any = services.app.recorder
    snapshots: Any = services.app.snapshots
    assert snapshots is not None  # Mentoring snapshots Mentorship and Person
    return _Tables(
        schema=recorder.datastore.schema,
        events=recorder.events_table_name,
        snapshots=snapshots.recorder.events_table_name,
        channel=recorder.channel_name,
    )


def _read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        # No key store yet: an empty in-memory one reads the same.
        connection = sqlite3.connect(":memory:", isolation_level=None)
        connection.execute(
            f"CREATE TABLE {KEYS_TABLE} (person_id TEXT, key BLOB, destroyed INTEGER)"
        )
        return connection
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)


def _count(connection: sqlite3.Connection, table: str) -> int:
    exists = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
        (table,),
    ).fetchone()[0]
    if not exists:
        return 0
    return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _pages(
    connection: sqlite3.Connection, query: str, total: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows PAGE at a time (query takes LIMIT and OFFSET)."""
    for offset in range(0, total, PAGE):
        yield connection.execute(query, (PAGE, offset)).fetchall()


def _refuse_if_used(pg: psycopg.Connection[Any], tables: _Tables, where: str) -> None:
    """Refuse a target holding events, links, snapshots or any key but the secret."""
    held = []
    for label, table in (
        ("events", tables.events),
        ("chain links", LINKS_TABLE),
        ("snapshots", tables.snapshots),
    ):
        query = SQL("SELECT count(*) FROM {}").format(tables.name(table))
        row = pg.execute(query).fetchone()
        if row and row[0]:
            held.append(f"{row[0]} {label}")
    row = pg.execute(
        SQL("SELECT count(*) FROM {} WHERE person_id <> %s").format(
            tables.name(KEYS_TABLE)
        ),
        (FINGERPRINT_KEY,),
    ).fetchone()
    if row and row[0]:
        held.append(f"{row[0]} keys")
    if held:
        raise TargetNotEmpty(
            f"{where} is not empty (it holds {', '.join(held)}); migrate only into "
            "an empty schema, e.g. a new one named with ?schema=name"
        )


def _copy(
    events: sqlite3.Connection,
    keys: sqlite3.Connection,
    pg: psycopg.Connection[Any],
    tables: _Tables,
    where: str,
    progress: Step,
) -> Migrated:
    """Copy everything inside the caller's transaction; the target must be empty."""
    # Writers (another process on the target) wait until the copy commits.
    pg.execute(
        SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(tables.name(tables.events))
    )
    _refuse_if_used(pg, tables, where)

    total = _count(events, "stored_events")
    done = 0
    progress("events", 0, total)
    copy_events = SQL(
        "COPY {} (notification_id, originator_id, originator_version, topic, state) "
        "FROM STDIN"
    ).format(tables.name(tables.events))
    with pg.cursor().copy(copy_events) as copy:
        for rows in _pages(
            events,
            "SELECT rowid, originator_id, originator_version, topic, state "
            "FROM stored_events ORDER BY rowid LIMIT ? OFFSET ?",
            total,
        ):
            for rowid, originator, version, topic, state in rows:
                copy.write_row((rowid, UUID(originator), version, topic, state))
            done += len(rows)
            progress("events", done, total)
    # New events continue after the copied ones.
    pg.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
        "greatest(%s, 1), %s)",
        (f'"{tables.schema}"."{tables.events}"', total and _head(events), total > 0),
    )

    links = _copy_table(
        events,
        pg,
        "links",
        f"SELECT originator_id, originator_version, hash, leaf FROM {LINKS_TABLE} "
        "ORDER BY originator_id, originator_version LIMIT ? OFFSET ?",
        _count(events, LINKS_TABLE),
        SQL(
            "COPY {} (originator_id, originator_version, hash, leaf) FROM STDIN"
        ).format(tables.name(LINKS_TABLE)),
        lambda row: row,
        progress,
    )
    snapshots = _copy_table(
        events,
        pg,
        "snapshots",
        "SELECT originator_id, originator_version, topic, state FROM stored_snapshots "
        "ORDER BY originator_id, originator_version LIMIT ? OFFSET ?",
        _count(events, "stored_snapshots"),
        SQL(
            "COPY {} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(tables.name(tables.snapshots)),
        lambda row: (UUID(row[0]), *row[1:]),
        progress,
    )
    # The source's tree, node for node (the target's is empty, like its log).
    for table, columns in TREE_COLUMNS.items():
        _copy_table(
            events,
            pg,
            "Merkle tree",
            f"SELECT {columns} FROM {table} ORDER BY {columns} LIMIT ? OFFSET ?",
            _count(events, table),
            SQL("COPY {} ({}) FROM STDIN").format(tables.name(table), SQL(columns)),
            lambda row: row,
            progress,
        )
    # The fresh target made a fingerprint secret of its own: the source's replaces it.
    pg.execute(SQL("DELETE FROM {}").format(tables.name(KEYS_TABLE)))
    copied_keys = _copy_table(
        keys,
        pg,
        "keys",
        f"SELECT person_id, key, destroyed FROM {KEYS_TABLE} "
        "ORDER BY person_id LIMIT ? OFFSET ?",
        _count(keys, KEYS_TABLE),
        SQL("COPY {} (person_id, key, destroyed) FROM STDIN").format(
            tables.name(KEYS_TABLE)
        ),
        lambda row: (row[0], row[1], bool(row[2])),
        progress,
    )
    destroyed = int(
        keys.execute(f"SELECT count(*) FROM {KEYS_TABLE} WHERE destroyed").fetchone()[0]
    )
    # Followers of the target (LISTEN) learn of the new events once this commits.
    pg.execute(SQL("NOTIFY {}").format(Identifier(tables.channel)))
    return Migrated(total, links, snapshots, copied_keys, destroyed, digest="")


def _head(events: sqlite3.Connection) -> int:
    return int(events.execute("SELECT max(rowid) FROM stored_events").fetchone()[0])


def _copy_table(
    source: sqlite3.Connection,
    pg: psycopg.Connection[Any],
    stage: str,
    query: str,
    total: int,
    statement: SQL | Any,
    convert: Callable[[tuple[Any, ...]], tuple[Any, ...]],
    progress: Step,
) -> int:
    """COPY a SQLite table's rows into PostgreSQL, a page at a time."""
    done = 0
    progress(stage, 0, total)
    with pg.cursor().copy(statement) as copy:
        for rows in _pages(source, query, total):
            for row in rows:
                copy.write_row(convert(row))
            done += len(rows)
            progress(stage, done, total)
    return done


def _digest(settings: Settings) -> tuple[str, str]:
    """The store digest `mentorlog verify --all` prints, and the log's size and root."""
    services = open_services(settings, create=False)
    try:
        recorder = services.app.recorder
        assert isinstance(recorder, ChainedRecorder)
        verdicts = verify(recorder)
        size, root = Transparency(recorder).root()  # type: ignore[arg-type]
    finally:
        services.close()
    bad = next((v for v in verdicts if not v.ok), None)
    if bad is not None:
        raise DataDirError(
            f"stream {UUID(bad.stream_id)} of {settings.store_name} is broken at "
            f"sequence {bad.bad_version}: {bad.reason}"
        )
    return store_digest(verdicts), f"{size} events, root {root.hex()}"


def _check(
    source: Settings, target: Settings, copied: Migrated, progress: Step
) -> Migrated:
    """Rebuild the target's read models, then verify both stores to one digest."""
    services = open_services(target, create=False)
    try:
        services.runner.rebuild(
            progress=lambda done, total: progress("read models", done, total)
        )
        progress("read models", copied.events, copied.events)
    finally:
        services.close()
    progress("verify", 0, 2)
    before = _digest(source)
    progress("verify", 1, 2)
    after = _digest(target)
    progress("verify", 2, 2)
    if before != after:
        raise DatabaseError(
            f"the copy in {target.store_name} verifies to store digest {after[0]} "
            f"({after[1]}), but {source.store_name} to {before[0]} ({before[1]})"
        )
    return Migrated(
        copied.events,
        copied.links,
        copied.snapshots,
        copied.keys,
        copied.destroyed,
        digest=after[0],
        root=after[1],
    )
