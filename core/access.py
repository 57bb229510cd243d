"""Access: bearer credentials (only their hash is kept) and the principal they name."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from eventsourcing.utils import get_topic
from mentorlog.core.clock import ClockedAggregate
from mentorlog.core.errors import InvalidTransition

ROLES = ("participant", "admin", "auditor")
TOKEN_PREFIX = "mlg_"
CREDENTIALS = uuid5(NAMESPACE_URL, "https://mentorlog.dev/credentials")


def new_token() -> str:
    """A fresh bearer token: 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 of a token, the only form in which it is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def credential_id(token: str) -> UUID:
    """The credential stream's ID, derived from the token's hash."""
    return uuid5(CREDENTIALS, token_hash(token))


def credential_key(token: str) -> str:
    """The credential's ID as text, the key its principal is kept under."""
    return _key_of(token_hash(token))


@lru_cache(maxsize=4096)
def _key_of(hashed: str) -> str:
    # Kept by hash, never by token: uuid5 and its text cost more than the rest of
    # a kept principal's lookup, and a busy server sees the same tokens again.
    return str(uuid5(CREDENTIALS, hashed))


class Credential(ClockedAggregate):
    """A bearer token's grant: who it names, in which role, for which program."""

    @classmethod
    def create_id(cls, *, token_hash: str, **_: object) -> UUID:
        """Derive the ID from the token hash, so a token finds its credential."""
        return uuid5(CREDENTIALS, token_hash)

    @event("Issued")
    def __init__(
        self,
        *,
        actor: str,
        token_hash: str,
        person_id: str,
        role: str,
        program_id: str | None,
    ) -> None:
        self.token_hash = token_hash
        self.person_id = person_id
        self.role = role
        self.program_id = program_id
        self.revoked = False

    def revoke(self, *, actor: str, reason: str) -> None:
        """Revoke the credential; it authenticates nobody from then on."""
        if self.revoked:
            raise InvalidTransition("the token is already revoked")
        self._revoke(actor=actor, reason=reason)

    @event("Revoked")
    def _revoke(self, *, actor: str, reason: str) -> None:
        self.revoked = True


def person_actor(person_id: str | UUID) -> str:
    """Return the actor string for a person."""
    return f"person:{person_id}"


def actor_person_id(actor: str) -> str | None:
    """Return the person ID an actor string names, or None for a system actor."""
    return actor.removeprefix("person:") if actor.startswith("person:") else None


# Followed by the subscriptions feed: a revoked token's subscriptions end.
REVOKED_TOPIC = get_topic(Credential.Revoked)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a person in a role, maybe bound to a program.

    From a bearer token, `credential_id` is its Credential's ID; from an identity
    provider's token, the grant's ID, and `identity_id` the Identity's.
    """

    credential_id: str
    person_id: str
    role: str
    program_id: str | None = None
    identity_id: str | None = None

    @property
    def actor(self) -> str:
        """The actor string recorded on every event this principal causes."""
        return person_actor(self.person_id)

    @property
    def is_auditor(self) -> bool:
        """Auditors read every event's metadata and never mutate."""
        return self.role == "auditor"

    def administers(self, program_id: str) -> bool:
        """True when this principal is an admin of the program."""
        return self.role == "admin" and self.program_id == program_id
