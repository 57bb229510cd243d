"""What is installed and derived: `plugins`, `projections rebuild|status`, `schema`."""

from __future__ import annotations

import sys

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from mentorlog.cli.common import console, data_option, opened, settings_for
from mentorlog.plugins.manager import PluginError


@click.command()
@data_option
def plugins(data_dir: str | None, database_url: str | None) -> None:
    """List loaded plugins, the formats and the goal frameworks they add."""
    try:
        from mentorlog.plugins.manager import load_catalog

        settings = settings_for(data_dir, database_url)
        catalog = load_catalog(settings.disabled_plugins, settings.skip_failing_plugins)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None
    # Plugins name themselves: their text goes in as Text, never as markup.
    table = Table(title="Plugins")
    for column in ("plugin", "distribution", "version", "hooks"):
        table.add_column(column)
    for info in catalog.plugins:
        table.add_row(
            *map(Text, (info.name, info.distribution, info.version)),
            Text(", ".join(info.hooks)),
        )
    console.print(table)
    formats = Table(title="Formats")
    formats.add_column("name")
    formats.add_column("roles")
    for fmt in catalog.formats.values():
        roles = ", ".join(
            f"{r.name} {r.min}-{r.max if r.max is not None else 'n'}" for r in fmt.roles
        )
        formats.add_row(Text(fmt.name), Text(roles))
    console.print(formats)
    frameworks = Table(title="Goal frameworks")
    frameworks.add_column("name")
    frameworks.add_column("fields")
    for fw in catalog.frameworks.values():
        frameworks.add_row(Text(fw.name), Text(", ".join(f.name for f in fw.fields)))
    console.print(frameworks)
    for message in catalog.skipped:
        console.print(Text.assemble(("skipped:", "yellow"), f" {message}"))


@click.group()
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


@click.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from mentorlog.schema import sdl

    sys.stdout.write(sdl())
