"""Sending webhook deliveries: what the outbox holds (projections/webhooks.py), signed.

A thread in the process that runs the projections (the leader, on PostgreSQL),
woken as soon as they queue deliveries and on a timer (for retries), sends each
due delivery as a POST signed per Standard Webhooks (webhook-id,
webhook-timestamp, webhook-signature headers; the `standardwebhooks` package
signs), with a bounded timeout, no redirects followed, and at most
`webhooks_max_response_bytes` of the answer read. A 2xx answer delivers it;
anything else is retried with exponential backoff (bounded), up to
`webhooks_max_attempts` tries; then the delivery fails and the endpoint is
disabled (an event, through the Mentoring command path) until an admin enables
it. Each try is recorded in the delivery's row, so a restart resumes, and a
delivery acknowledged is never sent again unless an admin asks
(redeliverWebhook). The host is checked again before each try, so a name that
now resolves to a private address is not reached.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.rows import tuple_row
from standardwebhooks import Webhook

from mentorlog.core.application import Mentoring
from mentorlog.core.commands.base import first_line
from mentorlog.core.errors import MentorlogError
from mentorlog.core.webhooks import check_url
from mentorlog.projections.postgres import PostgresReadModelRecorder, QmarkCursor
from mentorlog.projections.runner import ProjectionRunner
from mentorlog.projections.sqlite import ReadModelRecorder
from mentorlog.projections.webhooks import DELIVERED, FAILED, PENDING, WebhookDeliveries
from mentorlog.settings import Settings


class Parts(Protocol):
    """What the sender uses of the opened services (mentorlog.services.Services)."""

    settings: Settings
    app: Mentoring
    read_models: ReadModelRecorder | PostgresReadModelRecorder
    runner: ProjectionRunner


# What a database that drops connections, or whose schema went, raises.
DATABASE_ERRORS = (PersistenceError, psycopg.Error, sqlite3.Error)

log = logging.getLogger(__name__)

ACTOR = "system:webhooks"
BATCH = 50  # deliveries tried per round
USER_AGENT = "mentorlog-webhooks"
OUTBOX = WebhookDeliveries.name  # the projection that queues deliveries
ReadModels = ReadModelRecorder | PostgresReadModelRecorder


@dataclass(frozen=True)
class Due:
    """A delivery to try now."""

    endpoint_id: str
    position: int
    message_id: str
    body: str
    attempts: int
    url: str


@dataclass(frozen=True)
class Outcome:
    """How a try went: an HTTP status (None if no answer) and the error, if any."""

    status: int | None
    error: str

    @property
    def ok(self) -> bool:
        """A 2xx answer acknowledges the delivery."""
        return self.status is not None and 200 <= self.status < 300 and not self.error


def now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A time as the outbox stores it (ISO 8601, UTC, fixed width: sortable)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def sign(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of one try."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


class WebhookSender:
    """Sends due deliveries on a timer, in a thread of its own."""

    def __init__(self, services: Parts) -> None:
        self.services = services
        self.settings = services.settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    # -- the thread ---------------------------------------------------------------

    def start(self) -> None:
        """Start sending (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        # Woken when the projections queue deliveries, not only on the timer.
        self.services.runner.listen(OUTBOX, self.poke)
        self._thread = threading.Thread(
            target=self._run, name="mentorlog-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop sending; a try under way ends within its timeout."""
        self.services.runner.unlisten(OUTBOX, self.poke)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.settings.webhooks_timeout + 5)
            self._thread = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def poke(self) -> None:
        """Look for due deliveries now."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.services.runner.leading:
                    self.send_due()
            except DATABASE_ERRORS as error:  # lost or gone: the next round retries
                log.warning(
                    "webhook deliveries: the database failed a round (%s); "
                    "trying again",
                    first_line(error),
                )
            except Exception:  # a bad round must not end the thread
                log.exception("webhook deliveries: a round failed")
            self._wake.wait(self.settings.webhooks_interval)
            self._wake.clear()

    # -- one round ----------------------------------------------------------------

    def send_due(self) -> int:
        """Try every delivery due now (a batch at a time); how many were tried."""
        tried = 0
        # An endpoint that failed once this round waits for the next: a receiver
        # that is down costs one timeout per round, not one per delivery.
        failing: set[str] = set()
        while not self._stop.is_set():
            due = [d for d in self._due() if d.endpoint_id not in failing]
            for delivery in due:
                if delivery.endpoint_id in failing:
                    continue
                outcome = self._try(delivery)
                self._record(delivery, outcome)
                tried += 1
                if not outcome.ok:
                    failing.add(delivery.endpoint_id)
            if len(due) < BATCH:
                return tried
        return tried

    def _due(self) -> list[Due]:
        with outbox(self.services.read_models) as c:
            c.execute(
                "SELECT d.endpoint_id, d.position, d.message_id, d.body, d.attempts, "
                "e.url FROM webhook_deliveries d JOIN webhook_endpoints e "
                "ON e.id = d.endpoint_id WHERE d.status = ? AND e.enabled = 1 "
                "AND d.next_attempt_at <= ? ORDER BY d.position LIMIT ?",
                (PENDING, stamp(now()), BATCH),
            )
            return [Due(*row) for row in c.fetchall()]

    def _try(self, delivery: Due) -> Outcome:
        """POST the delivery once; never raises."""
        settings = self.settings
        try:
            check_url(
                delivery.url, allow_private=self.services.app.webhooks_allow_private
            )
            secret = self.services.app.webhook_secret(delivery.endpoint_id)
        except MentorlogError as error:
            return Outcome(None, error.message)
        if secret is None:
            return Outcome(None, "the endpoint's secret was destroyed")
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **sign(secret, delivery.message_id, now(), delivery.body),
        }
        try:
            with self.client.stream(
                "POST", delivery.url, content=delivery.body.encode(), headers=headers
            ) as response:
                read, deadline = 0, time.monotonic() + settings.webhooks_timeout
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("the answer took too long")
                    if read > (most := settings.webhooks_max_response_bytes):
                        return Outcome(
                            response.status_code, f"the answer exceeded {most} bytes"
                        )
                if response.is_redirect:
                    return Outcome(
                        response.status_code, "redirected (redirects are not followed)"
                    )
                if not response.is_success:
                    return Outcome(response.status_code, f"HTTP {response.status_code}")
                return Outcome(response.status_code, "")
        except httpx.TimeoutException:
            return Outcome(None, f"no answer within {settings.webhooks_timeout:g}s")
        except httpx.HTTPError as error:
            return Outcome(None, f"{type(error).__name__}: {error}"[:500])

    @property
    def client(self) -> httpx.Client:
        """The HTTP client every try goes through (bounded, no redirects)."""
        if self._client is None:
            timeout = self.settings.webhooks_timeout
            self._client = httpx.Client(
                timeout=httpx.Timeout(timeout),
                follow_redirects=False,
                trust_env=False,  # no proxy from the environment sees the bodies
                limits=httpx.Limits(max_connections=10),
            )
        return self._client

    def _record(self, delivery: Due, outcome: Outcome) -> None:
        """Record a try in the delivery's row; disable the endpoint when it gave up."""
        settings = self.settings
        attempts = delivery.attempts + 1
        at = now()
        if outcome.ok:
            status, next_at, delivered = DELIVERED, stamp(at), stamp(at)
        elif attempts >= settings.webhooks_max_attempts:
            status, next_at, delivered = FAILED, stamp(at), None
        else:
            wait = min(
                settings.webhooks_backoff * 2 ** (attempts - 1),
                settings.webhooks_max_backoff,
            )
            status, delivered = PENDING, None
            next_at = stamp(at + timedelta(seconds=wait))
        with outbox(self.services.read_models) as c:
            c.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, "
                "last_status = ?, last_error = ?, next_attempt_at = ?, "
                "delivered_at = ? WHERE endpoint_id = ? AND position = ? "
                "AND status = ?",
                (
                    status,
                    attempts,
                    outcome.status,
                    outcome.error,
                    next_at,
                    delivered,
                    delivery.endpoint_id,
                    delivery.position,
                    PENDING,
                ),
            )
        if status == FAILED:
            self._give_up(delivery, outcome)

    def _give_up(self, delivery: Due, outcome: Outcome) -> None:
        reason = (
            f"delivery of event #{delivery.position} failed "
            f"{self.settings.webhooks_max_attempts} times: {outcome.error}"
        )[:1000]
        log.warning("webhook %s disabled: %s", delivery.endpoint_id, reason)
        try:
            self.services.app.disable_webhook(
                delivery.endpoint_id, actor=ACTOR, reason=reason
            )
        except MentorlogError as error:  # already disabled or deleted meanwhile
            log.info("webhook %s not disabled: %s", delivery.endpoint_id, error)


@contextmanager
def outbox(read_models: ReadModels) -> Iterator[Any]:
    """A transaction on the read models, with ? placeholders on either store."""
    if isinstance(read_models, PostgresReadModelRecorder):
        with (
            read_models.datastore.transaction(commit=True) as curs,
            curs.connection.cursor(row_factory=tuple_row) as raw,
        ):
            yield QmarkCursor(raw, prepare=False)
    else:
        with read_models.datastore.transaction(commit=True) as c:
            yield c
