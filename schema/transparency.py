"""The transparency log over GraphQL: size, root, checkpoints, the public key, proofs.

Hashes and signatures are base64, as in the checkpoints themselves (C2SP
tlog-checkpoint). Any token may read them: they hold no content, only evidence.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from mentorlog.core.transparency import ProofError
from mentorlog.core.verify_bundle import leaf_hash
from mentorlog.schema.context import Info
from mentorlog.schema.errors import ClientError


def b64(data: bytes) -> str:
    """Base64, as checkpoints write hashes."""
    return base64.b64encode(data).decode()


@strawberry.type(
    description="A signed checkpoint: the log's size and Merkle root at a moment, "
    "signed with the installation's key (C2SP tlog-checkpoint, a signed note)."
)
class Checkpoint:
    size: int = strawberry.field(description="How many events the log held.")
    root_hash: str = strawberry.field(
        description="The RFC 9162 Merkle root of those events (base64 SHA-256)."
    )
    signed_at: datetime | None = strawberry.field(
        description="When it was signed (its `time` line)."
    )
    note: str = strawberry.field(
        description="The checkpoint exactly as signed: keep it, and check the log "
        "against it later with `mentorlog verify --all --against FILE`."
    )


@strawberry.type(
    description="An inclusion proof (RFC 9162 2.1.3): the hashes leading from an "
    "event's leaf to the root of the log of treeSize events."
)
class InclusionProof:
    leaf_index: int = strawberry.field(
        description="The event's place in the whole log, from 0."
    )
    tree_size: int = strawberry.field(description="The size of the log proved against.")
    leaf_hash: str = strawberry.field(
        description="SHA-256(0x00 || the event's chain hash), base64: the leaf."
    )
    root_hash: str = strawberry.field(
        description="The root of the log of treeSize events (base64): equal to the "
        "root of a checkpoint of that size."
    )
    hashes: list[str] = strawberry.field(
        description="The audit path, in RFC 9162 order (base64)."
    )

    @classmethod
    async def of(
        cls,
        info: Info,
        stream: str,
        version: int,
        chain_hash: str,
        tree_size: int | None,
    ) -> InclusionProof:
        """The proof of one stream's event (its chain hash given), off the loop."""
        log = info.context.services.checkpoints.log

        def prove() -> InclusionProof:
            now = log.size()
            size = now if tree_size is None else tree_size
            if not 1 <= size <= now:
                raise ClientError(
                    f"the log has {now} events; there is no size {size}",
                    argument="treeSize",
                )
            index, hashes = log.inclusion(UUID(stream), version, size)
            return cls(
                leaf_index=index,
                tree_size=size,
                leaf_hash=b64(leaf_hash(bytes.fromhex(chain_hash))),
                root_hash=b64(log.root(size)[1]),
                hashes=[b64(h) for h in hashes],
            )

        result: InclusionProof = await _proving(info, prove)
        return result


@strawberry.type(
    description="A consistency proof (RFC 9162 2.1.4): the hashes showing the log at "
    "toSize is an append-only extension of the log at fromSize."
)
class ConsistencyProof:
    from_size: int = strawberry.field(description="The older log's size.")
    to_size: int = strawberry.field(description="The newer log's size.")
    from_root: str = strawberry.field(description="The older log's root (base64).")
    to_root: str = strawberry.field(description="The newer log's root (base64).")
    hashes: list[str] = strawberry.field(
        description="The proof's hashes, in RFC 9162 order (base64)."
    )


@strawberry.type(
    description="The whole event log as a Merkle tree (RFC 9162): leaf i is the "
    "i-th recorded event, in the order every projection follows."
)
class TransparencyLog:
    size: int = strawberry.field(description="How many events the log holds now.")
    root_hash: str = strawberry.field(description="Its Merkle root now (base64).")
    origin: str = strawberry.field(
        description="The name checkpoints are signed as: their first line."
    )
    public_key: str = strawberry.field(
        description="The verifier key of the checkpoints (signed-note format: "
        "name+key ID+base64 Ed25519 key). Obtain it once, out of band, and check "
        "every checkpoint and bundle against it."
    )
    checkpoints: list[Checkpoint] = strawberry.field(
        description="The newest checkpoints kept, newest first (at most 100)."
    )

    @strawberry.field(
        description="A consistency proof from an older size to a newer one (default: "
        "the log's size now). A size beyond the log, or fromSize below 1 or above "
        "toSize, is a BAD_USER_INPUT error naming the argument."
    )
    async def consistency_proof(
        self,
        info: Info,
        from_size: Annotated[
            int, strawberry.argument(description="The older log's size (at least 1).")
        ],
        to_size: Annotated[
            int | None,
            strawberry.argument(description="The newer log's size; default: now."),
        ] = None,
    ) -> ConsistencyProof:
        log = info.context.services.checkpoints.log
        target = self.size if to_size is None else to_size

        def prove() -> ConsistencyProof:
            if from_size < 1 or from_size > target:
                raise ClientError(
                    f"fromSize must be between 1 and toSize ({target})",
                    argument="fromSize",
                )
            if target > log.size():
                raise ClientError(
                    f"the log has {log.size()} events; there is no size {target}",
                    argument="toSize",
                )
            hashes = log.consistency_proof(from_size, target)
            return ConsistencyProof(
                from_size=from_size,
                to_size=target,
                from_root=b64(log.root(from_size)[1]),
                to_root=b64(log.root(target)[1]),
                hashes=[b64(h) for h in hashes],
            )

        return await _proving(info, prove)


async def _proving(info: Info, compute: Any) -> Any:
    """Run a proof off the event loop; a ProofError is the client's, with a code."""
    try:
        return await info.context.in_thread(compute)
    except ProofError as error:
        raise ClientError(str(error)) from None


@strawberry.type
class TransparencyQueries:
    """The transparency log."""

    @strawberry.field(
        description="The event log as a Merkle tree: its size and root now, the "
        "signed checkpoints, the public key to check them with, and consistency "
        "proofs between sizes."
    )
    async def transparency_log(self, info: Info) -> TransparencyLog:
        checkpoints = info.context.services.checkpoints

        def read() -> TransparencyLog:
            size, root = checkpoints.log.root()
            kept = checkpoints.kept()[-100:][::-1]
            return TransparencyLog(
                size=size,
                root_hash=b64(root),
                origin=checkpoints.verifier.name,
                public_key=str(checkpoints.verifier),
                checkpoints=[
                    Checkpoint(
                        size=k.checkpoint.size,
                        root_hash=b64(k.checkpoint.root),
                        signed_at=datetime.fromisoformat(k.checkpoint.time)
                        if k.checkpoint.time
                        else None,
                        note=k.note,
                    )
                    for k in kept
                ],
            )

        result: TransparencyLog = await _proving(info, read)
        return result
