"""`mentorlog nudges run`: one round of the nudge worker, as the served app runs."""

from __future__ import annotations

from datetime import datetime

import click

from mentorlog.cli.common import console, data_option, literal, one_line, opened


@click.group()
def nudges() -> None:
    """Send the nudges programs' rules make due (the served app does so itself)."""


@nudges.command()
@data_option
@click.option(
    "--at",
    "at",
    default=None,
    help="Run as of this moment (ISO 8601 with an offset) instead of now, to see "
    "what a later round would send.",
)
def run(data_dir: str | None, database_url: str | None, at: str | None) -> None:
    """Run one round: claim, send and record each nudge due, retry failed ones."""
    moment = None
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(
                f"'{at[:100]}' is not ISO 8601", param_hint="--at"
            ) from None
        if moment.tzinfo is None:
            raise click.BadParameter("give an offset, e.g. +00:00", param_hint="--at")
    with opened(data_dir, database_url, create=False) as services:
        services.runner.catch_up()
        done = services.nudges.run_once(moment)
        services.runner.catch_up()
    console.print(
        f"nudges: {done.sent} sent, {done.retried} retried, "
        f"{done.delivered} delivered, {done.failed} failed"
    )
    for error in done.errors:
        console.print(f"  failed: {literal(one_line(error, 200))}", highlight=False)
