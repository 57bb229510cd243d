"""What the commands share: store options, opened services, IDs, literal text."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

import click
from rich.console import Console
from rich.markup import escape

from mentorlog.core.errors import MentorlogError
from mentorlog.plugins.manager import PluginError
from mentorlog.projections.runner import ProjectionsBusy
from mentorlog.services import DataDirError, Services, open_services
from mentorlog.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
# No emoji codes (":smile:") are replaced: stored text prints as it was written.
console = Console(soft_wrap=True, emoji=False)
CLI_ACTOR = "system:cli"
STREAM_KINDS = ("Mentorship", "Program", "Person")


def literal(value: object) -> str:
    """Text from users or the store, escaped so rich markup prints it as written."""
    return escape(str(value))


def one_line(value: object, width: int = 80) -> str:
    """Stored text on one line of at most width characters, control codes replaced."""
    text = " ".join(str(value).split())
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"


class NodeID(click.ParamType):
    """An ID as the CLI prints it (a UUID) or as the API gives it (a global ID)."""

    name = "ID"

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        """The UUID the value names, checking a global ID's type."""
        text = str(value).strip()
        try:
            return str(UUID(text))
        except ValueError:
            pass
        from mentorlog.schema.ids import parse_global_id

        parsed = parse_global_id(text)
        if parsed is None or parsed[0] not in self.kinds:
            wanted = " or ".join(self.kinds)
            found = f"a {parsed[0]} ID" if parsed else "neither a UUID nor a global ID"
            self.fail(f"'{text[:100]}' is {found}, not a {wanted} ID", param, ctx)
        return parsed[1]


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
        # A domain message may quote stored text (a name, a title): one line, safe.
        message = one_line(f"{exc.code}: {exc.message}", width=2000)
        raise click.ClickException(message) from None
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
