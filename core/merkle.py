"""The Merkle tree over the whole log (RFC 9162): appending, roots and proofs.

Leaf i is the i-th recorded event in the log's global order; its data is the
event's chain hash (which covers the event exactly as stored). The tree keeps the
hash of every complete subtree, as (level, index), stored in the order appends
complete them (position()): appending a leaf adds it and the subtrees it
completes at the end, reading only the right edge (at most log2 n nodes).
Roots and proofs are computed from complete subtrees, O(log n) nodes each.
The hashing and the checks are in core/verify_bundle.py, which auditors run alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from mentorlog.core.verify_bundle import EMPTY_ROOT, leaf_hash, node_hash

Node = tuple[int, int]  # (level, index): the subtree of leaves [index << level, ...)
Nodes = Callable[[Node], bytes]


def edge(size: int) -> list[Node]:
    """The complete subtrees on the right edge of a tree of size: one per set bit."""
    return [
        (level, (size >> level) - 1)
        for level in range(size.bit_length())
        if size >> level & 1
    ]


def position(node: Node) -> int:
    """A node's place in completion order (post-order): where it is stored."""
    level, index = node
    last = ((index + 1) << level) - 1  # the subtree's last leaf
    return 2 * last - last.bit_count() + level


def size_of(count: int) -> int:
    """The leaves of a tree holding count complete subtrees (count = 2n - ones(n))."""
    size = count // 2
    while 2 * size - size.bit_count() < count:
        size += 1
    if 2 * size - size.bit_count() != count:
        raise ValueError(f"no tree has {count} complete subtrees")
    return size


def append(
    size: int, right_edge: Mapping[Node, bytes], leaves: Iterable[bytes]
) -> list[tuple[int, int, bytes]]:
    """The nodes (level, index, hash) that leaves (their data) add to a tree."""
    known = dict(right_edge)
    added = []
    for data in leaves:
        level, index, digest = 0, size, leaf_hash(data)
        while True:
            known[(level, index)] = digest
            added.append((level, index, digest))
            if not index & 1:
                break
            digest = node_hash(known[(level, index - 1)], digest)
            level, index = level + 1, index >> 1
        size += 1
    return added


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree(start: int, end: int, nodes: Nodes) -> bytes:
    """The hash of leaves [start, end), from its complete subtrees."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return nodes((level, start >> level))
    k = _split(n)
    return node_hash(_subtree(start, start + k, nodes), _subtree(start + k, end, nodes))


def root(size: int, nodes: Nodes) -> bytes:
    """The root hash of the tree's first size leaves."""
    return _subtree(0, size, nodes)


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """The audit path of leaf index in the tree of size (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(_subtree(start + k, end, nodes))
            end = start + k
        else:
            path.append(_subtree(start, start + k, nodes))
            start += k
    return path[::-1]


def consistency_proof(size1: int, size2: int, nodes: Nodes) -> list[bytes]:
    """The proof that tree size2 extends tree size1 (RFC 9162 2.1.4.1)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"no proof from size {size1} to size {size2}")
    if size1 in (0, size2):
        return []
    path: list[bytes] = []
    start, end, m, whole = 0, size2, size1, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(_subtree(start + k, end, nodes))
            end = start + k
        else:
            path.append(_subtree(start, start + k, nodes))
            start, m, whole = start + k, m - k, False
    if not whole:
        path.append(_subtree(start, end, nodes))
    return path[::-1]


def needed(compute: Callable[[Nodes], object]) -> set[Node]:
    """The nodes a computation reads, found by running it on placeholder hashes."""
    seen: set[Node] = set()

    def record(node: Node) -> bytes:
        seen.add(node)
        return bytes(32)

    compute(record)
    return seen
