"""The Merkle tree's tables, kept by the recorders in the events' own transaction.

merkle_nodes holds every complete subtree's hash (level 0: the leaves, each the
hash of an event's chain link); merkle_leaves maps each leaf to its event; and
merkle_head is one row: the tree's size and its right edge, all an append reads.
log_checkpoints keeps the checkpoints signed so far (signed notes, by tree size).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mentorlog.core import merkle

NODES_TABLE = "merkle_nodes"
LEAVES_TABLE = "merkle_leaves"
HEAD_TABLE = "merkle_head"
CHECKPOINTS_TABLE = "log_checkpoints"
TREE_TABLES = (NODES_TABLE, LEAVES_TABLE, HEAD_TABLE, CHECKPOINTS_TABLE)


@dataclass(frozen=True)
class Growth:
    """What appending some events' links adds to the tree's tables."""

    nodes: list[tuple[int, int, bytes]]
    leaves: list[tuple[int, str, int]]
    size: int
    edge: bytes


def parse_edge(size: int, blob: bytes) -> dict[merkle.Node, bytes]:
    """The right edge's nodes from the head row's concatenated hashes."""
    keys = merkle.edge(size)
    if len(blob) != 32 * len(keys):
        raise ValueError(f"the tree head of size {size} has a damaged edge")
    return {key: blob[32 * n : 32 * (n + 1)] for n, key in enumerate(keys)}


def grow(size: int, edge: bytes, links: Sequence[tuple[str, int, str]]) -> Growth:
    """Append one leaf per (stream, version, chain hash) to the tree of size."""
    known = parse_edge(size, edge)
    nodes = merkle.append(size, known, (bytes.fromhex(h) for _, _, h in links))
    leaves = [(size + n, key, version) for n, (key, version, _) in enumerate(links)]
    new_size = size + len(links)
    known.update(((level, index), digest) for level, index, digest in nodes)
    return Growth(
        nodes,
        leaves,
        new_size,
        b"".join(known[key] for key in merkle.edge(new_size)),
    )


def grow_all(
    links: Iterable[tuple[str, int, str]], batch: int = 10_000
) -> Iterable[Growth]:
    """The tree of a whole log, in batches (for stores made before the tree)."""
    size, edge, pending = 0, b"", []
    for link in links:
        pending.append(link)
        if len(pending) == batch:
            growth = grow(size, edge, pending)
            size, edge, pending = growth.size, growth.edge, []
            yield growth
    if pending:
        yield grow(size, edge, pending)
