"""A stream's history as stored: each event with its sequence, actor, time and hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from mentorlog.core.chain import ChainedRecorder, chain
from mentorlog.core.errors import NotFound
from mentorlog.core.inputs import excerpt

ENVELOPE = ("originator_id", "originator_version", "timestamp", "originator_topic")


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded event: what happened, who did it, when, and its chain hash."""

    sequence: int
    type: str
    occurred_at: datetime
    actor: str
    hash: str
    payload: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the entry."""
        return {
            "sequence": self.sequence,
            "type": self.type,
            "occurredAt": self.occurred_at.isoformat(),
            "actor": self.actor,
            "hash": self.hash,
            "payload": self.payload,
        }


def history(
    app: Application[UUID], stream_id: str | UUID, as_of: datetime | None = None
) -> list[HistoryEntry]:
    """Return a stream's events in order, up to as_of when given."""
    try:
        uid = stream_id if isinstance(stream_id, UUID) else UUID(str(stream_id))
    except ValueError:
        raise NotFound(f"'{excerpt(stream_id)}' is not a valid ID", "id") from None
    stored = list(app.recorder.select_events(uid))  # type: ignore[attr-defined]
    if not stored:
        raise NotFound(f"no stream with ID {uid}", "id")
    if isinstance(app.recorder, ChainedRecorder):
        recorded = dict(app.recorder.select_links(uid))
        hashes = [recorded.get(s.originator_version, "") for s in stored]
    else:
        hashes = chain(stored)
    entries = []
    for s, digest in zip(stored, hashes, strict=True):
        event: Any = app.mapper.to_domain_event(s)
        if as_of is not None and event.timestamp > as_of:
            break
        entries.append(to_entry(event, digest))
    return entries


def to_entry(event: Any, digest: str) -> HistoryEntry:
    """A decoded domain event and its chain hash as a history entry."""
    payload = {k: v for k, v in event.__dict__.items() if k not in ENVELOPE}
    return HistoryEntry(
        sequence=event.originator_version,
        type=type(event).__name__,
        occurred_at=event.timestamp,
        actor=str(payload.pop("actor", "")),
        hash=digest,
        payload=payload,
    )
