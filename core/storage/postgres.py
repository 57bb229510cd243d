"""The PostgreSQL event store's parts: the chained recorder and the key store."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import (
    OperationalError,
    ProgrammingError,
    RecordConflictError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from mentorlog.core.chain import GENESIS, LINKS_TABLE, new_links, stream_key
from mentorlog.core.storage.links import CommittedLinks
from psycopg import Cursor, errors
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

# eventsourcing retries an insert whose connection dropped, blindly: if the first
# attempt had committed, the retry meets its own events as a conflict, and the
# command would run again and record twice. The command plumbing checks instead
# (see core/commands/base.py `_save`), so the insert is made once. Its reads retry
# ten times, each waiting up to the pool's timeout (a request could hang 100 s
# while the database is away); the callers retry within bounds of their own.
_insert_once = inspect.unwrap(PostgresApplicationRecorder.insert_events)
_select_events = inspect.unwrap(PostgresApplicationRecorder.select_events)
_select_notifications = inspect.unwrap(PostgresApplicationRecorder.select_notifications)
_max_notification_id = inspect.unwrap(PostgresApplicationRecorder.max_notification_id)


def advisory_lock_key(schema: str, purpose: str) -> int:
    """A signed 64-bit PostgreSQL advisory lock key for one purpose in one schema."""
    digest = hashlib.sha256(f"mentorlog:{purpose}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ChainedPostgresRecorder(CommittedLinks, PostgresApplicationRecorder):
    """Records each event's chain hash in the same transaction as the event."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        if datastore.enable_db_functions:
            raise ProgrammingError(
                "the hash chain needs the recorder's own inserts; "
                "unset POSTGRES_ENABLE_DB_FUNCTIONS"
            )
        super().__init__(datastore, events_table_name=events_table_name)
        self._keep_links()
        names = {
            "links": Identifier(datastore.schema, LINKS_TABLE),
            "events": Identifier(datastore.schema, self.events_table_name),
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {links} ("
                "originator_id text NOT NULL, originator_version bigint NOT NULL, "
                "hash text NOT NULL, PRIMARY KEY (originator_id, originator_version))"
            ).format(**names)
        )
        self._select_heads = SQL(
            "SELECT l.originator_id, l.hash FROM {links} l "
            "JOIN unnest(%s::text[], %s::bigint[]) AS p(originator_id, version) "
            "ON l.originator_id = p.originator_id "
            "AND l.originator_version = p.version - 1"
        ).format(**names)
        self._insert_links = SQL(
            "INSERT INTO {links} (originator_id, originator_version, hash) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[])"
        ).format(**names)
        self._select_links = SQL(
            "SELECT originator_version, hash FROM {links} "
            "WHERE originator_id = %s ORDER BY originator_version"
        ).format(**names)
        self._select_first_position = SQL(
            "SELECT notification_id FROM {events} "
            "WHERE originator_id = %s AND originator_version = 1"
        ).format(**names)
        self._select_stream_ids = SQL(
            "SELECT replace(originator_id::text, '-', '') AS id FROM {events} "
            "UNION SELECT originator_id FROM {links}"
        ).format(**names)

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # Processes starting together take turns: CREATE ... IF NOT EXISTS races.
        key = advisory_lock_key(self.datastore.schema, "ddl")
        curs.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        super()._create_table(curs)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events and their links in one transaction."""
        # Each stream's previous link is read first, outside the insert's pipeline:
        # it is committed, since the writer loaded that version to make this one.
        self._pending.links = []
        try:
            ids: Sequence[int] | None = _insert_once(
                self, stored_events, chain_heads=self._heads(stored_events), **kwargs
            )
        except OperationalError as error:
            if not isinstance(error.__cause__, errors.PipelineAborted):
                raise
            # A statement of the pipeline failed and rolled the transaction back,
            # but psycopg reported the aborted pipeline instead of that failure:
            # the insert of an event or link that another writer made first.
            raise RecordConflictError(str(error)) from error
        self._remember(self._pending.links)  # committed now
        return ids

    def select_events(self, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        """A stream's events, read once (see _select_events)."""
        events: Sequence[StoredEvent] = _select_events(self, *args, **kwargs)
        return events

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        """A page of the log, read once (see _select_events)."""
        return _select_notifications(self, *args, **kwargs)

    def max_notification_id(self) -> int | None:
        """The log's head, read once (see _select_events)."""
        head: int | None = _max_notification_id(self)
        return head

    def _heads(self, stored_events: Sequence[StoredEvent]) -> dict[str, str]:
        """The recorded hash before each stream's first event in the batch."""
        firsts: dict[str, int] = {}
        for stored in stored_events:
            firsts.setdefault(
                stream_key(stored.originator_id), stored.originator_version
            )
        wanted = {key: version for key, version in firsts.items() if version > 1}
        heads = {}
        for key, version in list(wanted.items()):
            cached = self._cached_head(key, version)
            if cached is not None:
                heads[key] = cached
                del wanted[key]
        if not wanted:
            return heads
        with self.datastore.get_connection() as connection:
            rows = connection.execute(
                self._select_heads, (list(wanted), list(wanted.values()))
            ).fetchall()
        heads.update((row["originator_id"], row["hash"]) for row in rows)
        return heads

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        heads: dict[str, str] = kwargs.get("chain_heads") or {}
        links = new_links(stored_events, lambda key, _: heads.get(key, GENESIS))
        self._pending.links = links
        # Not prepared: a conflict aborts the pipeline this statement is queued in.
        with curs.connection.cursor() as c:
            c.execute(
                self._insert_links,
                (
                    [key for key, _, _ in links],
                    [version for _, version, _ in links],
                    [digest for _, _, digest in links],
                ),
                prepare=False,
            )

    def select_links(self, originator_id: UUID | str) -> list[tuple[int, str]]:
        """Return (version, hash) of a stream's recorded links, in order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_links, (stream_key(originator_id),))
            return [(row["originator_version"], row["hash"]) for row in c.fetchall()]

    def first_position(self, originator_id: UUID) -> int | None:
        """The notification ID of a stream's first event, or None if it has none."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_first_position, (originator_id,))
            found = c.fetchone()
        return int(found["notification_id"]) if found else None

    def stream_ids(self) -> list[str]:
        """Every stream that has an event or a link (hex IDs), sorted."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_stream_ids)
            return sorted(row["id"] for row in c.fetchall())


class PostgresKeyStore:
    """Keys in a PostgreSQL table; destruction nulls the key and vacuums the table."""

    def __init__(self, datastore: PostgresDatastore, table: str = "person_keys"):
        from psycopg.sql import SQL, Identifier

        self.datastore = datastore
        name = Identifier(datastore.schema, table)
        self._vacuum = SQL("VACUUM {}").format(name)
        self._select = SQL("SELECT key, destroyed FROM {} WHERE person_id = %s").format(
            name
        )
        self._insert = SQL(
            "INSERT INTO {} (person_id, key, destroyed) VALUES (%s, %s, false) "
            "ON CONFLICT (person_id) DO NOTHING"
        ).format(name)
        self._destroy = SQL(
            "UPDATE {} SET key = NULL, destroyed = true "
            "WHERE person_id = %s AND NOT destroyed"
        ).format(name)
        with datastore.transaction(commit=True) as c:
            c.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} (person_id text PRIMARY KEY, "
                    "key bytea, destroyed boolean NOT NULL)"
                ).format(name)
            )

    def _row(self, person_id: str) -> Any:
        """The person's (key, destroyed) row, in one statement (autocommit)."""
        with self.datastore.get_connection() as connection:
            return connection.execute(
                self._select, (person_id,), prepare=True
            ).fetchone()

    def create(self, person_id: str) -> bytes:
        """Make (or return) the person's key."""
        row = self._row(person_id)
        if row is None:
            with self.datastore.transaction(commit=True) as c:
                key = AESGCM.generate_key(bit_length=256)
                c.execute(self._insert, (person_id, key))
                row = c.execute(self._select, (person_id,)).fetchone()
        assert row is not None
        if row["destroyed"]:
            raise KeyError(f"the key of {person_id} was destroyed")
        return bytes(row["key"])

    def get(self, person_id: str) -> bytes | None:
        """Return the person's key, or None once destroyed."""
        row = self._row(person_id)
        if row is None or row["destroyed"]:
            return None
        return bytes(row["key"])

    def destroy(self, person_id: str) -> bool:
        """Null the key; keep a tombstone so it is never made again."""
        with self.datastore.transaction(commit=True) as c:
            changed = c.execute(self._destroy, (person_id,)).rowcount > 0
        if changed:
            # Dead row versions still hold the key until vacuumed (autocommit).
            with self.datastore.get_connection() as connection:
                connection.execute(self._vacuum)
        return changed

    def close(self) -> None:
        """Nothing to release: the datastore's pool is closed by its owner."""


class SnapshotRecorder(PostgresAggregateRecorder):
    """eventsourcing's snapshot recorder, its reads made once (see _select_events)."""

    def select_events(self, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        """A stream's snapshots, read once."""
        events: Sequence[StoredEvent] = _select_events(self, *args, **kwargs)
        return events


class Factory(PostgresFactory):
    """eventsourcing's PostgreSQL persistence, snapshots read by SnapshotRecorder.

    For PERSISTENCE_MODULE; reads the same POSTGRES_* settings.
    """

    aggregate_recorder_class = SnapshotRecorder
