"""Webhook endpoints: where a program's events are sent, and the rules of their URLs.

A program's admins register an endpoint (a URL and the event types it wants);
its signing secret (Standard Webhooks: `whsec_` and base64) is sealed with a
key of its own, so deleting the endpoint destroys the secret. A `WebhookSecret`
claims each secret's keyed fingerprint, so no two endpoints share one.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from mentorlog.core.clock import ClockedAggregate
from mentorlog.core.errors import (
    InvalidTransition,
    WebhookSecretInvalid,
    WebhookURLInvalid,
    WebhookURLPrivate,
)
from mentorlog.core.inputs import excerpt

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # a generated secret's length; a given one may hold 24 to 64
MAX_URL_LENGTH = 2000
WEBHOOK_SECRETS = uuid5(NAMESPACE_URL, "https://mentorlog.dev/webhook-secrets")


def secret_key_owner(name: str) -> str:
    """The key store's name for a key that seals an endpoint's secret."""
    return f"webhook:{name}"


def new_secret() -> str:
    """A fresh signing secret, as Standard Webhooks spells one."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def check_secret(secret: str) -> bytes:
    """The secret's key bytes, or WebhookSecretInvalid."""
    body = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not 24 <= len(key) <= 64:
        raise WebhookSecretInvalid(
            "a secret is 'whsec_' then the base64 of 24 to 64 random bytes", "secret"
        )
    return key


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL if it is http(s) to a public host, else a typed refusal.

    Every address the host resolves to is checked (an attacker's name may
    resolve to a public and a private address at once); `allow_private` is for
    closed networks where receivers live on private addresses.
    """
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise WebhookURLInvalid(f"a URL has at most {MAX_URL_LENGTH} characters", "url")
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        raise WebhookURLInvalid(f"'{excerpt(url)}' is not a URL", "url") from None
    if parts.scheme not in ("http", "https") or not host:
        raise WebhookURLInvalid(
            f"'{excerpt(url)}' is not an http or https URL with a host", "url"
        )
    if parts.username or parts.password:
        raise WebhookURLInvalid("a webhook URL carries no credentials", "url")
    if not allow_private:
        for address in resolve(host, port or (443 if parts.scheme == "https" else 80)):
            if is_private(address):
                raise WebhookURLPrivate(
                    f"'{excerpt(host)}' resolves to {address}, a loopback, "
                    "link-local or private address",
                    "url",
                )
    return url.strip()


def resolve(host: str, port: int) -> list[str]:
    """Every address a host resolves to, or WebhookURLInvalid if none."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookURLInvalid(f"'{excerpt(host)}' does not resolve", "url") from None
    return sorted({str(info[4][0]) for info in found})


def is_private(address: str) -> bool:
    """True for an address no public receiver has (loopback, link-local, private)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class WebhookEndpoint(ClockedAggregate):
    """A URL a program's events are sent to, signed with a secret."""

    if TYPE_CHECKING:  # the event classes the @event decorators below make
        Registered: ClassVar[type[ClockedAggregate.Event]]
        Disabled: ClassVar[type[ClockedAggregate.Event]]
        Enabled: ClassVar[type[ClockedAggregate.Event]]
        Deleted: ClassVar[type[ClockedAggregate.Event]]
        RedeliveryRequested: ClassVar[type[ClockedAggregate.Event]]

    @event("Registered")
    def __init__(
        self,
        *,
        actor: str,
        program_id: str,
        url: str,
        event_types: list[str],
        description: str,
        sealed_secret: dict[str, Any],
    ) -> None:
        self.program_id = program_id
        self.url = url
        self.event_types = list(event_types)
        self.description = description
        self.sealed_secret = dict(sealed_secret)
        self.enabled = True
        self.deleted = False
        self.disabled_reason = ""

    def subscribes(self, event_type: str) -> bool:
        """True when the endpoint wants events of this type (none listed: all)."""
        return not self.event_types or event_type in self.event_types

    def _check_live(self) -> None:
        if self.deleted:
            raise InvalidTransition("the webhook endpoint was deleted")

    def disable(self, *, actor: str, reason: str) -> None:
        """Stop deliveries to the endpoint until it is enabled again."""
        self._check_live()
        if not self.enabled:
            raise InvalidTransition("the webhook endpoint is already disabled")
        self._disable(actor=actor, reason=reason)

    @event("Disabled")
    def _disable(self, *, actor: str, reason: str) -> None:
        self.enabled = False
        self.disabled_reason = reason

    def enable(self, *, actor: str) -> None:
        """Resume deliveries, from where they stopped."""
        self._check_live()
        if self.enabled:
            raise InvalidTransition("the webhook endpoint is already enabled")
        self._enable(actor=actor)

    @event("Enabled")
    def _enable(self, *, actor: str) -> None:
        self.enabled = True
        self.disabled_reason = ""

    def delete(self, *, actor: str) -> None:
        """Delete the endpoint: nothing is sent to it again, its secret is destroyed."""
        self._check_live()
        self._delete(actor=actor)

    @event("Deleted")
    def _delete(self, *, actor: str) -> None:
        self.deleted = True
        self.enabled = False

    def redeliver(self, *, actor: str, positions: list[int]) -> None:
        """Send the deliveries of these log positions again, from their first try."""
        self._check_live()
        self._redeliver(actor=actor, positions=positions)

    @event("RedeliveryRequested")
    def _redeliver(self, *, actor: str, positions: list[int]) -> None:
        pass


def webhook_secret_id(fingerprint: str) -> UUID:
    """The stream of a secret's claim: one per keyed fingerprint."""
    return uuid5(WEBHOOK_SECRETS, fingerprint)


class WebhookSecret(ClockedAggregate):
    """A signing secret's keyed fingerprint, claimed by the endpoint that uses it."""

    @classmethod
    def create_id(cls, *, fingerprint: str, **_: object) -> UUID:
        """Derive the ID from the fingerprint, so a second claim collides."""
        return webhook_secret_id(fingerprint)

    @event("Claimed")
    def __init__(self, *, actor: str, fingerprint: str, endpoint_id: str) -> None:
        self.fingerprint = fingerprint
        self.endpoint_id = endpoint_id


def event_type_problems(
    names: Sequence[str], known: Sequence[str]
) -> list[tuple[str, str]]:
    """The event type names that are not known, as (field, message)."""
    return [
        (f"eventTypes.{i}", f"unknown event type '{excerpt(name)}'")
        for i, name in enumerate(names)
        if name not in known
    ]
