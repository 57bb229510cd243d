"""The SQLite event store: pooled connections, the chained recorder, the key store.

eventsourcing connects with `cached_statements=True`, which sqlite3 takes as a cache
of one prepared statement: a transaction that runs a few different statements
prepares each of them again every time. These connections keep STATEMENT_CACHE.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import IntegrityError, InterfaceError, StoredEvent
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType
from mentorlog.core.chain import GENESIS, LINKS_TABLE, new_links, stream_key
from mentorlog.core.merkle import Node, size_of
from mentorlog.core.storage.group import GroupCommit, Save
from mentorlog.core.storage.links import CommittedLinks
from mentorlog.core.storage.tree import (
    CHECKPOINTS_TABLE,
    NODES_TABLE,
    Growth,
    edge_positions,
    grow,
    grow_all,
    positions,
)

STATEMENT_CACHE = 256


class CachingPool(SQLiteConnectionPool):
    """eventsourcing's SQLite pool: WAL mode, with a statement cache per connection.

    `synchronous` sets that pragma on each connection (None: SQLite's default).
    """

    def __init__(
        self, *, db_name: str, lock_timeout: int | None, synchronous: str | None = None
    ) -> None:
        super().__init__(db_name=db_name, lock_timeout=lock_timeout)
        self.synchronous = synchronous

    def _create_connection(self) -> SQLiteConnection:
        """Connect as eventsourcing does, keeping STATEMENT_CACHE statements."""
        try:
            connection = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # autocommit; transactions BEGIN explicitly
                cached_statements=STATEMENT_CACHE,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as exc:
            raise InterfaceError(exc) from exc
        if not self.is_sqlite_memory_mode:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        if self.synchronous is not None:
            connection.execute(f"PRAGMA synchronous={self.synchronous}")
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


class Factory(SQLiteFactory):
    """eventsourcing's SQLite persistence, its connections from a CachingPool.

    For PERSISTENCE_MODULE; reads the same SQLITE_* settings. The event store keeps
    SQLite's default `synchronous` (FULL): every command's commit is durable.
    """

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        plain = self.datastore.pool
        self.datastore.pool = CachingPool(
            db_name=plain.db_name, lock_timeout=plain.lock_timeout
        )
        plain.close()  # never connected: connections are made on first use


class ChainedSQLiteRecorder(CommittedLinks, SQLiteApplicationRecorder):
    """Records each event's chain hash and Merkle leaf in the event's transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keep_links()
        self._group = GroupCommit(self._write_group)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events, their links and their leaves; return once committed.

        Concurrent callers share one transaction and one commit (see
        core/storage/group.py); each save's events stay together and in order.
        """
        return self._group.save(stored_events, **kwargs).ids

    def _write_group(self, group: list[Save]) -> None:
        """Write a group of saves in one transaction, each in a savepoint of its own."""
        with self.datastore.transaction(commit=True) as c:
            if len(group) == 1:  # alone: a conflict rolls the transaction back
                self._write_save(c, group[0])
            else:
                for save in group:
                    c.execute("SAVEPOINT save")
                    try:
                        self._write_save(c, save)
                    except sqlite3.IntegrityError as error:
                        c.execute("ROLLBACK TO save")
                        save.error, save.ids = IntegrityError(error), None
                    c.execute("RELEASE save")
        for save in group:  # committed now
            if save.error is None:
                self._remember(save.links)

    def _write_save(self, c: SQLiteCursor, save: Save) -> None:
        self._pending.links = []
        save.ids = self._insert_events(c, save.events, **save.kwargs)
        save.links = self._pending.links

    def construct_create_table_statements(self) -> list[str]:
        """The events table, then the links, tree and checkpoint tables."""
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {LINKS_TABLE} ("
            "originator_id TEXT, originator_version INTEGER, hash TEXT NOT NULL, "
            "leaf INTEGER, PRIMARY KEY (originator_id, originator_version)) "
            "WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {NODES_TABLE} (pos INTEGER PRIMARY KEY, "
            "hash BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS_TABLE} (size INTEGER "
            "PRIMARY KEY, note TEXT NOT NULL)",
        ]

    def create_table(self) -> None:
        """Create the tables; grow the tree of a store made before it had one."""
        super().create_table()
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"PRAGMA table_info({LINKS_TABLE})")
            if any(row[1] == "leaf" for row in c.fetchall()):
                return
            c.execute(f"ALTER TABLE {LINKS_TABLE} ADD COLUMN leaf INTEGER")
            c.execute(
                f"SELECT e.originator_id, e.originator_version, l.hash "
                f"FROM {self.events_table_name} e JOIN {LINKS_TABLE} l "
                "USING (originator_id, originator_version) ORDER BY e.rowid"
            )
            rows = [(r[0], r[1], r[2]) for r in c.fetchall()]
            for growth, links in grow_all(rows):
                c.executemany(
                    f"UPDATE {LINKS_TABLE} SET leaf = ? "
                    "WHERE originator_id = ? AND originator_version = ?",
                    [
                        (leaf, k, v)
                        for leaf, (k, v, _) in zip(growth.leaves, links, strict=True)
                    ],
                )
                c.executemany(f"INSERT INTO {NODES_TABLE} VALUES (?,?)", growth.nodes)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        links = new_links(
            stored_events, lambda key, version: self._previous_hash(c, key, version)
        )
        growth = self._grow_tree(c, links)
        c.executemany(
            f"INSERT INTO {LINKS_TABLE} VALUES (?,?,?,?)",
            [(*link, leaf) for link, leaf in zip(links, growth.leaves, strict=True)],
        )
        self._pending.links = links
        return ids

    def _grow_tree(
        self, c: SQLiteCursor, links: Sequence[tuple[str, int, str]]
    ) -> Growth:
        """Add the links' leaves to the tree; return their leaf indexes."""
        # The events' insert holds the write lock: what is read here is the newest.
        c.execute(f"SELECT pos FROM {NODES_TABLE} ORDER BY pos DESC LIMIT 1")
        last = c.fetchone()
        size = size_of(last[0] + 1) if last else 0
        growth = grow(size, self._positions(c, edge_positions(size)), links)
        c.executemany(f"INSERT INTO {NODES_TABLE} VALUES (?,?)", growth.nodes)
        return growth

    def _positions(self, c: SQLiteCursor, wanted: Sequence[int]) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            c.execute(
                f"SELECT pos, hash FROM {NODES_TABLE} "
                f"WHERE pos IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((int(r[0]), bytes(r[1])) for r in c.fetchall())
        return found

    def _previous_hash(self, c: SQLiteCursor, key: str, version: int) -> str:
        if version <= 1:
            return GENESIS
        cached = self._cached_head(key, version)
        if cached is not None:
            return cached
        c.execute(
            f"SELECT hash FROM {LINKS_TABLE} "
            "WHERE originator_id = ? AND originator_version = ?",
            (key, version - 1),
        )
        row = c.fetchone()
        return row[0] if row else GENESIS

    def select_links(self, originator_id: UUID | str) -> list[tuple[int, str]]:
        """Return (version, hash) of a stream's recorded links, in order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, hash FROM {LINKS_TABLE} "
                "WHERE originator_id = ? ORDER BY originator_version",
                (stream_key(originator_id),),
            )
            return [(row[0], row[1]) for row in c.fetchall()]

    def first_position(self, originator_id: UUID) -> int | None:
        """The notification ID of a stream's first event, or None if it has none."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} "
                "WHERE originator_id = ? AND originator_version = 1",
                (originator_id.hex,),
            )
            row = c.fetchone()
        return int(row[0]) if row else None

    def stream_ids(self) -> list[str]:
        """Every stream that has an event or a link, in first-recorded order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.events_table_name} "
                f"UNION SELECT originator_id FROM {LINKS_TABLE}"
            )
            return sorted(row[0] for row in c.fetchall())

    def tree_size(self) -> int:
        """How many leaves the Merkle tree has (one per recorded event)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT pos FROM {NODES_TABLE} ORDER BY pos DESC LIMIT 1")
            last = c.fetchone()
        return size_of(last[0] + 1) if last else 0

    def tree_nodes(self, nodes: set[Node]) -> dict[Node, bytes]:
        """The stored hashes of the given complete subtrees (absent ones left out)."""
        where = positions(nodes)
        with self.datastore.transaction(commit=False) as c:
            found = self._positions(c, sorted(where))
        return {where[p]: digest for p, digest in found.items()}

    def leaf_indexes(self, originator_id: UUID | str) -> dict[int, int]:
        """Each of a stream's versions and its leaf index in the tree."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, leaf FROM {LINKS_TABLE} "
                "WHERE originator_id = ? AND leaf IS NOT NULL",
                (stream_key(originator_id),),
            )
            return {int(r[0]): int(r[1]) for r in c.fetchall()}

    def insert_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint (the first one signed at each size)."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {CHECKPOINTS_TABLE} VALUES (?, ?)", (size, note)
            )

    def select_checkpoints(self) -> list[tuple[int, str]]:
        """Every kept checkpoint as (size, note), oldest first."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT size, note FROM {CHECKPOINTS_TABLE} ORDER BY size")
            return [(int(r[0]), str(r[1])) for r in c.fetchall()]


class SQLiteKeyStore:
    """Keys in their own SQLite file; deletion overwrites the freed pages.

    One connection is opened on first use and reused, its use serialized by a
    lock; nothing is cached beside it, so a key another process destroyed is gone
    here at the next read. close() closes it (a later use opens it again).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        with self._lock, self._connection() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS person_keys ("
                "person_id TEXT PRIMARY KEY, key BLOB, destroyed INTEGER NOT NULL)"
            )

    def _connection(self) -> sqlite3.Connection:
        """The store's connection, opened if need be (the caller holds the lock)."""
        if self._con is None:
            # Used by one thread at a time (under the lock), from any thread.
            con = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            con.execute("PRAGMA secure_delete = ON")
            self._con = con
        return self._con

    def create(self, person_id: str) -> bytes:
        """Make (or return) the person's key."""
        with self._lock, self._connection() as con:
            row = con.execute(
                "SELECT key, destroyed FROM person_keys WHERE person_id = ?",
                (person_id,),
            ).fetchone()
            if row is not None:
                if row[1]:
                    raise KeyError(f"the key of {person_id} was destroyed")
                return bytes(row[0])
            key = AESGCM.generate_key(bit_length=256)
            con.execute("INSERT INTO person_keys VALUES (?, ?, 0)", (person_id, key))
            return key

    def get(self, person_id: str) -> bytes | None:
        """Return the person's key, or None once destroyed."""
        with self._lock:
            row = (
                self._connection()
                .execute(
                    "SELECT key FROM person_keys WHERE person_id = ? AND destroyed = 0",
                    (person_id,),
                )
                .fetchone()
            )
        return bytes(row[0]) if row else None

    def destroy(self, person_id: str) -> bool:
        """Overwrite the key; keep a tombstone so it is never made again."""
        with self._lock:
            with self._connection() as con:
                cursor = con.execute(
                    "UPDATE person_keys SET key = NULL, destroyed = 1 "
                    "WHERE person_id = ? AND destroyed = 0",
                    (person_id,),
                )
                changed = cursor.rowcount > 0
            if changed:
                con.execute("VACUUM")  # after the commit: outside a transaction
        return changed

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            con, self._con = self._con, None
        if con is not None:
            con.close()
