"""The `mentorlog` command line: serve, demo, plugins, projections, schema."""

from __future__ import annotations

import fcntl
import functools
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from mentorlog.core.errors import MentorlogError
from mentorlog.plugins.manager import PluginError
from mentorlog.projections.runner import ProjectionsBusy
from mentorlog.services import DataDirError, Services, open_services
from mentorlog.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
console = Console(soft_wrap=True)
CLI_ACTOR = "system:cli"


def data_option(command: F) -> F:
    """Add the --data and --database-url options every command takes."""
    command = click.option(
        "--database-url",
        "database_url",
        envvar="MENTORLOG_DATABASE_URL",
        default=None,
        help="postgresql://... to use PostgreSQL instead of the embedded SQLite "
        "(env MENTORLOG_DATABASE_URL; ?schema=name picks a schema).",
    )(command)
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=str),
        envvar="MENTORLOG_DATA",
        default=None,
        help="Data directory (default ./mentorlog-data, env MENTORLOG_DATA).",
    )(command)


def settings_for(data_dir: str | None, database_url: str | None) -> Settings:
    """Settings from the command's options and the environment."""
    try:
        return Settings.from_env(data_dir, database_url=database_url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def opened(
    data_dir: str | None,
    database_url: str | None,
    create: bool = True,
) -> Iterator[Services]:
    """Open services for the data dir, turning known failures into clean exits."""
    try:
        services = open_services(settings_for(data_dir, database_url), create=create)
    except (DataDirError, PluginError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield services
    except MentorlogError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    except ProjectionsBusy as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        services.close()


def clean_errors(command: F) -> F:
    """Report domain, plugin and data-dir errors as messages, not tracebacks."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (DataDirError, PluginError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="mentorlog")
def main() -> None:
    """mentorlog: mentoring programs as verifiable, append-only event histories."""


@main.command()
@data_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--no-projections",
    "no_projections",
    is_flag=True,
    help="Serve the API only; 'mentorlog worker' runs the projections "
    "(mutations wait for its positions).",
)
@clean_errors
def serve(
    data_dir: str | None,
    database_url: str | None,
    host: str,
    port: int,
    no_projections: bool,
) -> None:
    """Serve the GraphQL API at /graphql."""
    import uvicorn

    from mentorlog.app import create_app
    from mentorlog.logs import log_config

    settings = settings_for(data_dir, database_url)
    services = open_services(settings)
    console.print(
        f"mentorlog serving {settings.store_name} at http://{host}:{port}/graphql"
        + (" (projections run by 'mentorlog worker')" if no_projections else "")
    )
    uvicorn.run(
        create_app(settings, services, run_projections=not no_projections),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="info",
        log_config=log_config(settings.log_format),
    )


WORKER_HELP = """Run the projections in this process until SIGINT or SIGTERM.

Pair it with 'mentorlog serve --no-projections'. On PostgreSQL, start as many
workers as you like: one applies events (it holds an advisory lock), the others
wait and take over when it stops or dies. On SQLite one worker at a time is
enough: a second one on the same data directory refuses to start.
"""
STATUS_EVERY = 5.0  # seconds between the worker's progress lines


@main.command(help=WORKER_HELP)
@data_option
def worker(data_dir: str | None, database_url: str | None) -> None:
    """Follow the event log and apply it to the read models until stopped."""
    from mentorlog.logs import configure_logging

    configure_logging(settings_for(data_dir, database_url).log_format, "WARNING")
    stop = threading.Event()
    handlers = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with opened(data_dir, database_url) as services, ExitStack() as stack:
            if services.settings.postgres is None:
                stack.enter_context(_sole_worker(services.settings.data_dir))
            _follow(services, stop)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


@contextmanager
def _sole_worker(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's worker lock (a file lock), or refuse to start."""
    with open(data_dir / "worker.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise click.ClickException(
                f"another worker runs the projections of {data_dir}; on SQLite one "
                "worker at a time is enough"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _follow(services: Services, stop: threading.Event) -> None:
    """Run the runner's follower, reporting leadership and progress, until stop."""
    runner = services.runner
    name = services.settings.store_name
    runner.start()
    console.print(f"worker following {name} (stop with Ctrl-C or SIGTERM)")
    leading: bool | None = None
    reported, said_at = -1, 0.0
    try:
        while not stop.wait(0.2):
            if runner.failure is not None:
                raise click.ClickException(f"projections stopped: {runner.failure}")
            if runner.leading != leading:
                leading = runner.leading
                console.print(
                    "applying events to the read models"
                    if leading
                    else "another worker applies events; waiting to take over"
                )
            position, now = runner.position, time.monotonic()
            if leading and position != reported and now - said_at >= STATUS_EVERY:
                console.print(f"read models at event #{position}")
                reported, said_at = position, now
    finally:
        runner.stop()
    console.print(f"worker stopped; read models at event #{runner.position}")


@main.command()
@data_option
def demo(data_dir: str | None, database_url: str | None) -> None:
    """Load a realistic demo program into the data directory."""
    from mentorlog.demo import demo_tokens, load_demo

    with opened(data_dir, database_url) as services:
        existing = services.app.recorder.max_notification_id() or 0
        if existing:
            console.print(
                f"{services.settings.store_name} already holds {existing} events; "
                "the demo is not loaded twice."
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
            f"Demo loaded into {services.settings.store_name}: {head} events, "
            f"program {ids['program']}."
        )
        for role, secret in tokens.items():
            console.print(f"  {role:<12} token: {secret}", highlight=False)
        console.print(f"Tokens saved to {path}.")


@main.command()
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
        console.print(f"Copying {source.store_name} into {target.store_name}")
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
        f"({copied.destroyed} destroyed) into {target.store_name}; read models "
        "rebuilt."
    )
    click.echo(f"store digest: {copied.digest}")


@main.command()
@data_option
def plugins(data_dir: str | None, database_url: str | None) -> None:
    """List loaded plugins, the formats and the goal frameworks they add."""
    try:
        from mentorlog.plugins.manager import load_catalog

        settings = settings_for(data_dir, database_url)
        catalog = load_catalog(settings.disabled_plugins, settings.skip_failing_plugins)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None
    table = Table(title="Plugins")
    for column in ("plugin", "distribution", "version", "hooks"):
        table.add_column(column)
    for info in catalog.plugins:
        table.add_row(info.name, info.distribution, info.version, ", ".join(info.hooks))
    console.print(table)
    formats = Table(title="Formats")
    formats.add_column("name")
    formats.add_column("roles")
    for fmt in catalog.formats.values():
        roles = ", ".join(
            f"{r.name} {r.min}-{r.max if r.max is not None else 'n'}" for r in fmt.roles
        )
        formats.add_row(fmt.name, roles)
    console.print(formats)
    frameworks = Table(title="Goal frameworks")
    frameworks.add_column("name")
    frameworks.add_column("fields")
    for fw in catalog.frameworks.values():
        frameworks.add_row(fw.name, ", ".join(f.name for f in fw.fields))
    console.print(frameworks)
    for message in catalog.skipped:
        console.print(f"[yellow]skipped:[/] {message}")


@main.group()
def projections() -> None:
    """Rebuild the read models or show how far behind they are."""


@projections.command()
@data_option
def rebuild(data_dir: str | None, database_url: str | None) -> None:
    """Drop every read model and replay the whole event log."""
    with opened(data_dir, database_url, create=False) as services:
        head = services.runner.head()
        with Progress(
            TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), console=console
        ) as bar:
            task = bar.add_task("replay", total=max(head, 1))
            read = services.runner.rebuild(
                progress=lambda done, total: bar.update(
                    task, completed=done, total=total
                )
            )
            bar.update(task, completed=max(head, 1))
        console.print(
            f"Rebuilt {len(services.runner.projections)} projections "
            f"from {read} events."
        )


@projections.command()
@data_option
def status(data_dir: str | None, database_url: str | None) -> None:
    """Show each projection's position and lag behind the event log."""
    with opened(data_dir, database_url, create=False) as services:
        table = Table(title="Projections")
        for column in ("projection", "position", "head", "behind"):
            table.add_column(
                column, justify="right" if column != "projection" else "left"
            )
        for lag in services.runner.status():
            table.add_row(lag.name, str(lag.position), str(lag.head), str(lag.behind))
        console.print(table)


@main.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from mentorlog.schema import sdl

    sys.stdout.write(sdl())


@main.command()
@data_option
@click.argument("stream_id", required=False)
@click.option("--all", "all_streams", is_flag=True, help="Verify every stream.")
def verify(
    data_dir: str | None,
    database_url: str | None,
    stream_id: str | None,
    all_streams: bool,
) -> None:
    """Verify the hash chain of one stream, or of all; print digests to keep."""
    from mentorlog.core.chain import ChainedRecorder, store_digest
    from mentorlog.core.chain import verify as verify_chain

    if bool(stream_id) == all_streams:
        raise click.UsageError("give a stream ID or --all (not both)")
    with opened(data_dir, database_url, create=False) as services:
        recorder = services.app.recorder
        assert isinstance(recorder, ChainedRecorder)
        if stream_id is not None:
            try:
                key = UUID(stream_id).hex
            except ValueError:
                raise click.BadParameter(f"'{stream_id}' is not an ID") from None
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
            click.echo(f"{UUID(v.stream_id)}  {v.events:>6} events  {v.digest}")
        click.echo(f"store digest: {store_digest(verdicts)}")


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


@main.command()
@data_option
@click.argument("stream_id")
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
    """Print a stream's events as stored: a timeline, or JSON Lines."""
    from mentorlog.core.history import history

    moment = _moment(as_of)
    with opened(data_dir, database_url, create=False) as services:
        entries = history(services.app, stream_id, moment)
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry.as_json(), sort_keys=True))
        return
    console.print(f"[bold]Stream {stream_id}[/]: {len(entries)} events")
    for e in entries:
        when = e.occurred_at.isoformat(timespec="seconds")
        console.print(
            f"[bold]#{e.sequence}[/] {when} [cyan]{e.type}[/] by {e.actor}",
            highlight=False,
        )
        for key, value in e.payload.items():
            console.print(f"    {key}: {json.dumps(value)}", highlight=False)
        console.print(f"    [dim]hash {e.hash}[/]", highlight=False)


@main.group()
def token() -> None:
    """Issue and revoke bearer tokens."""


@token.command("create")
@data_option
@click.option("--person", "person_id", required=True, help="The person's ID.")
@click.option(
    "--role", required=True, type=click.Choice(["participant", "admin", "auditor"])
)
@click.option("--program", "program_id", help="The program (required for admin).")
def token_create(
    data_dir: str | None,
    database_url: str | None,
    person_id: str,
    role: str,
    program_id: str | None,
) -> None:
    """Print a new token once; only its hash is stored."""
    with opened(data_dir, database_url, create=False) as services:
        secret, recorded = services.app.issue_token(
            actor=CLI_ACTOR, person_id=person_id, role=role, program_id=program_id
        )
    click.echo(secret)
    click.echo(
        f"credential {recorded.id} (keep the token: it is not shown again)", err=True
    )


@token.command("revoke")
@data_option
@click.argument("credential_id")
@click.option("--reason", default="", help="Why the token is revoked.")
def token_revoke(
    data_dir: str | None, database_url: str | None, credential_id: str, reason: str
) -> None:
    """Revoke a token by its credential ID."""
    with opened(data_dir, database_url, create=False) as services:
        services.app.revoke_token(credential_id, actor=CLI_ACTOR, reason=reason)
    click.echo(f"revoked {credential_id}")


@main.command("erase-person")
@data_option
@click.argument("person_id")
@click.option("--reason", default="", help="Why the data is erased (recorded).")
def erase_person(
    data_dir: str | None, database_url: str | None, person_id: str, reason: str
) -> None:
    """Erase a person's personal data by destroying their key; history stays."""
    with opened(data_dir, database_url, create=False) as services:
        services.app.erase_person(person_id, actor=CLI_ACTOR, reason=reason)
        services.runner.catch_up()
    click.echo(f"erased {person_id}: their key is destroyed")
