"""Signed checkpoints: the log's size and root, signed with the installation's key.

The format is C2SP's tlog-checkpoint in a signed note, so standard tooling reads it:
origin, tree size and base64 root hash on three lines, then `time <ISO 8601>`, a
blank line and `— <key name> <base64(key ID || Ed25519 signature)>`. The signing key
lives in a file outside the event store (created on first use, mode 0600): an
insider who can rewrite the database cannot sign a rewritten log.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from mentorlog.core.verify_bundle import DASH, Checkpoint, VerifierKey, key_id


@dataclass(frozen=True)
class SigningKey:
    """The installation's checkpoint signing key and the name it signs as."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> VerifierKey:
        """The public half, as a signed-note verifier key to publish."""
        public = self.private_key.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw
        )
        return VerifierKey(self.name, key_id(self.name, public), public)

    def sign(self, size: int, root: bytes, when: datetime | None = None) -> str:
        """A signed checkpoint of the tree of size with root, as note text."""
        stamp = (when or datetime.now(UTC)).astimezone(UTC)
        checkpoint = Checkpoint(
            self.name, size, root, (f"time {stamp.isoformat(timespec='seconds')}",)
        )
        body = checkpoint.body()
        signature = self.private_key.sign(body.encode())
        encoded = base64.b64encode(self.verifier.id + signature).decode()
        return f"{body}\n{DASH}{self.name} {encoded}\n"


def load_signing_key(path: Path, name: str | None = None) -> SigningKey:
    """Read the key file, creating it (0600, in a 0700 directory) on first use.

    Without a name the key signs as `mentorlog/<first 8 hex digits of the SHA-256
    of its public key>`, so two installations never share a name by default.
    """
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    if name is None:
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        name = f"mentorlog/{hashlib.sha256(public).hexdigest()[:8]}"
    return SigningKey(name, key)
