"""The Merkle tree and checkpoints against published RFC 6962/9162 test vectors."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from mentorlog.core import merkle
from mentorlog.core.checkpoints import load_signing_key
from mentorlog.core.verify_bundle import (
    VerificationError,
    VerifierKey,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads(
    (Path(__file__).parent / "fixtures" / "merkle_vectors.json").read_text()
)
LEAVES = [bytes.fromhex(h) for h in VECTORS["leaves_hex"]]


def b64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def tree(leaves: list[bytes], batch: int = 1) -> dict[merkle.Node, bytes]:
    """A tree built by appending leaves in batches, as recorders do."""
    nodes: dict[merkle.Node, bytes] = {}
    for start in range(0, len(leaves), batch):
        edge = {node: nodes[node] for node in merkle.edge(start)}
        added = merkle.append(start, edge, leaves[start : start + batch])
        nodes.update(((level, index), digest) for level, index, digest in added)
    return nodes


def test_roots_match_the_published_ones() -> None:
    for batch in (1, 3, 8):
        for size, expected in enumerate(VECTORS["roots_hex"]):
            nodes = tree(LEAVES[:size], batch)
            assert merkle.root(size, nodes.__getitem__).hex() == expected


@pytest.mark.parametrize(
    "case", VECTORS["inclusion"], ids=lambda c: c["file"].split("testdata/")[1]
)
def test_inclusion_vectors(case: dict[str, Any]) -> None:
    args = (
        case["leafIdx"],
        case["treeSize"],
        base64.b64decode(case["leafHash"] or ""),
        b64(case["proof"] or []),
        base64.b64decode(case["root"] or ""),
    )
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
        return
    verify_inclusion(*args)
    if case["treeSize"] <= len(LEAVES):
        nodes = tree(LEAVES[: case["treeSize"]])
        made = merkle.inclusion_proof(case["leafIdx"], case["treeSize"], nodes.get)
        assert made == args[3]


@pytest.mark.parametrize(
    "case", VECTORS["consistency"], ids=lambda c: c["file"].split("testdata/")[1]
)
def test_consistency_vectors(case: dict[str, Any]) -> None:
    args = (
        case["size1"],
        case["size2"],
        b64(case["proof"] or []),
        base64.b64decode(case["root1"] or ""),
        base64.b64decode(case["root2"] or ""),
    )
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)
        return
    verify_consistency(*args)
    if case["size1"] > 0 and case["size2"] <= len(LEAVES):
        nodes = tree(LEAVES[: case["size2"]])
        assert (
            merkle.consistency_proof(case["size1"], case["size2"], nodes.get)
            == (args[2])
        )


def test_every_proof_of_small_trees_verifies_and_a_changed_one_does_not() -> None:
    leaves = [str(n).encode() for n in range(70)]
    nodes = tree(leaves, batch=5)
    for size in range(1, len(leaves) + 1):
        top = merkle.root(size, nodes.__getitem__)
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, nodes.__getitem__)
            verify_inclusion(index, size, leaf_hash(leaves[index]), proof, top)
            with pytest.raises(VerificationError):
                verify_inclusion(index, size, leaf_hash(b"x"), proof, top)
        for old in range(1, size + 1):
            proof = merkle.consistency_proof(old, size, nodes.__getitem__)
            old_root = merkle.root(old, nodes.__getitem__)
            verify_consistency(old, size, proof, old_root, top)
            if old < size:
                with pytest.raises(VerificationError):
                    verify_consistency(old, size, proof, leaf_hash(b"x"), top)


def test_appending_reads_only_the_right_edge() -> None:
    nodes = tree([n.to_bytes(2, "big") for n in range(1000)])
    for size in (1, 2, 3, 999, 1000):
        assert len(merkle.edge(size)) == bin(size).count("1") <= 10
    reads = merkle.needed(lambda get: merkle.root(1000, get))
    assert reads == set(merkle.edge(1000))
    assert all(node in nodes for node in reads)


def test_a_checkpoint_verifies_and_a_changed_one_does_not(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.key"
    key = load_signing_key(path, "mentorlog.test/alpha")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(path, "mentorlog.test/alpha").verifier == key.verifier
    note = key.sign(8, bytes.fromhex(VECTORS["roots_hex"][8]))
    verifier = VerifierKey.parse(str(key.verifier))
    checkpoint = open_checkpoint(note, verifier)
    assert (checkpoint.size, checkpoint.root.hex()) == (8, VECTORS["roots_hex"][8])
    assert checkpoint.time is not None
    lines = note.split("\n")
    forged = "\n".join([lines[0], "9", *lines[2:]])
    with pytest.raises(VerificationError, match="does not verify"):
        open_checkpoint(forged, verifier)
    other = load_signing_key(tmp_path / "other.key", "mentorlog.test/beta")
    with pytest.raises(VerificationError, match="not signed by mentorlog.test/alpha"):
        open_checkpoint(other.sign(8, checkpoint.root), verifier)
    impostor = load_signing_key(tmp_path / "impostor.key", "mentorlog.test/alpha")
    with pytest.raises(VerificationError):
        open_checkpoint(impostor.sign(8, checkpoint.root), verifier)
    for broken in ("", "no signature", note.replace("\u2014", "-")):
        with pytest.raises(VerificationError):
            open_checkpoint(broken, verifier)


def test_nodes_are_stored_in_the_order_appends_complete_them() -> None:
    order: list[int] = []
    for size in range(300):
        edge = {node: bytes(32) for node in merkle.edge(size)}
        for level, index, _ in merkle.append(size, edge, [b"x"]):
            order.append(merkle.position((level, index)))
        assert merkle.size_of(len(order)) == size + 1
    assert order == list(range(len(order)))
    with pytest.raises(ValueError):
        merkle.size_of(2)  # no tree has exactly two complete subtrees
