"""The `mentorlog` command line: one module per group of commands."""

from __future__ import annotations

import click

from mentorlog.cli.access import erase_personal_data, identity, token
from mentorlog.cli.audit import replay, verify
from mentorlog.cli.catalog import plugins, projections, schema
from mentorlog.cli.nudges import nudges
from mentorlog.cli.serving import serve, worker
from mentorlog.cli.stores import demo, init, migrate
from mentorlog.cli.transparency import (
    audit_bundle,
    checkpoint,
    inclusion_proof,
    public_key,
)


@click.group()
@click.version_option(package_name="mentorlog")
def main() -> None:
    """mentorlog: mentoring programs as verifiable, append-only event histories."""


for command in (
    init,
    demo,
    serve,
    worker,
    migrate,
    plugins,
    projections,
    schema,
    verify,
    checkpoint,
    public_key,
    inclusion_proof,
    audit_bundle,
    replay,
    token,
    identity,
    erase_personal_data,
    nudges,
):
    main.add_command(command)

__all__ = ["main"]
