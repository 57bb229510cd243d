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
    """Records each event's chain hash and Merkle leaf in the event's transaction."""

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
        self._group = GroupCommit(self._write_group)
        names = {
            "links": Identifier(datastore.schema, LINKS_TABLE),
            "events": Identifier(datastore.schema, self.events_table_name),
            "nodes": Identifier(datastore.schema, NODES_TABLE),
            "checkpoints": Identifier(datastore.schema, CHECKPOINTS_TABLE),
        }
        self.sql_create_statements.extend(
            SQL(statement).format(**names)
            for statement in (
                "CREATE TABLE IF NOT EXISTS {links} ("
                "originator_id text NOT NULL, originator_version bigint NOT NULL, "
                "hash text NOT NULL, leaf bigint, "
                "PRIMARY KEY (originator_id, originator_version))",
                "CREATE TABLE IF NOT EXISTS {nodes} (pos bigint PRIMARY KEY, "
                "hash bytea NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {checkpoints} (size bigint PRIMARY KEY, "
                "note text NOT NULL)",
            )
        )

        def sql(text: str) -> SQL | Any:
            return SQL(text).format(**names)  # type: ignore[arg-type]

        self._select_heads = sql(
            "SELECT l.originator_id, l.hash FROM {links} l "
            "JOIN unnest(%s::text[], %s::bigint[]) AS p(originator_id, version) "
            "ON l.originator_id = p.originator_id "
            "AND l.originator_version = p.version - 1"
        )
        self._insert_links = sql(
            "INSERT INTO {links} (originator_id, originator_version, hash, leaf) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[])"
        )
        self._select_links = sql(
            "SELECT originator_version, hash FROM {links} "
            "WHERE originator_id = %s ORDER BY originator_version"
        )
        self._select_first_position = sql(
            "SELECT notification_id FROM {events} "
            "WHERE originator_id = %s AND originator_version = 1"
        )
        self._select_stream_ids = sql(
            "SELECT replace(originator_id::text, '-', '') AS id FROM {events} "
            "UNION SELECT originator_id FROM {links}"
        )
        self._select_last_node = sql(
            "SELECT pos FROM {nodes} ORDER BY pos DESC LIMIT 1"
        )
        self._select_positions = sql(
            "SELECT pos, hash FROM {nodes} WHERE pos = ANY(%s::bigint[])"
        )
        self._insert_nodes = sql(
            "INSERT INTO {nodes} (pos, hash) SELECT * FROM unnest(%s::bigint[], "
            "%s::bytea[])"
        )
        self._select_leaf_indexes = sql(
            "SELECT originator_version, leaf FROM {links} "
            "WHERE originator_id = %s AND leaf IS NOT NULL"
        )
        self._insert_checkpoint = sql(
            "INSERT INTO {checkpoints} (size, note) VALUES (%s, %s) "
            "ON CONFLICT (size) DO NOTHING"
        )
        self._select_checkpoints = sql(
            "SELECT size, note FROM {checkpoints} ORDER BY size"
        )
        self._add_leaf_column = sql("ALTER TABLE {links} ADD COLUMN leaf bigint")
        self._select_all_links = sql(
            "SELECT l.originator_id, l.originator_version, l.hash FROM {events} e "
            "JOIN {links} l "
            "ON l.originator_id = replace(e.originator_id::text, '-', '') "
            "AND l.originator_version = e.originator_version "
            "ORDER BY e.notification_id"
        )
        self._set_leaves = sql(
            "UPDATE {links} l SET leaf = p.leaf FROM unnest(%s::text[], "
            "%s::bigint[], %s::bigint[]) AS p(originator_id, version, leaf) "
            "WHERE l.originator_id = p.originator_id "
            "AND l.originator_version = p.version"
        )

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # Processes starting together take turns: CREATE ... IF NOT EXISTS races.
        key = advisory_lock_key(self.datastore.schema, "ddl")
        curs.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        super()._create_table(curs)
        found = curs.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = %s AND column_name = 'leaf'",
            (self.datastore.schema, LINKS_TABLE),
        ).fetchone()
        if found is not None:
            return
        # A store made before the tree: grow it once, no insert running meanwhile.
        self._lock_table(curs)
        curs.execute(self._add_leaf_column)
        rows = curs.execute(self._select_all_links).fetchall()
        links = [(r["originator_id"], r["originator_version"], r["hash"]) for r in rows]
        for growth, batch in grow_all(links):
            curs.execute(
                self._set_leaves,
                ([k for k, _, _ in batch], [v for _, v, _ in batch], growth.leaves),
            )
            curs.execute(
                self._insert_nodes,
                ([p for p, _ in growth.nodes], [h for _, h in growth.nodes]),
            )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events, their links and their leaves; return once committed.

        Concurrent callers share one transaction and one commit (see
        core/storage/group.py); each save's events stay together and in order.
        """
        # Each stream's previous link is read by the caller, before its turn: it is
        # committed, since the caller loaded that version to make this one.
        heads = self._heads(stored_events)
        return self._group.save(stored_events, chain_heads=heads, **kwargs).ids

    def _write_group(self, group: list[Save]) -> None:
        """Write a group of saves in one transaction; after a conflict, one by one.

        A conflict rolls the group's transaction back; each save is then written
        in a transaction of its own, so only the conflicting ones fail.
        """
        if len(group) > 1 and all(
            save.kwargs.keys() == {"chain_heads"} for save in group
        ):
            heads = {
                k: v for save in group for k, v in save.kwargs["chain_heads"].items()
            }
            try:
                ids = self._insert(
                    [event for save in group for event in save.events],
                    remember=False,
                    chain_heads=heads,
                )
            except RecordConflictError:
                pass
            else:
                links, start = self._pending.links, 0
                for save in group:
                    end = start + len(save.events)
                    save.ids = ids[start:end] if ids is not None else None
                    save.links = links[start:end]
                    start = end
                self._remember(links)  # committed now
                return
        for save in group:
            try:
                save.ids = self._insert(save.events, **save.kwargs)
            except BaseException as error:  # noqa: BLE001 - told to this save alone
                save.error = error

    def _insert(
        self, stored_events: Sequence[StoredEvent], remember: bool = True, **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events, their links and their leaves in one transaction.

        kwargs["chain_heads"] holds the hash before each stream's first event
        (read here if not given).
        """
        if "chain_heads" not in kwargs:
            kwargs["chain_heads"] = self._heads(stored_events)
        self._pending.links = []
        try:
            ids: Sequence[int] | None = _insert_once(self, stored_events, **kwargs)
        except OperationalError as error:
            if not isinstance(error.__cause__, errors.PipelineAborted):
                raise
            # A statement of the pipeline failed and rolled the transaction back,
            # but psycopg reported the aborted pipeline instead of that failure:
            # the insert of an event or link that another writer made first.
            raise RecordConflictError(str(error)) from error
        if remember:
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
        # Not prepared: a conflict aborts the pipeline these statements are queued in.
        with curs.connection.cursor() as c:
            growth = self._grow_tree(c, links)
            c.execute(
                self._insert_links,
                (
                    [key for key, _, _ in links],
                    [version for _, version, _ in links],
                    [digest for _, _, digest in links],
                    growth.leaves,
                ),
                prepare=False,
            )

    def _grow_tree(
        self, c: Cursor[DictRow], links: Sequence[tuple[str, int, str]]
    ) -> Growth:
        """Add the links' leaves to the tree; return their leaf indexes."""
        # Fetching runs the queued table lock and inserts first: the tree read here
        # is the newest, and no other writer changes it before this one commits.
        last = c.execute(self._select_last_node, prepare=False).fetchone()
        size = size_of(last["pos"] + 1) if last else 0
        rows = c.execute(
            self._select_positions, (edge_positions(size),), prepare=False
        ).fetchall()
        growth = grow(size, {r["pos"]: bytes(r["hash"]) for r in rows}, links)
        c.execute(
            self._insert_nodes,
            ([p for p, _ in growth.nodes], [h for _, h in growth.nodes]),
            prepare=False,
        )
        return growth

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

    def tree_size(self) -> int:
        """How many leaves the Merkle tree has (one per recorded event)."""
        with self.datastore.get_connection() as connection:
            last = connection.execute(self._select_last_node).fetchone()
        return size_of(last["pos"] + 1) if last else 0

    def tree_nodes(self, nodes: set[Node]) -> dict[Node, bytes]:
        """The stored hashes of the given complete subtrees (absent ones left out)."""
        where = positions(nodes)
        with self.datastore.get_connection() as connection:
            rows = connection.execute(self._select_positions, (sorted(where),))
            return {where[r["pos"]]: bytes(r["hash"]) for r in rows.fetchall()}

    def leaf_indexes(self, originator_id: UUID | str) -> dict[int, int]:
        """Each of a stream's versions and its leaf index in the tree."""
        with self.datastore.get_connection() as connection:
            rows = connection.execute(
                self._select_leaf_indexes, (stream_key(originator_id),)
            ).fetchall()
        return {int(r["originator_version"]): int(r["leaf"]) for r in rows}

    def insert_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint (the first one signed at each size)."""
        with self.datastore.get_connection() as connection:
            connection.execute(self._insert_checkpoint, (size, note))

    def select_checkpoints(self) -> list[tuple[int, str]]:
        """Every kept checkpoint as (size, note), oldest first."""
        with self.datastore.get_connection() as connection:
            rows = connection.execute(self._select_checkpoints).fetchall()
        return [(int(r["size"]), str(r["note"])) for r in rows]


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
