"""Check a mentorlog audit bundle offline: python verify_bundle.py DIR [--key KEY].

This file stands alone: it imports only the standard library and `cryptography`,
so an auditor can read it whole and run it without mentorlog. It checks, in order:
1. the checkpoint's signature (C2SP signed note, Ed25519) against the verifier key
   (the bundle's public-key.txt, or --key: a key you obtained yourself);
2. each event's chain hash, recomputed from the event exactly as stored, linked to
   the event before it in its stream (so no event is missing, changed or reordered);
3. each event's inclusion proof (RFC 9162) against the checkpoint's root hash;
and prints the mentorship's timeline. Personal data is sealed with a key per person
and cannot be read here; people whose keys were destroyed show as erased.

mentorlog itself uses the functions below to hash its Merkle tree and check proofs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
EMPTY_ROOT = hashlib.sha256(b"").digest()
ED25519 = b"\x01"  # the signed-note signature type of Ed25519 keys
DASH = "\u2014 "  # a signature line starts with an em dash and a space


class VerificationError(Exception):
    """A proof, signature or chain that does not check out; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def chain_hash(
    previous: str, originator: str, version: int, topic: str, state: bytes
) -> str:
    """An event's chain hash: it covers the event as stored and the previous hash."""
    digest = hashlib.sha256(b"mentorlog-chain-v1")
    for part in (
        previous.encode(),
        originator.encode(),
        str(version).encode(),
        topic.encode(),
        state,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until fn's lowest bit is set or fn is 0."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> None:
    """Check that leaf is at index in the tree of size with root (RFC 9162 2.1.3.2)."""
    if index >= size:
        raise VerificationError(f"leaf {index} is beyond the tree's size {size}")
    if len(leaf) != 32:
        raise VerificationError("a leaf hash is 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the inclusion proof is too short")
    if r != root:
        raise VerificationError("the inclusion proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that tree size2 extends tree size1 (RFC 9162 2.1.4.2)."""
    if size2 < size1:
        raise VerificationError(f"size {size2} is smaller than size {size1}")
    if size1 == 0:
        raise VerificationError("a proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise VerificationError("equal sizes take an empty proof")
        if root1 != root2:
            raise VerificationError("equal sizes but different roots")
        return
    if not proof:
        raise VerificationError("the consistency proof is empty")
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the consistency proof is too short")
    if fr != root1:
        raise VerificationError("the proof does not lead to the older root")
    if sr != root2:
        raise VerificationError("the proof does not lead to the newer root")


def key_id(name: str, public_key: bytes) -> bytes:
    """A signed-note key ID: the first 4 bytes of SHA-256(name, newline, type, key)."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A signed-note verifier key: `name+hexid+base64(0x01 || Ed25519 key)`."""

    name: str
    id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Read a verifier key; refuse one whose ID does not match its key."""
        try:
            name, hex_id, encoded = text.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            wanted = bytes.fromhex(hex_id)
        except ValueError as error:
            raise VerificationError(f"not a verifier key: {error}") from None
        if raw[:1] != ED25519 or len(raw) != 33 or not name:
            raise VerificationError("not an Ed25519 verifier key")
        if key_id(name, raw[1:]) != wanted:
            raise VerificationError("the verifier key's ID does not match its key")
        return cls(name, wanted, raw[1:])

    def __str__(self) -> str:
        encoded = base64.b64encode(ED25519 + self.public_key).decode()
        return f"{self.name}+{self.id.hex()}+{encoded}"


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: origin, tree size, root hash and extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text that is signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @property
    def time(self) -> str | None:
        """The time extension line (`time <ISO 8601>`), if any."""
        for line in self.extensions:
            if line.startswith("time "):
                return line[5:]
        return None


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """Check a checkpoint's signature by key and parse it; refuse anything else."""
    body, blank, signatures = note.partition("\n\n")
    if not blank or not signatures.endswith("\n"):
        raise VerificationError("not a signed note (no blank line before signatures)")
    text = body + "\n"
    names = []
    for line in signatures.splitlines():
        if not line.startswith(DASH):
            raise VerificationError(f"not a signature line: {line[:60]!r}")
        name, _, encoded = line[len(DASH) :].rpartition(" ")
        names.append(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise VerificationError("a signature is not base64") from None
        if name != key.name or raw[:4] != key.id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(
                raw[4:], text.encode()
            )
        except InvalidSignature:
            raise VerificationError(
                f"the checkpoint's signature by {name} does not verify: "
                "the checkpoint was altered or not signed by this key"
            ) from None
        return _parse_body(text)
    raise VerificationError(
        f"the checkpoint is not signed by {key.name} (signed by: "
        f"{', '.join(names) or 'nobody'})"
    )


def _parse_body(text: str) -> Checkpoint:
    """The checkpoint in a note body whose signature has been checked."""
    lines = text.splitlines()
    if len(lines) < 3 or not lines[1].isdigit():
        raise VerificationError("the checkpoint has no origin, size and root lines")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise VerificationError("the checkpoint's root is not base64") from None
    if len(root) != 32:
        raise VerificationError("the checkpoint's root is not a SHA-256 hash")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]))


def describe(state: dict[str, Any], erased: set[str]) -> str:
    """A short, literal rendering of an event's fields; sealed values stay sealed."""
    shown = []
    for name, value in state.items():
        if name in ("timestamp", "originator_topic", "originator_id", "actor"):
            continue
        if isinstance(value, dict) and "sealed" in value:
            owner = str(value["sealed"])
            value = "(erased)" if owner in erased else "(sealed personal data)"
        text = json.dumps(value, ensure_ascii=False)
        shown.append(f"{name}={text[:80]}")
    return " ".join(shown)


def check_bundle(directory: Path, key_text: str | None = None) -> list[str]:
    """Verify a bundle; return its timeline's lines, or raise VerificationError."""
    key = VerifierKey.parse(key_text or (directory / "public-key.txt").read_text())
    checkpoint = open_checkpoint((directory / "checkpoint.txt").read_text(), key)
    erased = set(json.loads((directory / "erased.json").read_text()))
    previous, version, timeline, stream = GENESIS, 0, [], None
    with (directory / "events.jsonl").open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            event = json.loads(line)
            state = base64.b64decode(event["state"])
            version += 1
            stream = stream or event["originator_id"]
            if event["originator_id"] != stream:
                raise VerificationError(f"line {number}: an event of another stream")
            if event["originator_version"] != version:
                raise VerificationError(f"line {number}: event {version} is missing")
            previous = chain_hash(
                previous, event["originator_id"], version, event["topic"], state
            )
            if previous != event["chain_hash"]:
                raise VerificationError(
                    f"line {number}: event {version} does not match its chain hash"
                )
            try:
                verify_inclusion(
                    event["leaf_index"],
                    checkpoint.size,
                    leaf_hash(bytes.fromhex(previous)),
                    [base64.b64decode(p) for p in event["inclusion_proof"]],
                    checkpoint.root,
                )
            except VerificationError as error:
                raise VerificationError(f"line {number}: {error}") from None
            fields = json.loads(state)
            stamp = fields.get("timestamp", {}).get("_data_", "?")
            kind = event["topic"].rpartition(".")[2]
            actor = fields.get("actor", "?")
            timeline.append(
                f"{version:>4}  {stamp[:19]}  {kind:<22} by {actor}  "
                f"{describe(fields, erased)}"
            )
    if version == 0:
        raise VerificationError("the bundle holds no events")
    return timeline


def main(argv: list[str] | None = None) -> int:
    """Verify the bundle named on the command line; exit 0 only if it verifies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the bundle's directory")
    parser.add_argument("--key", help="verifier key to trust (default: the bundle's)")
    args = parser.parse_args(argv)
    try:
        timeline = check_bundle(args.bundle, args.key)
    except (VerificationError, OSError, ValueError, KeyError) as error:
        print(f"NOT VERIFIED: {error}", file=sys.stderr)
        return 1
    print("\n".join(timeline))
    print(f"VERIFIED: {len(timeline)} events, each in the signed checkpoint.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
