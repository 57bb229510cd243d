"""Personal data sealed with a key per person, so erasure can destroy the key.

The key stores on disk are in core/storage (sqlite.py, postgres.py).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
