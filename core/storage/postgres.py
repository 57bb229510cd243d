"""The PostgreSQL event store's parts: the chained recorder and the key store."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from mentorlog.core.chain import GENESIS, LINKS_TABLE, new_links, stream_key
from mentorlog.core.merkle import Node
from mentorlog.core.storage.links import CommittedLinks
from mentorlog.core.storage.tree import (
    CHECKPOINTS_TABLE,
    HEAD_TABLE,
    LEAVES_TABLE,
    NODES_TABLE,
    Growth,
    grow,
    grow_all,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


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
        names = {
            "links": Identifier(datastore.schema, LINKS_TABLE),
            "events": Identifier(datastore.schema, self.events_table_name),
            "nodes": Identifier(datastore.schema, NODES_TABLE),
            "leaves": Identifier(datastore.schema, LEAVES_TABLE),
            "head": Identifier(datastore.schema, HEAD_TABLE),
            "checkpoints": Identifier(datastore.schema, CHECKPOINTS_TABLE),
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {links} ("
                "originator_id text NOT NULL, originator_version bigint NOT NULL, "
                "hash text NOT NULL, PRIMARY KEY (originator_id, originator_version))"
            ).format(**names)
        )
        self.sql_create_statements.extend(
            SQL(statement).format(**names)
            for statement in (
                "CREATE TABLE IF NOT EXISTS {nodes} (level integer NOT NULL, "
                "idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (level, idx))",
                "CREATE TABLE IF NOT EXISTS {leaves} (idx bigint PRIMARY KEY, "
                "originator_id text NOT NULL, originator_version bigint NOT NULL, "
                "UNIQUE (originator_id, originator_version))",
                "CREATE TABLE IF NOT EXISTS {head} (id integer PRIMARY KEY "
                "CHECK (id = 1), size bigint NOT NULL, edge bytea NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {checkpoints} (size bigint PRIMARY KEY, "
                "note text NOT NULL)",
            )
        )
        self._select_tree_head = SQL("SELECT size, edge FROM {head}").format(**names)
        self._insert_nodes = SQL(
            "INSERT INTO {nodes} (level, idx, hash) "
            "SELECT * FROM unnest(%s::integer[], %s::bigint[], %s::bytea[])"
        ).format(**names)
        self._insert_leaves = SQL(
            "INSERT INTO {leaves} (idx, originator_id, originator_version) "
            "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[])"
        ).format(**names)
        self._upsert_head = SQL(
            "INSERT INTO {head} (id, size, edge) VALUES (1, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET size = excluded.size, edge = excluded.edge"
        ).format(**names)
        self._select_nodes = SQL(
            "SELECT n.level, n.idx, n.hash FROM {nodes} n "
            "JOIN unnest(%s::integer[], %s::bigint[]) AS k(level, idx) "
            "ON n.level = k.level AND n.idx = k.idx"
        ).format(**names)
        self._insert_checkpoint = SQL(
            "INSERT INTO {checkpoints} (size, note) VALUES (%s, %s) "
            "ON CONFLICT (size) DO NOTHING"
        ).format(**names)
        self._select_checkpoints = SQL(
            "SELECT size, note FROM {checkpoints} ORDER BY size"
        ).format(**names)
        self._select_leaf_indexes = SQL(
            "SELECT originator_version, idx FROM {leaves} WHERE originator_id = %s"
        ).format(**names)
        self._select_all_links = SQL(
            "SELECT l.originator_id, l.originator_version, l.hash FROM {events} e "
            "JOIN {links} l "
            "ON l.originator_id = replace(e.originator_id::text, '-', '') "
            "AND l.originator_version = e.originator_version "
            "ORDER BY e.notification_id"
        ).format(**names)
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
        if curs.execute(self._select_tree_head).fetchone() is not None:
            return
        # A store made before the tree: grow it once, no insert running meanwhile.
        self._lock_table(curs)
        self._store_growth(curs, Growth([], [], 0, b""))  # an empty log's head
        rows = curs.execute(self._select_all_links).fetchall()
        links = ((r["originator_id"], r["originator_version"], r["hash"]) for r in rows)
        for growth in grow_all(links):
            self._store_growth(curs, growth)

    def _store_growth(self, curs: Cursor[DictRow], growth: Growth) -> None:
        """Insert the growth's nodes and leaves and move the head (unprepared)."""
        nodes, leaves = growth.nodes, growth.leaves
        curs.execute(
            self._insert_nodes,
            ([n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]),
            prepare=False,
        )
        curs.execute(
            self._insert_leaves,
            ([n[0] for n in leaves], [n[1] for n in leaves], [n[2] for n in leaves]),
            prepare=False,
        )
        curs.execute(self._upsert_head, (growth.size, growth.edge), prepare=False)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Fetch the IDs, then grow the tree (the table lock orders its leaves)."""
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        with curs.connection.cursor() as c:
            head = c.execute(self._select_tree_head, prepare=False).fetchone()
            size, edge = (head["size"], bytes(head["edge"])) if head else (0, b"")
            self._store_growth(c, grow(size, edge, self._pending.links))
        return ids

    def tree_size(self) -> int:
        """How many leaves the Merkle tree has (one per recorded event)."""
        with self.datastore.get_connection() as connection:
            head = connection.execute(self._select_tree_head).fetchone()
        return int(head["size"]) if head else 0

    def tree_nodes(self, nodes: set[Node]) -> dict[Node, bytes]:
        """The stored hashes of the given complete subtrees (absent ones left out)."""
        keys = sorted(nodes)
        with self.datastore.get_connection() as connection:
            rows = connection.execute(
                self._select_nodes, ([k[0] for k in keys], [k[1] for k in keys])
            ).fetchall()
        return {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}

    def insert_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint (the first one signed at each size)."""
        with self.datastore.get_connection() as connection:
            connection.execute(self._insert_checkpoint, (size, note))

    def select_checkpoints(self) -> list[tuple[int, str]]:
        """Every kept checkpoint as (size, note), oldest first."""
        with self.datastore.get_connection() as connection:
            rows = connection.execute(self._select_checkpoints).fetchall()
        return [(int(r["size"]), str(r["note"])) for r in rows]

    def leaf_indexes(self, originator_id: UUID | str) -> dict[int, int]:
        """Each of a stream's versions and its leaf index in the tree."""
        with self.datastore.get_connection() as connection:
            rows = connection.execute(
                self._select_leaf_indexes, (stream_key(originator_id),)
            ).fetchall()
        return {int(r["originator_version"]): int(r["idx"]) for r in rows}

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
