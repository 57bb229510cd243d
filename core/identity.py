"""Identities: a person's account at the organisation's identity provider.

An Identity stream is named by its issuer and subject (the `iss` and `sub` of the
provider's tokens), so a verified token finds it without a lookup. It links to one
person; unlinking ends its access at once (core/principals.py). What the identity
may do comes from the person's grants (Person.Granted), never from the token.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from eventsourcing.utils import get_topic
from mentorlog.core.clock import ClockedAggregate
from mentorlog.core.errors import InvalidTransition

IDENTITIES = uuid5(NAMESPACE_URL, "https://mentorlog.dev/identities")
GRANTS = uuid5(NAMESPACE_URL, "https://mentorlog.dev/grants")


def identity_id(issuer: str, subject: str) -> UUID:
    """The identity stream's ID, derived from the issuer and subject."""
    return uuid5(IDENTITIES, f"{issuer}\n{subject}")


def grant_id(person_id: str, role: str, program_id: str | None) -> str:
    """A grant's ID: one per person, role and program."""
    return str(uuid5(GRANTS, f"{person_id}\n{role}\n{program_id or ''}"))


class Identity(ClockedAggregate):
    """An external identity (issuer + subject) linked to a person."""

    if TYPE_CHECKING:  # the event classes the @event decorators below make
        Linked: ClassVar[type[ClockedAggregate.Event]]
        Relinked: ClassVar[type[ClockedAggregate.Event]]
        Unlinked: ClassVar[type[ClockedAggregate.Event]]

    @classmethod
    def create_id(cls, *, issuer: str, subject: str, **_: object) -> UUID:
        """Derive the ID from issuer and subject, so a token finds its identity."""
        return identity_id(issuer, subject)

    @event("Linked")
    def __init__(
        self, *, actor: str, issuer: str, subject: str, person_id: str, via: str
    ) -> None:
        self.issuer = issuer
        self.subject = subject
        self.person_id = person_id
        self.linked = True

    def relink(self, *, actor: str, person_id: str, via: str) -> None:
        """Link an unlinked identity again (to the same person or another)."""
        if self.linked:
            raise InvalidTransition("the identity is already linked")
        self._relink(actor=actor, person_id=person_id, via=via)

    @event("Relinked")
    def _relink(self, *, actor: str, person_id: str, via: str) -> None:
        self.person_id = person_id
        self.linked = True

    def unlink(self, *, actor: str, reason: str) -> None:
        """Unlink the identity: its tokens authenticate nobody from then on."""
        if not self.linked:
            raise InvalidTransition("the identity is not linked")
        self._unlink(actor=actor, reason=reason)

    @event("Unlinked")
    def _unlink(self, *, actor: str, reason: str) -> None:
        self.linked = False


# Followed by the principals and the feed: an unlinked identity's access ends.
UNLINKED_TOPIC = get_topic(Identity.Unlinked)


INVITATIONS = uuid5(NAMESPACE_URL, "https://mentorlog.dev/invitations")
INVITATION_DAYS = 7  # how long an invitation may be redeemed


def email_hash(email: str) -> str:
    """The SHA-256 of an email address as compared (trimmed, lower case)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def invitation_id(*, code_hash: str | None = None, email: str | None = None) -> UUID:
    """An invitation's ID: from its code's hash, or from the email it is for."""
    if code_hash is not None:
        return uuid5(INVITATIONS, f"code\n{code_hash}")
    assert email is not None
    return uuid5(INVITATIONS, f"email\n{email_hash(email)}")


class Invitation(ClockedAggregate):
    """An admin's invitation of a person to a role in a program, redeemed once by
    the person: with a one-time code (only its hash is kept), or by signing in
    with a verified email that is the person's."""

    if TYPE_CHECKING:  # the event classes the @event decorators below make
        Issued: ClassVar[type[ClockedAggregate.Event]]
        Redeemed: ClassVar[type[ClockedAggregate.Event]]
        Cancelled: ClassVar[type[ClockedAggregate.Event]]
        Reissued: ClassVar[type[ClockedAggregate.Event]]

    withdrawn = False  # until it is withdrawn

    @classmethod
    def create_id(
        cls, *, code_hash: str | None, email_hash: str | None, **_: object
    ) -> UUID:
        """The ID a code (or an email) finds the invitation by."""
        if code_hash is not None:
            return uuid5(INVITATIONS, f"code\n{code_hash}")
        return uuid5(INVITATIONS, f"email\n{email_hash}")

    @event("Issued")
    def __init__(
        self,
        *,
        actor: str,
        person_id: str,
        role: str,
        program_id: str,
        code_hash: str | None,
        email_hash: str | None,
        expires_at: str,
    ) -> None:
        self.person_id = person_id
        self.role = role
        self.program_id = program_id
        self.code_hash = code_hash
        self.email_hash = email_hash
        self.expires_at = expires_at
        self.redeemed = False

    def redeem(self, *, actor: str, now: datetime, credential: str, via: str) -> None:
        """Redeem it once, before it expires; `credential` is what it yielded (a
        token's credential or an identity), `via` how (the endpoint, the issuer)."""
        if self.redeemed:
            raise InvalidTransition("the invitation has been redeemed already")
        if self.withdrawn:
            raise InvalidTransition("the invitation has been withdrawn")
        if now >= datetime.fromisoformat(self.expires_at):
            raise InvalidTransition("the invitation has expired")
        self._redeem(actor=actor, credential=credential, via=via)

    @event("Redeemed")
    def _redeem(self, *, actor: str, credential: str, via: str) -> None:
        self.redeemed = True

    def is_open(self, now: datetime) -> bool:
        """Neither redeemed, withdrawn nor expired."""
        expired = now >= datetime.fromisoformat(self.expires_at)
        return not (self.redeemed or self.withdrawn or expired)

    def reissue(
        self,
        *,
        actor: str,
        now: datetime,
        person_id: str,
        role: str,
        program_id: str,
        expires_at: str,
    ) -> None:
        """Invite the same email again, once the last invitation of it is closed."""
        if self.is_open(now):
            raise InvalidTransition("an invitation for this email is open already")
        self._reissue(
            actor=actor,
            person_id=person_id,
            role=role,
            program_id=program_id,
            expires_at=expires_at,
        )

    @event("Reissued")
    def _reissue(
        self, *, actor: str, person_id: str, role: str, program_id: str, expires_at: str
    ) -> None:
        self.person_id = person_id
        self.role = role
        self.program_id = program_id
        self.expires_at = expires_at
        self.redeemed = False
        self.withdrawn = False

    def withdraw(self, *, actor: str, reason: str) -> None:
        """Withdraw it before it is redeemed: nobody redeems it from then on."""
        if self.redeemed:
            raise InvalidTransition("the invitation has been redeemed already")
        if self.withdrawn:
            raise InvalidTransition("the invitation has been withdrawn already")
        self._withdraw(actor=actor, reason=reason)

    @event("Cancelled")
    def _withdraw(self, *, actor: str, reason: str) -> None:
        self.withdrawn = True
