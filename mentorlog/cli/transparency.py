"""The transparency log's commands: sign a checkpoint, publish the key, prove an
event's inclusion, write an audit bundle, and check the log against checkpoints."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import click

from mentorlog.checkpointing import check_against, read_checkpoints
from mentorlog.cli.common import NodeID, data_option, one_line, opened
from mentorlog.core.transparency import Divergence, ProofError
from mentorlog.core.verify_bundle import (
    VerificationError,
    VerifierKey,
    open_checkpoint,
)
from mentorlog.services import Services


@click.command()
@data_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the checkpoint to this file (default: print it).",
)
def checkpoint(
    data_dir: str | None, database_url: str | None, out: Path | None
) -> None:
    """Sign a checkpoint of the log now (its size and Merkle root); keep it.

    Keep the printed checkpoint somewhere an insider cannot reach: later,
    `mentorlog verify --all --against FILE` shows the log still extends it.
    """
    with opened(data_dir, database_url, create=False) as services:
        kept = services.checkpoints.sign()
    if out is None:
        click.echo(kept.note, nl=False)
        return
    out.write_text(kept.note, encoding="utf-8")
    click.echo(f"checkpoint of {kept.checkpoint.size} events written to {out}")


@click.command("public-key")
@data_option
def public_key(data_dir: str | None, database_url: str | None) -> None:
    """Print the checkpoints' verifier key (publish it; auditors check against it)."""
    with opened(data_dir, database_url, create=False) as services:
        click.echo(str(services.checkpoints.verifier))


@click.command("inclusion-proof")
@data_option
@click.argument("stream_id", type=NodeID("Mentorship", "Program", "Person"))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Prove against this checkpoint (default: sign one now).",
)
def inclusion_proof(
    data_dir: str | None,
    database_url: str | None,
    stream_id: str,
    checkpoint_file: Path | None,
) -> None:
    """Print each event's leaf index and inclusion proof (JSON Lines)."""
    with opened(data_dir, database_url, create=False) as services:
        log = services.checkpoints.log
        if checkpoint_file is None:
            size = services.checkpoints.sign().checkpoint.size
        else:
            note = checkpoint_file.read_text(encoding="utf-8")
            size = _opened(note, services.checkpoints.verifier).size
        stream = UUID(stream_id)
        leaves = services.checkpoints.recorder.leaf_indexes(stream)
        if not leaves:
            raise click.ClickException(f"no stream with ID {stream_id}")
        later = [v for v, index in leaves.items() if index >= size]
        for version in sorted(v for v in leaves if v not in later):
            try:
                index, proof = log.inclusion(stream, version, size)
            except ProofError as error:
                raise click.ClickException(str(error)) from None
            click.echo(
                json.dumps(
                    {
                        "stream": str(stream),
                        "sequence": version,
                        "leaf_index": index,
                        "tree_size": size,
                        "proof": [base64.b64encode(p).decode() for p in proof],
                    }
                )
            )
        if later:
            click.echo(
                f"{len(later)} later event(s) (from sequence {min(later)}) were "
                f"recorded after the checkpoint of {size} events",
                err=True,
            )


@click.command("audit-bundle")
@data_option
@click.argument("mentorship_id", type=NodeID("Mentorship"))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new (or empty) directory to write the bundle into.",
)
def audit_bundle(
    data_dir: str | None, database_url: str | None, mentorship_id: str, out: Path
) -> None:
    """Write a mentorship's audit bundle: its events as stored, their proofs, a
    signed checkpoint, the public key and a standalone verifier.

    Check it anywhere with `python verify_bundle.py DIR` (Python 3.11+ and the
    `cryptography` package; no mentorlog, no database).
    """
    from mentorlog.bundles import write_bundle

    with opened(data_dir, database_url, create=False) as services:
        try:
            bundle = write_bundle(
                services.app, services.checkpoints, UUID(mentorship_id), out
            )
        except (LookupError, FileExistsError) as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"wrote {bundle.events} events of mentorship {mentorship_id} to {out} "
        f"(checkpoint of {bundle.checkpoint_size} events); check it with: "
        f"python {out / 'verify_bundle.py'} {out}"
    )


def _opened(note: str, key: VerifierKey) -> Any:
    """A checkpoint whose signature checks out, or a clean exit saying why."""
    try:
        return open_checkpoint(note, key)
    except VerificationError as error:
        raise click.ClickException(str(error)) from None


def check_log(services: Services, against: Path, key_text: str | None) -> None:
    """Check the log extends every checkpoint at `against`; exit 1 naming where not."""
    try:
        key = VerifierKey.parse(key_text) if key_text else services.checkpoints.verifier
        notes = read_checkpoints(against)
        divergences = check_against(services.app.recorder, notes, key)
    except (VerificationError, OSError, UnicodeError) as error:
        raise click.ClickException(f"checkpoint refused: {error}") from None
    if divergences:
        raise click.ClickException(_describe(divergences[0], len(divergences)))
    sizes = sorted({open_checkpoint(n, key).size for n in notes})
    click.echo(
        f"the log extends {len(notes)} checkpoint(s) signed by {key.name} "
        f"(sizes {', '.join(map(str, sizes))})"
    )


def _describe(divergence: Divergence, count: int) -> str:
    """The first divergence, in words."""
    checkpoint = divergence.checkpoint
    text = (
        f"the log is not an extension of the checkpoint of {checkpoint.size} events "
        f"signed {checkpoint.time or '(no time)'} by {checkpoint.origin}: "
        f"{divergence.reason}"
    )
    if divergence.first_leaf is not None:
        text += f"; the first changed entry is leaf {divergence.first_leaf}"
        if divergence.event is not None:
            stream, version = divergence.event
            text += f" (now event {version} of stream {UUID(stream)})"
    if count > 1:
        text += f"; {count} checkpoints fail"
    return one_line(text, width=2000)
