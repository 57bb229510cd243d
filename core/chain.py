"""The hash chain: each stored event's hash covers the previous hash and the event."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

GENESIS = "0" * 64
LINKS_TABLE = "event_links"


def link(previous: str, stored: StoredEvent) -> str:
    """Hash an event exactly as stored, chained to the previous event's hash."""
    originator = stored.originator_id
    parts = [
        previous.encode(),
        (originator.hex if isinstance(originator, UUID) else str(originator)).encode(),
        str(stored.originator_version).encode(),
        stored.topic.encode(),
        bytes(stored.state),
    ]
    digest = hashlib.sha256(b"mentorlog-chain-v1")
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def chain(stored_events: Iterable[StoredEvent], previous: str = GENESIS) -> list[str]:
    """Return the hash of each event in order, starting from previous."""
    hashes = []
    for stored in stored_events:
        previous = link(previous, stored)
        hashes.append(previous)
    return hashes


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    """Records each event's chain hash in the same transaction as the event."""

    def construct_create_table_statements(self) -> list[str]:
        """The events table, then the links table."""
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {LINKS_TABLE} ("
            "originator_id TEXT, originator_version INTEGER, hash TEXT NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        heads: dict[str, str] = {}
        for stored in stored_events:
            key = _key(stored.originator_id)
            previous = heads.get(key)
            if previous is None:
                previous = self._previous_hash(c, key, stored.originator_version)
            heads[key] = link(previous, stored)
            c.execute(
                f"INSERT INTO {LINKS_TABLE} VALUES (?,?,?)",
                (key, stored.originator_version, heads[key]),
            )
        return ids

    def _previous_hash(self, c: SQLiteCursor, key: str, version: int) -> str:
        if version <= 1:
            return GENESIS
        c.execute(
            f"SELECT hash FROM {LINKS_TABLE} "
            "WHERE originator_id = ? AND originator_version = ?",
            (key, version - 1),
        )
        row = c.fetchone()
        return row[0] if row else GENESIS

    def select_links(self, originator_id: UUID | str) -> list[tuple[int, str]]:
        """Return (version, hash) of a stream's recorded links, in order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, hash FROM {LINKS_TABLE} "
                "WHERE originator_id = ? ORDER BY originator_version",
                (_key(originator_id),),
            )
            return [(row[0], row[1]) for row in c.fetchall()]

    def stream_ids(self) -> list[str]:
        """Every stream that has an event or a link, in first-recorded order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.events_table_name} "
                f"UNION SELECT originator_id FROM {LINKS_TABLE}"
            )
            return sorted(row[0] for row in c.fetchall())


def _key(originator_id: UUID | str) -> str:
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
    recorder: ChainedSQLiteRecorder, stream_ids: Sequence[str] | None = None
) -> list[StreamVerdict]:
    """Verify the given streams (all of them by default) against their links."""
    verdicts = []
    for stream_id in stream_ids if stream_ids is not None else recorder.stream_ids():
        key = _key(UUID(stream_id)) if "-" in stream_id else stream_id
        verdicts.append(
            verify_stream(key, recorder.select_events(key), recorder.select_links(key))
        )
    return verdicts
