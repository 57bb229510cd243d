"""The auditor's commands: `verify` the hash chains, `replay` a stream as stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import click
from rich.text import Text

from mentorlog.cli.common import (
    STREAM_KINDS,
    NodeID,
    console,
    data_option,
    one_line,
    opened,
)
from mentorlog.core.access import Credential
from mentorlog.core.application import Mentoring
from mentorlog.core.idempotency import IdempotencyKey
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.projections.base import ERASED_CONTENT

LABEL_WIDTH = 80  # characters of a name shown beside a stream


def stream_label(app: Mentoring, stream_id: str) -> tuple[str, str]:
    """A stream's kind (Mentorship, Program, Person, ...) and a readable name."""
    try:
        aggregate: Any = app.repository.get(UUID(stream_id))
    except Exception:  # an unreadable stream is reported by the chain, not here
        return "?", ""
    kind = type(aggregate).__name__
    if isinstance(aggregate, Program):
        name = aggregate.name
    elif isinstance(aggregate, Person):
        name = app.name_of(aggregate)
    elif isinstance(aggregate, Mentorship):
        purpose = app.sealer.open(aggregate.purpose, ERASED_CONTENT)
        name = f"{aggregate.format}: {purpose}".rstrip(": ")
    elif isinstance(aggregate, Credential):
        name = f"{aggregate.role} token" + (" (revoked)" if aggregate.revoked else "")
    elif isinstance(aggregate, IdempotencyKey):
        name = f"key for {aggregate.command}"
    else:
        name = ""
    return kind, one_line(name, LABEL_WIDTH)


@click.command()
@data_option
@click.argument("stream_id", required=False, type=NodeID(*STREAM_KINDS))
@click.option("--all", "all_streams", is_flag=True, help="Verify every stream.")
@click.option(
    "--against",
    type=click.Path(exists=True, path_type=Path),
    help="With --all: also check the log is an append-only extension of the "
    "checkpoint in this file, or of every checkpoint in this directory.",
)
@click.option(
    "--key",
    help="The verifier key to check the checkpoints with (default: this "
    "installation's; give one you obtained yourself to trust nothing here).",
)
def verify(
    data_dir: str | None,
    database_url: str | None,
    stream_id: str | None,
    all_streams: bool,
    against: Path | None,
    key: str | None,
) -> None:
    """Verify the hash chain of one stream, or of all; print digests to keep.

    STREAM_ID is a UUID or the API's global ID of a mentorship, program or person.
    Each line names the stream's kind and, where readable, its name. With
    --against, the whole log is also checked against signed checkpoints: a
    rewritten, removed or reordered event since the checkpoint exits 1, naming
    the first changed entry; exit 0 only when the log extends every one.
    """
    from mentorlog.cli.transparency import check_log
    from mentorlog.core.chain import ChainedRecorder, store_digest
    from mentorlog.core.chain import verify as verify_chain

    if bool(stream_id) == all_streams:
        raise click.UsageError("give a stream ID or --all (not both)")
    if (against or key) and not all_streams:
        raise click.UsageError("--against and --key check the whole log: add --all")
    with opened(data_dir, database_url, create=False) as services:
        recorder = services.app.recorder
        assert isinstance(recorder, ChainedRecorder)
        if stream_id is not None:
            key = UUID(stream_id).hex
            if key not in recorder.stream_ids():
                raise click.ClickException(f"no stream with ID {stream_id}")
            verdicts = verify_chain(recorder, [key])
        else:
            verdicts = verify_chain(recorder)
        bad = next((v for v in verdicts if not v.ok), None)
        if bad is not None:
            raise click.ClickException(
                f"stream {UUID(bad.stream_id)} is broken at sequence "
                f"{bad.bad_version}: {bad.reason}"
            )
        for v in verdicts:
            kind, name = stream_label(services.app, v.stream_id)
            click.echo(
                f"{UUID(v.stream_id)}  {kind:<14} {v.events:>6} events  "
                f"{v.digest}  {name}".rstrip()
            )
        click.echo(f"store digest: {store_digest(verdicts)}")
        if against is not None:
            check_log(services, against, key)


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not an ISO 8601 date-time", param_hint="--as-of"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command()
@data_option
@click.argument("stream_id", type=NodeID(*STREAM_KINDS))
@click.option("--as-of", "as_of", help="Only events up to this ISO 8601 moment.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON Lines, one per event."
)
def replay(
    data_dir: str | None,
    database_url: str | None,
    stream_id: str,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Print a stream's events as stored: a timeline, or JSON Lines.

    STREAM_ID is a UUID or the API's global ID of a mentorship, program or person.
    """
    from mentorlog.core.history import history

    moment = _moment(as_of)
    with opened(data_dir, database_url, create=False) as services:
        entries = history(services.app, stream_id, moment)
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry.as_json(), sort_keys=True))
        return
    # Text objects print stored text as written: no markup, links or emoji in it.
    console.print(
        Text.assemble((f"Stream {stream_id}", "bold"), f": {len(entries)} events")
    )
    for e in entries:
        when = e.occurred_at.isoformat(timespec="seconds")
        console.print(
            Text.assemble(
                (f"#{e.sequence}", "bold"),
                f" {when} ",
                (e.type, "cyan"),
                f" by {e.actor}",
            )
        )
        for key, value in e.payload.items():
            console.print(Text(f"    {key}: {json.dumps(value)}"))
        console.print(Text(f"    hash {e.hash}", style="dim"))
