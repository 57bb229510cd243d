"""The log as a transparency log: roots, proofs, and checks against checkpoints.

Proofs are served from the tree the recorders keep. Checks never trust it: they
recompute every leaf from the events as stored, in the log's order, so a rewritten
event, a removed one or a rewritten tree all show against a checkpoint signed before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification
from mentorlog.core import merkle
from mentorlog.core.chain import link
from mentorlog.core.verify_bundle import (
    GENESIS,
    Checkpoint,
    VerificationError,
    leaf_hash,
    node_hash,
)

PAGE = 5_000
T = TypeVar("T")


class TreeRecorder(Protocol):
    """A recorder that keeps the Merkle tree beside the events."""

    def tree_size(self) -> int:
        """How many leaves the tree has."""
        ...

    def tree_nodes(self, nodes: set[merkle.Node]) -> dict[merkle.Node, bytes]:
        """The stored hashes of the given complete subtrees."""
        ...

    def leaf_indexes(self, originator_id: UUID | str) -> dict[int, int]:
        """Each of a stream's versions and its leaf index."""
        ...

    def select_notifications(
        self, start: int | None, limit: int, stop: int | None = None
    ) -> Sequence[Notification]:
        """The log's events from start, in order."""
        ...


class ProofError(ValueError):
    """A proof that cannot be made: a size beyond the log, or an unknown event."""


def _stored(recorder: TreeRecorder, compute: Callable[[merkle.Nodes], T]) -> T:
    """Run a computation on the stored tree, reading its nodes in one query."""
    wanted = merkle.needed(compute)
    found = recorder.tree_nodes(wanted)
    missing = wanted - found.keys()
    if missing:
        raise ProofError(f"the stored tree is missing {len(missing)} of its nodes")
    return compute(found.__getitem__)


class Transparency:
    """Roots and proofs of one store's log."""

    def __init__(self, recorder: TreeRecorder) -> None:
        self.recorder = recorder

    def size(self) -> int:
        """How many events the log holds."""
        return self.recorder.tree_size()

    def _check_size(self, size: int) -> None:
        current = self.size()
        if not 0 <= size <= current:
            raise ProofError(f"the log has {current} events; there is no size {size}")

    def root(self, size: int | None = None) -> tuple[int, bytes]:
        """The size and root hash of the log (at size, if given)."""
        size = self.size() if size is None else size
        self._check_size(size)
        return size, _stored(self.recorder, lambda nodes: merkle.root(size, nodes))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """The proof that the log at size2 extends the log at size1."""
        if size1 > size2:
            raise ProofError(f"size {size1} is beyond size {size2}")
        self._check_size(size2)
        return _stored(
            self.recorder, lambda nodes: merkle.consistency_proof(size1, size2, nodes)
        )

    def inclusion(
        self, originator_id: UUID | str, version: int, size: int
    ) -> tuple[int, list[bytes]]:
        """An event's leaf index and its inclusion proof in the log at size."""
        self._check_size(size)
        index = self.recorder.leaf_indexes(originator_id).get(version)
        if index is None:
            raise ProofError(f"no event {version} of stream {originator_id}")
        if index >= size:
            raise ProofError(
                f"event {version} was recorded after the log had {size} events"
            )
        return index, _stored(
            self.recorder, lambda nodes: merkle.inclusion_proof(index, size, nodes)
        )


def recomputed_events(recorder: TreeRecorder) -> Iterator[tuple[str, int, bytes]]:
    """Every event's stream, version and leaf data (its chain hash), recomputed
    from the events as stored, in the log's order."""
    heads: dict[str, str] = {}
    start: int | None = 1
    while start is not None:
        page = recorder.select_notifications(start, PAGE)
        for notification in page:
            key = (
                notification.originator_id.hex
                if isinstance(notification.originator_id, UUID)
                else str(notification.originator_id)
            )
            version = notification.originator_version
            previous = heads.get(key, GENESIS) if version > 1 else GENESIS
            heads[key] = link(previous, notification)
            yield key, version, bytes.fromhex(heads[key])
        start = page[-1].id + 1 if len(page) == PAGE else None


def recomputed_leaves(recorder: TreeRecorder) -> Iterator[bytes]:
    """Every leaf's data, recomputed from the events as stored, in order."""
    return (data for _, _, data in recomputed_events(recorder))


@dataclass(frozen=True)
class Divergence:
    """Where the log stops being an extension of a checkpoint."""

    checkpoint: Checkpoint
    reason: str
    first_leaf: int | None = None
    # The event now at first_leaf (stream, version), if the log reaches it.
    event: tuple[str, int] | None = None


def check_extension(
    recorder: TreeRecorder, checkpoints: Sequence[Checkpoint]
) -> list[Divergence]:
    """Check the log against checkpoints (signatures already checked), in one pass.

    A checkpoint holds when the recomputed first `size` leaves hash to its root.
    Where one fails, the first leaf whose recomputed hash differs from the stored
    tree's is named (when the tree was left as it was), with the event now there.
    """
    pending = sorted((c for c in checkpoints if c.size > 0), key=lambda c: c.size)
    peaks: list[bytes] = []  # the right edge's hashes, largest subtree first
    size, divergences = 0, []
    first: tuple[int, tuple[str, int] | None] | None = None
    stored: dict[int, bytes] = {}
    for key, version, data in recomputed_events(recorder):
        if not pending:
            break
        leaf = leaf_hash(data)
        if first is None:
            if size not in stored:
                nodes = recorder.tree_nodes({(0, i) for i in range(size, size + PAGE)})
                stored = {index: digest for (_, index), digest in nodes.items()}
            if stored.get(size) != leaf:
                first = (size, (key, version))
        n, digest = size, leaf
        while n & 1:
            digest, n = node_hash(peaks.pop(), digest), n >> 1
        peaks.append(digest)
        size += 1
        while pending and pending[0].size == size:
            checkpoint = pending.pop(0)
            top = peaks[-1]
            for peak in reversed(peaks[:-1]):
                top = node_hash(peak, top)
            if top != checkpoint.root:
                divergences.append(
                    Divergence(
                        checkpoint,
                        "the log's first events no longer hash to its root",
                        *(first or (None, None)),
                    )
                )
    for checkpoint in pending:
        divergences.append(
            Divergence(
                checkpoint,
                f"the log holds {size} events, fewer than the {checkpoint.size} it had",
                *(first or (size, None)),
            )
        )
    return divergences


__all__ = [
    "Divergence",
    "ProofError",
    "Transparency",
    "VerificationError",
    "check_extension",
    "recomputed_leaves",
]
