"""Personal data sealed with a key per person, so erasure can destroy the key."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from eventsourcing.postgres import PostgresDatastore

ERASED = "Erased person"
SEALED = "sealed"


class KeyStore(Protocol):
    """Where per-person keys live, apart from the events they protect."""

    def create(self, person_id: str) -> bytes:
        """Make (or return) the person's key."""

    def get(self, person_id: str) -> bytes | None:
        """Return the person's key, or None once it has been destroyed."""

    def destroy(self, person_id: str) -> bool:
        """Destroy the person's key; True if there was one."""

    def close(self) -> None:
        """Release what the store holds open (connections); a later use reopens."""


class MemoryKeyStore:
    """Keys in memory, for tests and throwaway applications."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._destroyed: set[str] = set()

    def create(self, person_id: str) -> bytes:
        """Make (or return) the person's key."""
        if person_id in self._destroyed:
            raise KeyError(f"the key of {person_id} was destroyed")
        return self._keys.setdefault(person_id, AESGCM.generate_key(bit_length=256))

    def get(self, person_id: str) -> bytes | None:
        """Return the person's key, or None."""
        return self._keys.get(person_id)

    def destroy(self, person_id: str) -> bool:
        """Destroy the person's key."""
        self._destroyed.add(person_id)
        return self._keys.pop(person_id, None) is not None

    def close(self) -> None:
        """Nothing to release."""


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


class Sealer:
    """Seals and opens values with their owner's key (AES-256-GCM)."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def seal(self, owner_id: str, value: Any) -> dict[str, str]:
        """Encrypt a JSON-ready value for its owner."""
        key = self.keys.create(owner_id)
        nonce = os.urandom(12)
        plain = json.dumps(value, separators=(",", ":")).encode()
        cipher = AESGCM(key).encrypt(nonce, plain, owner_id.encode())
        return {
            SEALED: owner_id,
            "nonce": base64.b64encode(nonce).decode(),
            "data": base64.b64encode(cipher).decode(),
        }

    def open(self, value: Any, erased: Any = None) -> Any:
        """Decrypt a sealed value; plain values pass through; `erased` if keyless."""
        if not is_sealed(value):
            return value
        key = self.keys.get(value[SEALED])
        if key is None:
            return erased
        try:
            plain = AESGCM(key).decrypt(
                base64.b64decode(value["nonce"]),
                base64.b64decode(value["data"]),
                value[SEALED].encode(),
            )
        except (InvalidTag, ValueError):
            return erased
        return json.loads(plain)


def is_sealed(value: Any) -> bool:
    """True for a value sealed by a Sealer."""
    return isinstance(value, dict) and SEALED in value and "data" in value
