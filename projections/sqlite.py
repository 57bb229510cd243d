"""The read-model store on SQLite: every projection's tables and position, one file."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder
from mentorlog.core.storage.sqlite import CachingPool
from mentorlog.projections.base import Projection, VersionedTables


class ReadModelDatastore(SQLiteDatastore):
    """An SQLite datastore with a statement cache and synchronous=NORMAL.

    The read models are in WAL mode, where synchronous=NORMAL still commits each
    transaction atomically and survives a crash of the process, without an fsync
    per commit. A power cut may lose the last transactions: a projection's rows
    and its tracking position commit together, so they go back together and the
    runner applies those events again. The event store stays fully synchronous.
    """

    def __init__(self, db_name: str, *, lock_timeout: int | None = None) -> None:
        super().__init__(db_name, lock_timeout=lock_timeout)
        self.pool = CachingPool(
            db_name=db_name, lock_timeout=lock_timeout, synchronous="NORMAL"
        )


class ReadModelRecorder(VersionedTables, SQLiteTrackingRecorder):
    """Writes a projection's rows and its tracking position in one transaction."""

    def __init__(self, datastore: SQLiteDatastore, projections: Sequence[Projection]):
        self.projections = list(projections)
        # The transaction of the page being applied in this thread (see `page`).
        self._page = threading.local()
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        """Tracking, the projections' versions, then every projection's tables."""
        statements = super().construct_create_table_statements()
        statements.append(
            "CREATE TABLE IF NOT EXISTS projection_versions ("
            "name TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        for projection in self.projections:
            statements.extend(projection.ddl)
        return statements

    def _ddl_transaction(self) -> AbstractContextManager[Any]:
        """A write transaction (SQLite lets one writer in at a time)."""
        return self.datastore.transaction(commit=True)

    def _known_versions(self, cursor: Any) -> dict[str, int]:
        """The version each projection's tables were made for."""
        cursor.execute("SELECT name, version FROM projection_versions")
        return {row[0]: row[1] for row in cursor.fetchall()}

    def _recreate(self, cursor: Any, projection: Projection) -> None:
        """Drop and create the projection's tables, and forget its position."""
        for table in projection.tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in projection.ddl:
            cursor.execute(statement)
        cursor.execute(
            "DELETE FROM tracking WHERE application_name = ?", (projection.name,)
        )

    def _set_version(self, cursor: Any, projection: Projection) -> None:
        """Record the version the projection's tables are made for now."""
        cursor.execute(
            "INSERT INTO projection_versions VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
            (projection.name, projection.version),
        )

    @contextmanager
    def page(self) -> Iterator[None]:
        """One transaction for every apply_page inside: all commit, or none does."""
        with self.datastore.transaction(commit=True) as c:
            self._page.cursor = c
            try:
                yield
            finally:
                self._page.cursor = None

    def apply_page(
        self, projection: Projection, events: Sequence[tuple[int, Any]], last_id: int
    ) -> None:
        """Apply a page of (position, event) and move the position to last_id."""
        cursor: SQLiteCursor | None = getattr(self._page, "cursor", None)
        if cursor is not None:
            projection.apply_page(cursor, events)
            self._insert_tracking(cursor, Tracking(projection.name, last_id))
            return
        with self.datastore.transaction(commit=True) as c:
            projection.apply_page(c, events)
            self._insert_tracking(c, Tracking(projection.name, last_id))

    def position(self, name: str) -> int:
        """The last notification ID a projection has applied (0 for none)."""
        return self.max_tracking_id(name) or 0

    def reset(self, projection: Projection) -> None:
        """Drop a projection's rows and position, so it replays from the start."""
        with self.datastore.transaction(commit=True) as c:
            for table in projection.tables:
                c.execute(f"DELETE FROM {table}")
            c.execute(
                "DELETE FROM tracking WHERE application_name = ?", (projection.name,)
            )


def open_read_models(
    path: Path, projections: Sequence[Projection]
) -> ReadModelRecorder:
    """Open (and create if needed) the read-model database at path."""
    datastore = ReadModelDatastore(str(path), lock_timeout=10)
    recorder = ReadModelRecorder(datastore, projections)
    recorder.create_table()
    recorder.migrate()
    return recorder
