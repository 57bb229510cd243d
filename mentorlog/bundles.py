"""Audit bundles: one mentorship's history with the evidence to check it offline.

A bundle is a directory: events.jsonl (the stream's events exactly as stored, each
with its chain hash, leaf index and inclusion proof), checkpoint.txt (the signed
checkpoint the proofs lead to), public-key.txt (the verifier key), erased.json (the
people whose keys were destroyed), verify_bundle.py (the standalone verifier) and a
README for the auditor. Nothing in it needs mentorlog, its database or its keys.
Auditors download one as a zip from GET /audit/bundles/{mentorship's global ID},
with their token as a bearer or their pages' session cookie (the timeline links it).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from mentorlog.checkpointing import Checkpointer
from mentorlog.core import verify_bundle
from mentorlog.core.chain import link
from mentorlog.core.privacy import SEALED, is_sealed
from mentorlog.core.verify_bundle import GENESIS
from mentorlog.schema import ids

README = """# Audit bundle of stream {stream}

This directory holds {count} events of one mentorlog stream, exactly as stored, and
the evidence that they are the log's own: a checkpoint (the log's size and Merkle
root, signed by the installation's key) and, for each event, its inclusion proof.

Check it with Python 3.11+ and the `cryptography` package, nothing else:

    python verify_bundle.py .

or, with a verifier key you obtained yourself (recommended: the bundle's own
public-key.txt proves nothing about who made the bundle):

    python verify_bundle.py . --key '{key}'

verify_bundle.py is short: read it first. It checks the checkpoint's signature,
each event's chain hash (recomputed from the stored bytes, linked to the event
before it) and each inclusion proof against the signed root, then prints the
timeline. Personal data is sealed per person; people whose keys were destroyed
(erased.json) show as erased, and their events still verify.

The checkpoint: log of {size} events, signed {time} by {origin}.
"""


@dataclass(frozen=True)
class Bundle:
    """What a written bundle holds."""

    directory: Path
    events: int
    checkpoint_size: int


def write_bundle(
    app: Any, checkpoints: Checkpointer, stream: UUID, directory: Path
) -> Bundle:
    """Write the audit bundle of one stream into a new (or empty) directory."""
    stored = list(app.recorder.select_events(stream))
    if not stored:
        raise LookupError(f"no stream {stream}")
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty")
    kept = checkpoints.sign()  # covers every event recorded so far
    size = kept.checkpoint.size
    directory.mkdir(parents=True, exist_ok=True)
    owners: set[str] = set()
    previous = GENESIS
    lines = []
    for event in stored:
        previous = link(previous, event)
        index, proof = checkpoints.log.inclusion(stream, event.originator_version, size)
        owners |= _sealed_owners(json.loads(event.state))
        lines.append(
            json.dumps(
                {
                    "originator_id": stream.hex,
                    "originator_version": event.originator_version,
                    "topic": event.topic,
                    "state": base64.b64encode(bytes(event.state)).decode(),
                    "chain_hash": previous,
                    "leaf_index": index,
                    "inclusion_proof": [base64.b64encode(p).decode() for p in proof],
                }
            )
        )
    erased = sorted(o for o in owners if app.sealer.keys.get(o) is None)
    (directory / "events.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (directory / "checkpoint.txt").write_text(kept.note, "utf-8")
    (directory / "public-key.txt").write_text(f"{checkpoints.verifier}\n", "utf-8")
    (directory / "erased.json").write_text(json.dumps(erased, indent=1), "utf-8")
    shutil.copyfile(verify_bundle.__file__, directory / "verify_bundle.py")
    (directory / "README.md").write_text(
        README.format(
            stream=stream,
            count=len(lines),
            key=checkpoints.verifier,
            size=size,
            time=kept.checkpoint.time,
            origin=kept.checkpoint.origin,
        ),
        "utf-8",
    )
    return Bundle(directory, len(lines), size)


def _sealed_owners(value: Any) -> set[str]:
    """The people whose keys seal parts of an event's state."""
    if is_sealed(value):
        return {str(value[SEALED])}
    if isinstance(value, dict):
        return set().union(*(_sealed_owners(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_sealed_owners(v) for v in value))
    return set()


async def download(request: Request) -> Response:
    """GET /audit/bundles/{id}: a mentorship's audit bundle as a zip (auditors)."""
    from mentorlog.core.errors import Unauthenticated
    from mentorlog.core.policy import may_verify
    from mentorlog.schema.http import GraphQLView, error_response
    from mentorlog.web.session import authorization

    try:
        principal = await GraphQLView._principal(request, authorization(request))
    except Unauthenticated as refused:
        return error_response(401, refused.message, "UNAUTHENTICATED", None)
    parsed = ids.parse_global_id(request.path_params["mentorship_id"])
    if parsed is None or parsed[0] != "Mentorship":
        return error_response(
            400, "give a mentorship's global ID", "BAD_USER_INPUT", None
        )
    if not may_verify(principal):
        return error_response(
            403, "audit bundles are for auditor tokens", "FORBIDDEN", None
        )
    services = request.app.state.services

    def build() -> bytes | None:
        with tempfile.TemporaryDirectory(prefix="mentorlog-bundle-") as tmp:
            try:
                bundle = write_bundle(
                    services.app,
                    services.checkpoints,
                    UUID(parsed[1]),
                    Path(tmp) / "bundle",
                )
            except (LookupError, ValueError):
                return None
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(bundle.directory.iterdir()):
                    archive.write(path, f"bundle/{path.name}")
            return buffer.getvalue()

    content = await asyncio.to_thread(build)
    if content is None:
        return error_response(404, "no mentorship with that ID", "NOT_FOUND", None)
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="audit-bundle.zip"'},
    )
