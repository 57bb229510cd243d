"""The transparency log: checking a log against a checkpoint, and proofs per event.

Setup (not timed) writes --n events (default 100 000) through the store's own
recorder, which keeps the chain and the Merkle tree as commands do, in batches of
100 events across 1 000 streams, then signs a checkpoint.

- `verify --against`: core.transparency.check_extension recomputes every event's
  chain hash and leaf from the stored bytes and the tree's root at the checkpoint.
  Baseline: core.chain.verify over every stream (what `verify --all` does), which
  recomputes the same chain hashes. Target: against / verify-all <= 2.0, i.e. the
  checkpoint check costs at most as much again as the chain check.
- Proofs: an inclusion proof from the stored tree, and its check with the standalone
  verifier, for 1 000 events spread over the log; consistency proofs likewise.
  Figures only (per proof), with the tree's height for scale.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _report import Figure, Verdict, best, finish, parser, report, timed
from eventsourcing.persistence import StoredEvent
from mentorlog.core.chain import link, verify
from mentorlog.core.transparency import check_extension
from mentorlog.core.verify_bundle import (
    GENESIS,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

TARGET = 2.0
STREAMS = 1_000
BATCH = 100
TOPIC = "mentorlog.core.mentorship:Mentorship.NoteWritten"


def fill(services: Services, n: int) -> list[tuple[uuid.UUID, int]]:
    """Write n events through the recorder; return each event's (stream, version)."""
    recorder: Any = services.app.recorder
    streams = [uuid.uuid4() for _ in range(STREAMS)]
    versions = dict.fromkeys(streams, 0)
    written = []
    for start in range(0, n, BATCH):
        batch = []
        for i in range(start, min(n, start + BATCH)):
            stream = streams[i % STREAMS]
            versions[stream] += 1
            state = json.dumps({"text": f"note {i}", "actor": "system:bench"})
            batch.append(StoredEvent(stream, versions[stream], TOPIC, state.encode()))
            written.append((stream, versions[stream]))
        recorder.insert_events(batch)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Fill a store, then time the checks and proofs."""
    args = parser(
        __doc__.splitlines()[0], 100_000, "events (default 100000)"
    ).parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        services = open_services(Settings(data_dir=Path(tmp) / "data"))
        try:
            written = fill(services, args.n)
            kept = services.checkpoints.sign().checkpoint
            recorder: Any = services.app.recorder
            against, chains = [], []
            for _ in range(args.repeat):
                seconds, found = timed(lambda: check_extension(recorder, [kept]))
                assert found == []
                against.append(Figure("verify --against (tree)", args.n, seconds))
                seconds, verdicts = timed(lambda: verify(recorder))
                assert all(v.ok for v in verdicts)
                chains.append(Figure("verify --all (chains)", args.n, seconds))
            log = services.checkpoints.log
            sample = written[:: max(1, len(written) // 1000)][:1000]
            size, root = kept.size, kept.root

            def prove() -> list[Any]:
                return [log.inclusion(s, v, size) for s, v in sample]

            prove_seconds, proofs = timed(prove)

            def check() -> int:
                for (stream, version), (index, proof) in zip(
                    sample, proofs, strict=True
                ):
                    events = recorder.select_events(stream, lte=version)
                    previous = GENESIS
                    for event in events:
                        previous = link(previous, event)
                    verify_inclusion(
                        index, size, leaf_hash(bytes.fromhex(previous)), proof, root
                    )
                return len(proofs)

            check_seconds, _ = timed(check)
            olds = list(range(1, size, max(1, size // 1000)))[:1000]
            cons_seconds, cons = timed(
                lambda: [log.consistency_proof(m, size) for m in olds]
            )
            roots = [log.root(m)[1] for m in olds]

            def check_consistency() -> int:
                for m, proof, old_root in zip(olds, cons, roots, strict=True):
                    verify_consistency(m, size, proof, old_root, root)
                return len(olds)

            cons_check_seconds, _ = timed(check_consistency)
        finally:
            services.close()
    tree, chain = best(against), best(chains)
    ratio = tree.seconds / chain.seconds
    per = 1e3 / len(sample)
    return report(
        f"Checking a log of {args.n} events against a checkpoint (best of "
        f"{args.repeat})",
        [tree, chain],
        [Verdict("against / verify --all (time)", ratio, TARGET, False)],
        [
            f"Inclusion proof from the stored tree: {prove_seconds * per:.3f} ms; "
            f"checked (stream read, chain recomputed, proof verified): "
            f"{check_seconds * per:.3f} ms; proof length "
            f"{len(proofs[0][1])} hashes (tree height {size.bit_length()}).",
            f"Consistency proof: {cons_seconds * 1e3 / len(olds):.3f} ms; checked: "
            f"{cons_check_seconds * 1e3 / len(olds):.3f} ms.",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
