"""The hash chain: each stored event's hash covers the previous hash and the event.

The algorithm and its verification; the recorders that write the links in the
same transaction as the events are in core/storage (sqlite.py, postgres.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from mentorlog.core.verify_bundle import GENESIS, chain_hash

LINKS_TABLE = "event_links"


def link(previous: str, stored: StoredEvent) -> str:
    """Hash an event exactly as stored, chained to the previous event's hash."""
    return chain_hash(
        previous,
        stream_key(stored.originator_id),
        stored.originator_version,
        stored.topic,
        bytes(stored.state),
    )


def chain(stored_events: Iterable[StoredEvent], previous: str = GENESIS) -> list[str]:
    """Return the hash of each event in order, starting from previous."""
    hashes = []
    for stored in stored_events:
        previous = link(previous, stored)
        hashes.append(previous)
    return hashes


def new_links(
    stored_events: Sequence[StoredEvent], previous: Callable[[str, int], str]
) -> list[tuple[str, int, str]]:
    """(stream, version, hash) of each new event; previous(stream, version) seeds."""
    heads: dict[str, str] = {}
    links = []
    for stored in stored_events:
        key = stream_key(stored.originator_id)
        head = heads.get(key)
        if head is None:
            head = previous(key, stored.originator_version)
        heads[key] = link(head, stored)
        links.append((key, stored.originator_version, heads[key]))
    return links


@runtime_checkable
class ChainedRecorder(Protocol):
    """A recorder that keeps the hash chain: what verify and history read."""

    def select_events(self, originator_id: UUID | str) -> Sequence[StoredEvent]:
        """A stream's stored events, in order."""
        ...

    def select_links(self, originator_id: UUID | str) -> list[tuple[int, str]]:
        """Return (version, hash) of a stream's recorded links, in order."""
        ...

    def stream_ids(self) -> list[str]:
        """Every stream that has an event or a link (hex IDs), sorted."""
        ...


def stream_key(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)


@dataclass(frozen=True)
class StreamVerdict:
    """The result of verifying one stream: its digest, or where it first breaks."""

    stream_id: str
    events: int
    digest: str | None
    bad_version: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the stream's chain is intact."""
        return self.bad_version is None


def verify_stream(
    stream_id: str,
    stored_events: Sequence[StoredEvent],
    links: Sequence[tuple[int, str]],
) -> StreamVerdict:
    """Recompute a stream's chain and compare it with the recorded links."""
    recorded = dict(links)
    previous = GENESIS
    for expected, stored in enumerate(stored_events, start=1):
        version = stored.originator_version
        if version != expected:
            return StreamVerdict(
                stream_id, len(stored_events), None, expected, "event missing"
            )
        if version not in recorded:
            return StreamVerdict(
                stream_id, len(stored_events), None, version, "event has no link"
            )
        previous = link(previous, stored)
        if previous != recorded[version]:
            return StreamVerdict(
                stream_id, len(stored_events), None, version, "hash mismatch"
            )
    extra = sorted(v for v in recorded if v > len(stored_events))
    if extra:
        return StreamVerdict(
            stream_id, len(stored_events), None, extra[0], "event missing"
        )
    return StreamVerdict(stream_id, len(stored_events), previous)


def store_digest(verdicts: Iterable[StreamVerdict]) -> str:
    """One digest over every stream's ID, length and head hash."""
    digest = hashlib.sha256(b"mentorlog-store-v1")
    for v in sorted(verdicts, key=lambda v: v.stream_id):
        digest.update(f"{v.stream_id}:{v.events}:{v.digest}\n".encode())
    return digest.hexdigest()


def verify(
    recorder: ChainedRecorder, stream_ids: Sequence[str] | None = None
) -> list[StreamVerdict]:
    """Verify the given streams (all of them by default) against their links."""
    verdicts = []
    for stream_id in stream_ids if stream_ids is not None else recorder.stream_ids():
        key = stream_key(UUID(stream_id)) if "-" in stream_id else stream_id
        verdicts.append(
            verify_stream(key, recorder.select_events(key), recorder.select_links(key))
        )
    return verdicts
