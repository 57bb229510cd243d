"""Webhook commands: register an endpoint, disable, enable and delete it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError
from mentorlog.core.commands.base import Recorded, Service, command
from mentorlog.core.errors import InvalidInput, WebhookSecretReused
from mentorlog.core.inputs import check_text
from mentorlog.core.mentorship import event_classes
from mentorlog.core.privacy import SEALED
from mentorlog.core.program import Program
from mentorlog.core.webhooks import (
    WebhookEndpoint,
    WebhookSecret,
    check_secret,
    check_url,
    event_type_problems,
    secret_key_owner,
    webhook_secret_id,
)
from mentorlog.plugins.interfaces import Problem

# Environment key (MENTORLOG_WEBHOOKS_ALLOW_PRIVATE): receivers on private addresses.
ALLOW_PRIVATE = "WEBHOOKS_ALLOW_PRIVATE"
MAX_EVENT_TYPES = 100


class WebhookCommands(Service):
    """Webhook commands: register an endpoint, disable, enable and delete it."""

    @property
    def webhooks_allow_private(self) -> bool:
        """Whether webhook URLs may reach loopback, link-local and private addresses."""
        value = self.env.get(ALLOW_PRIVATE) or ""
        return value.strip().lower() in ("1", "on", "true", "yes")

    @command
    def register_webhook(
        self,
        program_id: str,
        *,
        actor: str,
        url: str,
        event_types: Sequence[str] = (),
        description: str = "",
        secret: str,
    ) -> Recorded:
        """Register a URL the program's events (of those types; none: all) go to.

        The secret is the caller's to show once (the API makes one when none is
        given); it is stored sealed. The Recorded's ID is the endpoint's.
        """
        problems = [
            *check_text("description", description, required=False, max_len=500)
        ]
        types = list(dict.fromkeys(event_types))
        if len(types) > MAX_EVENT_TYPES:
            problems.append(Problem("eventTypes", "at most 100 event types"))
        known = list(event_classes())
        problems += [Problem(f, m) for f, m in event_type_problems(types, known)]
        if problems:
            raise InvalidInput(problems)
        target = check_url(url, allow_private=self.webhooks_allow_private)
        chosen = secret
        fingerprint = hmac.new(
            self.fingerprint_secret, check_secret(chosen), hashlib.sha256
        ).hexdigest()

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            try:
                self.repository.get(webhook_secret_id(fingerprint))
            except AggregateNotFoundError:
                pass
            else:
                raise WebhookSecretReused(
                    "another webhook endpoint uses this secret; each needs its own",
                    "secret",
                )
            # Sealed with a key of its own, destroyed when the endpoint is deleted.
            sealed = self.sealer.seal(secret_key_owner(uuid4().hex), chosen)
            endpoint = WebhookEndpoint(
                actor=actor,
                program_id=str(program.id),
                url=target,
                event_types=types,
                description=description,
                sealed_secret=sealed,
            )
            endpoint_id = str(endpoint.id)
            claim = WebhookSecret(
                actor=actor, fingerprint=fingerprint, endpoint_id=endpoint_id
            )
            return self._commit(endpoint_id, endpoint, claim)

        return self._retrying(attempt)

    def webhook_secret(self, endpoint_id: str) -> str | None:
        """An endpoint's signing secret, for signing; None once it is deleted."""
        endpoint = self._load(WebhookEndpoint, endpoint_id, "webhookId")
        if endpoint.deleted:
            return None
        value = self.sealer.open(endpoint.sealed_secret, None)
        return value if isinstance(value, str) else None

    def get_webhook(self, endpoint_id: str) -> WebhookEndpoint:
        """Return a webhook endpoint rebuilt from its events."""
        return self._load(WebhookEndpoint, endpoint_id, "webhookId")

    def _on_webhook(
        self,
        endpoint_id: str,
        change: str,
        actor: str,
        reason: str = "",
        positions: Sequence[int] = (),
    ) -> Recorded:
        def attempt() -> Recorded:
            endpoint = self.get_webhook(endpoint_id)
            if change == "redeliver":
                endpoint.redeliver(actor=actor, positions=list(positions))
            elif change == "disable":
                endpoint.disable(actor=actor, reason=reason)
            elif change == "enable":
                endpoint.enable(actor=actor)
            else:
                endpoint.delete(actor=actor)
            return self._commit(str(endpoint.id), endpoint)

        return self._retrying(attempt, endpoint_id)

    @command
    def disable_webhook(
        self,
        webhook_id: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Stop deliveries to an endpoint; they resume where they stopped on enable."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=1000))
        return self._on_webhook(webhook_id, "disable", actor, reason)

    @command
    def enable_webhook(
        self, webhook_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Resume deliveries to a disabled endpoint."""
        return self._on_webhook(webhook_id, "enable", actor)

    @command
    def delete_webhook(
        self, webhook_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Delete an endpoint and destroy its secret; nothing is sent to it again."""
        recorded = self._on_webhook(webhook_id, "delete", actor)
        endpoint = self.get_webhook(webhook_id)
        self.sealer.keys.destroy(endpoint.sealed_secret[SEALED])
        return recorded

    @command
    def redeliver_webhook(
        self,
        webhook_id: str,
        *,
        actor: str,
        positions: Sequence[int],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Send an endpoint's deliveries of these log positions again."""
        wanted = sorted(set(positions))
        if not wanted or len(wanted) > MAX_EVENT_TYPES:
            raise InvalidInput([Problem("positions", "name 1 to 100 deliveries")])
        if any(not isinstance(p, int) or p < 1 for p in wanted):
            raise InvalidInput([Problem("positions", "positions are from 1")])
        return self._on_webhook(webhook_id, "redeliver", actor, positions=wanted)
