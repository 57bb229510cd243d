"""Webhook deliveries: the outbox of each endpoint, filled as the log is followed.

For each mutation event of a program with an endpoint subscribed to its type, a
delivery row holds the JSON body to send (made once, as the event is applied, in
the same transaction as the projection's position: after a restart the outbox
holds each event exactly once). The sender (mentorlog/webhooks.py) sends what is
due and records each attempt in the row. A private goal's or note's content
never enters a body (the fields its event declares as content, and any sealed
value, are left out). An endpoint receives the events recorded after it was
registered. Rebuilding this projection fills the outbox again: what was delivered
is sent again, with the same webhook-id, so receivers that dedupe see it once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from mentorlog.core.mentorship import event_classes
from mentorlog.core.privacy import is_sealed
from mentorlog.core.webhooks import WebhookEndpoint
from mentorlog.projections.base import Projection, dumps, handles, iso, oid
from mentorlog.projections.queries import Reader, Row
from mentorlog.projections.readers import PRIVATE_ITEMS, content_fields

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
# Fields every event has, which the body carries under its own names.
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp"})
MENTORSHIP_EVENTS = tuple(event_classes().values())


def message_id(endpoint_id: str, position: int) -> str:
    """The webhook-id of an event's delivery to an endpoint: the same on every try."""
    return f"msg_{endpoint_id.replace('-', '')}_{position}"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(type(value).__name__)


def public_fields(event: Any, private: bool) -> dict[str, Any]:
    """An event's fields a receiver may see: no private content, nothing sealed."""
    hidden = content_fields(type(event)) if private else frozenset()
    return {
        name: value
        for name, value in vars(event).items()
        if name not in ENVELOPE
        and name not in hidden
        and not name.startswith("_")
        and not is_sealed(value)
    }


def body_of(event: Any, position: int, program_id: str, private: bool) -> str:
    """The JSON a delivery sends (Standard Webhooks' type, timestamp and data)."""
    data = {
        "position": position,
        "sequence": event.originator_version,
        "mentorshipId": oid(event),
        "programId": program_id,
        **public_fields(event, private),
    }
    return json.dumps(
        {"type": type(event).__name__, "timestamp": iso(event.timestamp), "data": data},
        default=_plain,
        separators=(",", ":"),
        sort_keys=True,
    )


class WebhookDeliveries(Projection):
    """Endpoints, the program of each mentorship, private items, and the outbox."""

    name = "webhook_deliveries"
    tables = (
        "webhook_endpoints",
        "webhook_mentorships",
        "webhook_private_items",
        "webhook_deliveries",
    )
    ddl = (
        "CREATE TABLE IF NOT EXISTS webhook_endpoints ("
        "id TEXT PRIMARY KEY, program_id TEXT NOT NULL, url TEXT NOT NULL, "
        "event_types TEXT NOT NULL, enabled INTEGER NOT NULL, "
        "deleted INTEGER NOT NULL, created_at TEXT NOT NULL, seq INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS webhook_endpoints_program "
        "ON webhook_endpoints (program_id, seq)",
        "CREATE TABLE IF NOT EXISTS webhook_mentorships ("
        "id TEXT PRIMARY KEY, program_id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS webhook_private_items ("
        "mentorship_id TEXT NOT NULL, kind TEXT NOT NULL, item_id TEXT NOT NULL, "
        "PRIMARY KEY (mentorship_id, kind, item_id))",
        "CREATE TABLE IF NOT EXISTS webhook_deliveries ("
        "endpoint_id TEXT NOT NULL, position INTEGER NOT NULL, "
        "message_id TEXT NOT NULL, event_type TEXT NOT NULL, body TEXT NOT NULL, "
        "status TEXT NOT NULL, attempts INTEGER NOT NULL, last_status INTEGER, "
        "last_error TEXT NOT NULL, next_attempt_at TEXT NOT NULL, "
        "created_at TEXT NOT NULL, delivered_at TEXT, "
        "PRIMARY KEY (endpoint_id, position))",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_due "
        "ON webhook_deliveries (status, next_attempt_at)",
    )

    @handles(WebhookEndpoint.Registered)
    def registered(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "INSERT INTO webhook_endpoints VALUES (?,?,?,?,?,?,?,?)",
            (
                oid(e),
                e.program_id,
                e.url,
                dumps(e.event_types),
                1,
                0,
                iso(e.timestamp),
                pos,
            ),
        )

    @handles(WebhookEndpoint.Disabled)
    def disabled(self, c: Any, e: Any, pos: int) -> None:
        c.execute("UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?", (oid(e),))

    @handles(WebhookEndpoint.Enabled)
    def enabled(self, c: Any, e: Any, pos: int) -> None:
        c.execute("UPDATE webhook_endpoints SET enabled = 1 WHERE id = ?", (oid(e),))

    @handles(WebhookEndpoint.Deleted)
    def deleted(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE webhook_endpoints SET enabled = 0, deleted = 1 WHERE id = ?",
            (oid(e),),
        )
        # Nothing is sent to a deleted endpoint: what waited is dropped.
        c.execute(
            "DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND status <> ?",
            (oid(e), DELIVERED),
        )

    @handles(WebhookEndpoint.RedeliveryRequested)
    def redelivery_requested(self, c: Any, e: Any, pos: int) -> None:
        at = iso(e.timestamp)
        c.executemany(
            "UPDATE webhook_deliveries SET status = ?, attempts = 0, "
            "next_attempt_at = ? WHERE endpoint_id = ? AND position = ?",
            [(PENDING, at, oid(e), p) for p in e.positions],
        )

    @handles(*MENTORSHIP_EVENTS)
    def mentorship_event(self, c: Any, e: Any, pos: int) -> None:
        mentorship_id = oid(e)
        if e.originator_version == 1:  # the event that proposes it names its program
            c.execute(
                "INSERT INTO webhook_mentorships VALUES (?,?)",
                (mentorship_id, e.program_id),
            )
        name = type(e).__name__
        private = self._private(c, mentorship_id, name, e)
        c.execute(
            "SELECT e.id, e.event_types, e.program_id FROM webhook_endpoints e "
            "JOIN webhook_mentorships m ON m.program_id = e.program_id "
            "WHERE m.id = ? AND e.deleted = 0",
            (mentorship_id,),
        )
        endpoints = [r for r in c.fetchall() if _subscribes(r[1], name)]
        if not endpoints:
            return
        at = iso(e.timestamp)
        body = body_of(e, pos, endpoints[0][2], private)
        c.executemany(
            "INSERT INTO webhook_deliveries VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (r[0], pos, message_id(r[0], pos), name, body, PENDING, 0, None, "")
                + (at, at, None)
                for r in endpoints
            ],
        )

    @staticmethod
    def _private(c: Any, mentorship_id: str, name: str, e: Any) -> bool:
        """Whether the event is about a private goal or note (remembered if so)."""
        item = PRIVATE_ITEMS.get(name)
        if item is None:
            return False
        key = (mentorship_id, item.kind, str(getattr(e, f"{item.kind}_id", "")))
        if item.owner is not None and getattr(e, "private", False):
            c.execute("INSERT INTO webhook_private_items VALUES (?,?,?)", key)
            return True
        c.execute(
            "SELECT 1 FROM webhook_private_items "
            "WHERE mentorship_id = ? AND kind = ? AND item_id = ?",
            key,
        )
        return c.fetchone() is not None


def _subscribes(event_types: str, name: str) -> bool:
    wanted = json.loads(event_types)
    return not wanted or name in wanted


# -- reads for the API ---------------------------------------------------------------


async def endpoints_of(db: Reader, program_id: str) -> list[Row]:
    """A program's endpoints that are not deleted, oldest first."""
    return await db.fetch(
        "SELECT id FROM webhook_endpoints WHERE program_id = ? AND deleted = 0 "
        "ORDER BY seq",
        (program_id,),
    )


async def deliveries_page(
    db: Reader, endpoint_id: str, before: int | None, limit: int
) -> list[Row]:
    """An endpoint's deliveries, newest first, those before a position."""
    bound = "AND position < ? " if before is not None else ""
    params: Sequence[Any] = (
        (endpoint_id, before, limit) if before is not None else (endpoint_id, limit)
    )
    return await db.fetch(
        "SELECT position, message_id, event_type, status, attempts, last_status, "
        "last_error, next_attempt_at, created_at, delivered_at "
        f"FROM webhook_deliveries WHERE endpoint_id = ? {bound}"
        "ORDER BY position DESC LIMIT ?",
        params,
    )
