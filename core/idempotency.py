"""Idempotency keys: a client's retried command is recorded once, not twice."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from mentorlog.core.clock import ClockedAggregate

IDEMPOTENCY_KEYS = uuid5(NAMESPACE_URL, "https://mentorlog.dev/idempotency-keys")
MAX_KEY_LENGTH = 200


def idempotency_key_id(actor: str, key: str) -> UUID:
    """The key's stream ID: one per actor and key, so actors cannot collide."""
    return uuid5(IDEMPOTENCY_KEYS, f"{actor}\n{key}")


def _canonical(value: Any) -> Any:
    """A JSON-ready form of an argument: mappings sorted, sequences as lists."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def fingerprint(command: str, arguments: Mapping[str, Any], secret: bytes = b"") -> str:
    """A keyed SHA-256 (HMAC) of a command's name and arguments, in canonical JSON.

    Keyed, because the arguments may hold personal data (a name, a private goal):
    without the secret, a stored fingerprint cannot be used to test a guess.
    """
    text = json.dumps(
        {"command": command, "arguments": _canonical(arguments)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A command run under an idempotency key: who, which key, what was asked."""

    actor: str
    key: str
    command: str
    fingerprint: str

    @property
    def id(self) -> UUID:
        """The key's stream ID."""
        return idempotency_key_id(self.actor, self.key)

    def matches(self, used: IdempotencyKey) -> bool:
        """True when the key was used for this very command and arguments."""
        return (used.command, used.fingerprint) == (self.command, self.fingerprint)


class IdempotencyKey(ClockedAggregate):
    """A key a client sent with a command, and what that command recorded."""

    @classmethod
    def create_id(cls, *, actor: str, key: str, **_: object) -> UUID:
        """Derive the ID from the actor and the key, so a retry finds it."""
        return idempotency_key_id(actor, key)

    @event("Used")
    def __init__(
        self, *, actor: str, key: str, command: str, fingerprint: str, result_id: str
    ) -> None:
        self.actor = actor
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.result_id = result_id
