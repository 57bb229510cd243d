"""SQLite connections as eventsourcing opens them, with a statement cache.

eventsourcing connects with `cached_statements=True`, which sqlite3 takes as a cache
of one prepared statement: a transaction that runs a few different statements
prepares each of them again every time. These connections keep STATEMENT_CACHE.
"""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InterfaceError
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

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
