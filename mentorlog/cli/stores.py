"""Commands that fill a store: `init` (a real installation), `demo`, `migrate`."""

from __future__ import annotations

import json
import shlex
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from mentorlog.cli.common import (
    CLI_ACTOR,
    console,
    data_option,
    literal,
    opened,
    settings_for,
)
from mentorlog.core.inputs import check_email, check_text
from mentorlog.plugins.manager import PluginError
from mentorlog.projections.runner import ProjectionsBusy
from mentorlog.services import DataDirError, Services


def _refuse_if_used(services: Services, what: str) -> None:
    """Stop when the store already holds events, saying what to do instead."""
    existing = services.app.recorder.max_notification_id() or 0
    if existing:
        raise click.ClickException(
            f"{services.settings.store_name} already holds {existing} events; {what}"
        )


@click.command()
@data_option
@click.option("--name", required=True, help="Your name: the first program admin.")
@click.option("--email", default=None, help="Your email (sealed, erasable).")
@click.option("--program", "program_name", required=True, help="The program's name.")
@click.option(
    "--description", default="", help="What the program is for (shown to everyone)."
)
def init(
    data_dir: str | None,
    database_url: str | None,
    name: str,
    email: str | None,
    program_name: str,
    description: str,
) -> None:
    """Start an installation: its first admin, a program, and an admin token."""
    from mentorlog.schema.ids import global_id

    # The commands check these again; checked first, a bad program name cannot
    # leave a person recorded without a program or token.
    problems = [
        *check_text("--name", name, max_len=200),
        *(check_email(email) if email is not None else []),
        *check_text("--program", program_name, max_len=200),
        *check_text("--description", description, required=False, max_len=5000),
    ]
    if problems:
        raise click.UsageError("; ".join(p.message for p in problems))
    with opened(data_dir, database_url) as services:
        _refuse_if_used(
            services,
            "'init' starts a new installation only (issue more tokens with "
            "'mentorlog token create', or over the API with issueToken)",
        )
        app = services.app
        person = app.register_person(
            actor=CLI_ACTOR,
            display_name=name,
            email=email,
            career_stage="mid",
            years_experience=0,
            tenure_years=0,
            capacity=0,
        ).id
        program = app.create_program(
            actor=CLI_ACTOR,
            name=program_name,
            description=description,
            formats=list(services.catalog.formats),
            admins=[person],
        ).id
        secret, credential = app.issue_token(
            actor=CLI_ACTOR, person_id=person, role="admin", program_id=program
        )
        services.runner.catch_up()
        store = services.settings.store_name
    click.echo(f"Initialised {store}:")
    click.echo(f"  admin    {name}  (person {global_id('Person', person)})")
    click.echo(f"  program  {program_name}  (program {global_id('Program', program)})")
    click.echo(f"  token    {secret}")
    click.echo(
        f"Keep the token (credential {credential.id}): it is not shown again. "
        "Serve with 'mentorlog serve"
        + (f" --data {shlex.quote(data_dir)}'" if data_dir else "'")
        + " and send it as 'Authorization: Bearer <token>'."
    )


@click.command()
@data_option
def demo(data_dir: str | None, database_url: str | None) -> None:
    """Load a realistic demo program, its months simulated, into the data dir."""
    from mentorlog.demo import demo_tokens, load_demo

    with opened(data_dir, database_url) as services:
        existing = services.app.recorder.max_notification_id() or 0
        if existing:
            console.print(
                f"{literal(services.settings.store_name)} already holds {existing} "
                "events; the demo is not loaded twice."
            )
            return
        ids = load_demo(services.app)
        tokens = demo_tokens(services.app, ids)
        path = services.settings.data_dir / "demo-tokens.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens, indent=2) + "\n")
        path.chmod(0o600)
        services.runner.catch_up()
        head = services.app.recorder.max_notification_id()
        console.print(
            f"Demo loaded into {literal(services.settings.store_name)}: {head} "
            f"events, program {ids['program']} (its history is simulated over "
            "the past months).",
            highlight=False,
        )
        for role, secret in tokens.items():
            console.print(f"  {role:<12} token: {literal(secret)}", highlight=False)
        console.print(f"Tokens saved to {literal(path)}.", highlight=False)


@click.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=str),
    envvar="MENTORLOG_DATA",
    default=None,
    help="The embedded installation's data directory (default ./mentorlog-data, "
    "env MENTORLOG_DATA).",
)
@click.option(
    "--to",
    "target_url",
    required=True,
    help="postgresql://user:password@host:port/dbname?schema=name: an empty schema.",
)
def migrate(data_dir: str | None, target_url: str) -> None:
    """Copy an embedded installation into an empty PostgreSQL schema."""
    from dataclasses import replace

    from mentorlog.migrate import migrate as copy_store

    source = replace(settings_for(data_dir, None), database_url=None)
    target = replace(source, database_url=target_url, database_schema=None)
    try:
        console.print(
            f"Copying {literal(source.store_name)} into {literal(target.store_name)}"
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    columns = (TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, Any] = {}

        def step(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(
                tasks[stage], completed=done if total else 1, total=max(total, 1)
            )

        try:
            copied = copy_store(source, target, step)
        except (DataDirError, PluginError) as exc:
            raise click.ClickException(str(exc)) from None
        except ProjectionsBusy as exc:
            raise click.ClickException(str(exc)) from None
    console.print(
        f"Copied {copied.events} events, {copied.links} chain links, "
        f"{copied.snapshots} snapshots and {copied.keys} keys "
        f"({copied.destroyed} destroyed) into {literal(target.store_name)}; read "
        "models rebuilt."
    )
    click.echo(f"store digest: {copied.digest}")
