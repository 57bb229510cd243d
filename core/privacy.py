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


class SQLiteKeyStore:
    """Keys in their own SQLite file; deletion overwrites the freed pages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS person_keys ("
                "person_id TEXT PRIMARY KEY, key BLOB, destroyed INTEGER NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10)
        con.execute("PRAGMA secure_delete = ON")
        return con

    def create(self, person_id: str) -> bytes:
        """Make (or return) the person's key."""
        with self._lock, self._connect() as con:
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
        with self._connect() as con:
            row = con.execute(
                "SELECT key FROM person_keys WHERE person_id = ? AND destroyed = 0",
                (person_id,),
            ).fetchone()
        return bytes(row[0]) if row else None

    def destroy(self, person_id: str) -> bool:
        """Overwrite the key; keep a tombstone so it is never made again."""
        with self._lock, self._connect() as con:
            cursor = con.execute(
                "UPDATE person_keys SET key = NULL, destroyed = 1 "
                "WHERE person_id = ? AND destroyed = 0",
                (person_id,),
            )
            changed = cursor.rowcount > 0
        if changed:
            with self._connect() as con:
                con.execute("VACUUM")
        return changed


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
