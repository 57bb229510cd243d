"""The hash chain: each stored event's hash covers the previous hash and the event."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

GENESIS = "0" * 64
LINKS_TABLE = "event_links"
LINK_CACHE_SIZE = 100_000  # streams whose newest link a recorder keeps


def link(previous: str, stored: StoredEvent) -> str:
    """Hash an event exactly as stored, chained to the previous event's hash."""
    originator = stored.originator_id
    parts = [
        previous.encode(),
        (originator.hex if isinstance(originator, UUID) else str(originator)).encode(),
        str(stored.originator_version).encode(),
        stored.topic.encode(),
        bytes(stored.state),
    ]
    digest = hashlib.sha256(b"mentorlog-chain-v1")
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def chain(stored_events: Iterable[StoredEvent], previous: str = GENESIS) -> list[str]:
    """Return the hash of each event in order, starting from previous."""
    hashes = []
    for stored in stored_events:
        previous = link(previous, stored)
        hashes.append(previous)
    return hashes


def advisory_lock_key(schema: str, purpose: str) -> int:
    """A signed 64-bit PostgreSQL advisory lock key for one purpose in one schema."""
    digest = hashlib.sha256(f"mentorlog:{purpose}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def new_links(
    stored_events: Sequence[StoredEvent], previous: Callable[[str, int], str]
) -> list[tuple[str, int, str]]:
    """(stream, version, hash) of each new event; previous(stream, version) seeds."""
    heads: dict[str, str] = {}
    links = []
    for stored in stored_events:
        key = _key(stored.originator_id)
        head = heads.get(key)
        if head is None:
            head = previous(key, stored.originator_version)
        heads[key] = link(head, stored)
        links.append((key, stored.originator_version, heads[key]))
    return links


@runtime_checkable
class ChainedRecorder(Protocol):
    """A recorder that keeps the hash chain: what verify and history read."""

    def select_events(self, originator_id: UUID | str) -> Sequence[StoredEvent]:
        """A stream's stored events, in order."""
        ...

    def select_links(self, originator_id: UUID | str) -> list[tuple[int, str]]:
        """Return (version, hash) of a stream's recorded links, in order."""
        ...

    def stream_ids(self) -> list[str]:
        """Every stream that has an event or a link (hex IDs), sorted."""
        ...


class CommittedLinks:
    """Each stream's newest committed link, as (version, hash), kept in memory.

    A link never changes once committed, so a hit saves reading it back before
    the stream's next write; a miss reads it from the links table.
    """

    def _keep_links(self) -> None:
        self._committed: dict[str, tuple[int, str]] = {}
        self._cache_lock = threading.Lock()
        self._pending = threading.local()  # the links of this thread's insert

    def _remember(self, links: Sequence[tuple[str, int, str]]) -> None:
        """Keep each stream's newest committed link (forgetting all past a bound)."""
        with self._cache_lock:
            if len(self._committed) > LINK_CACHE_SIZE:
                self._committed.clear()
            for key, version, digest in links:
                if self._committed.get(key, (0, ""))[0] < version:
                    self._committed[key] = (version, digest)

    def _cached_head(self, key: str, version: int) -> str | None:
        """The committed hash of the event before `version`, if kept."""
        with self._cache_lock:
            cached = self._committed.get(key)
        return cached[1] if cached is not None and cached[0] == version - 1 else None


class ChainedSQLiteRecorder(CommittedLinks, SQLiteApplicationRecorder):
    """Records each event's chain hash in the same transaction as the event."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keep_links()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events and their links in one transaction."""
        self._pending.links = []
        ids = super().insert_events(stored_events, **kwargs)
        self._remember(self._pending.links)  # committed now
        return ids

    def construct_create_table_statements(self) -> list[str]:
        """The events table, then the links table."""
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {LINKS_TABLE} ("
            "originator_id TEXT, originator_version INTEGER, hash TEXT NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        links = new_links(
            stored_events, lambda key, version: self._previous_hash(c, key, version)
        )
        c.executemany(f"INSERT INTO {LINKS_TABLE} VALUES (?,?,?)", links)
        self._pending.links = links
        return ids

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
                (_key(originator_id),),
            )
            return [(row[0], row[1]) for row in c.fetchall()]

    def stream_ids(self) -> list[str]:
        """Every stream that has an event or a link, in first-recorded order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.events_table_name} "
                f"UNION SELECT originator_id FROM {LINKS_TABLE}"
            )
            return sorted(row[0] for row in c.fetchall())


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
        ids = super().insert_events(
            stored_events, chain_heads=self._heads(stored_events), **kwargs
        )
        self._remember(self._pending.links)  # committed now
        return ids

    def _heads(self, stored_events: Sequence[StoredEvent]) -> dict[str, str]:
        """The recorded hash before each stream's first event in the batch."""
        firsts: dict[str, int] = {}
        for stored in stored_events:
            firsts.setdefault(_key(stored.originator_id), stored.originator_version)
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
            c.execute(self._select_links, (_key(originator_id),))
            return [(row["originator_version"], row["hash"]) for row in c.fetchall()]

    def stream_ids(self) -> list[str]:
        """Every stream that has an event or a link (hex IDs), sorted."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_stream_ids)
            return sorted(row["id"] for row in c.fetchall())


def _key(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)


@dataclass(frozen=True)
class StreamVerdict:
    """The result of verifying one stream: its digest, or where it first breaks."""

    stream_id: str
    events: int
    digest: str | None
    bad_version: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the stream's chain is intact."""
        return self.bad_version is None


def verify_stream(
    stream_id: str,
    stored_events: Sequence[StoredEvent],
    links: Sequence[tuple[int, str]],
) -> StreamVerdict:
    """Recompute a stream's chain and compare it with the recorded links."""
    recorded = dict(links)
    previous = GENESIS
    for expected, stored in enumerate(stored_events, start=1):
        version = stored.originator_version
        if version != expected:
            return StreamVerdict(
                stream_id, len(stored_events), None, expected, "event missing"
            )
        if version not in recorded:
            return StreamVerdict(
                stream_id, len(stored_events), None, version, "event has no link"
            )
        previous = link(previous, stored)
        if previous != recorded[version]:
            return StreamVerdict(
                stream_id, len(stored_events), None, version, "hash mismatch"
            )
    extra = sorted(v for v in recorded if v > len(stored_events))
    if extra:
        return StreamVerdict(
            stream_id, len(stored_events), None, extra[0], "event missing"
        )
    return StreamVerdict(stream_id, len(stored_events), previous)


def store_digest(verdicts: Iterable[StreamVerdict]) -> str:
    """One digest over every stream's ID, length and head hash."""
    digest = hashlib.sha256(b"mentorlog-store-v1")
    for v in sorted(verdicts, key=lambda v: v.stream_id):
        digest.update(f"{v.stream_id}:{v.events}:{v.digest}\n".encode())
    return digest.hexdigest()


def verify(
    recorder: ChainedRecorder, stream_ids: Sequence[str] | None = None
) -> list[StreamVerdict]:
    """Verify the given streams (all of them by default) against their links."""
    verdicts = []
    for stream_id in stream_ids if stream_ids is not None else recorder.stream_ids():
        key = _key(UUID(stream_id)) if "-" in stream_id else stream_id
        verdicts.append(
            verify_stream(key, recorder.select_events(key), recorder.select_links(key))
        )
    return verdicts
