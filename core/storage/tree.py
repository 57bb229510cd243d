"""The Merkle tree's storage, kept by the recorders in the events' own transaction.

merkle_nodes holds every complete subtree's hash by its position in completion
order (core/merkle.position), so an append only adds rows at the end; each chain
link records its event's leaf index. The tree's size follows from its node count.
log_checkpoints keeps the checkpoints signed so far (signed notes, by tree size).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mentorlog.core import merkle

NODES_TABLE = "merkle_nodes"
CHECKPOINTS_TABLE = "log_checkpoints"
TREE_TABLES = (NODES_TABLE, CHECKPOINTS_TABLE)


@dataclass(frozen=True)
class Growth:
    """What appending some events' links adds: nodes by position, leaf indexes."""

    nodes: list[tuple[int, bytes]]
    leaves: list[int]
    size: int


def edge_positions(size: int) -> list[int]:
    """Where the right edge's nodes of a tree of size are stored."""
    return [merkle.position(node) for node in merkle.edge(size)]


def grow(
    size: int, edge: Mapping[int, bytes], links: Sequence[tuple[str, int, str]]
) -> Growth:
    """Append one leaf per (stream, version, chain hash) to the tree of size."""
    known = {node: edge[merkle.position(node)] for node in merkle.edge(size)}
    added = merkle.append(size, known, (bytes.fromhex(h) for _, _, h in links))
    return Growth(
        [(merkle.position((level, index)), digest) for level, index, digest in added],
        list(range(size, size + len(links))),
        size + len(links),
    )


def grow_all(
    links: Iterable[tuple[str, int, str]], batch: int = 10_000
) -> Iterable[tuple[Growth, list[tuple[str, int, str]]]]:
    """The tree of a whole log in batches, each with its links (for old stores)."""
    size, pending = 0, []
    edge: dict[int, bytes] = {}
    for link in links:
        pending.append(link)
        if len(pending) == batch:
            growth = grow(size, edge, pending)
            yield growth, pending
            edge = _edge_after(growth, edge)
            size, pending = growth.size, []
    if pending:
        yield grow(size, edge, pending), pending


def _edge_after(growth: Growth, edge: Mapping[int, bytes]) -> dict[int, bytes]:
    known = {**edge, **dict(growth.nodes)}
    return {position: known[position] for position in edge_positions(growth.size)}


def positions(nodes: Iterable[merkle.Node]) -> dict[int, merkle.Node]:
    """Each node's storage position, and the node."""
    return {merkle.position(node): node for node in nodes}
