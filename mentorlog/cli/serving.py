"""`mentorlog serve` and `mentorlog worker`: the API and the projections' process."""

from __future__ import annotations

import errno
import fcntl
import gc
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

from mentorlog.cli.common import (
    clean_errors,
    console,
    data_option,
    literal,
    opened,
    settings_for,
)
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind host:port before anything says it serves, or explain why it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        hint = (
            "another process listens there; choose another port with --port"
            if exc.errno == errno.EADDRINUSE
            else "check --host and --port"
        )
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; {hint}"
        ) from None
    sock.set_inheritable(True)
    return sock


def server_config(app: Any, settings: Settings, host: str, port: int) -> Any:
    """uvicorn's settings for serving an app (the benchmarks serve theirs alike)."""
    import uvicorn

    from mentorlog.logs import log_config

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="info",
        log_config=log_config(settings.log_format),
        access_log=settings.access_log,
        # A subscription's messages are small JSON; compressing each one again for
        # every socket it goes to costs more than the bytes it saves.
        ws_per_message_deflate=False,
    )


@click.command()
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
    """Serve the GraphQL API at /graphql and the pages (start with 'init' or 'demo')."""
    import uvicorn

    from mentorlog.app import create_app
    from mentorlog.web.addresses import addresses

    settings = settings_for(data_dir, database_url)
    services = open_services(settings, create=False)
    try:
        sock = listening_socket(host, port)
    except click.ClickException:
        services.close()
        raise
    console.print(
        f"mentorlog serving {literal(settings.store_name)} at "
        f"http://{literal(host)}:{port}/graphql"
        + (" (projections run by 'mentorlog worker')" if no_projections else ""),
        highlight=False,
    )
    shown = f"[{host}]" if ":" in host else host
    for name, address in addresses(services, f"http://{shown}:{port}"):
        console.print(f"  {name:<10} {literal(address)}", highlight=False)
    config = server_config(
        create_app(settings, services, run_projections=not no_projections),
        settings,
        host,
        port,
    )
    # What start-up made lives as long as the server: keep it out of the
    # collector's full passes, which otherwise stall requests for tens of ms.
    gc.collect()
    gc.freeze()
    with sock:
        uvicorn.Server(config).run(sockets=[sock])


WORKER_HELP = """Run the projections in this process until SIGINT or SIGTERM.

Pair it with 'mentorlog serve --no-projections'. On PostgreSQL, start as many
workers as you like: one applies events (it holds an advisory lock), the others
wait and take over when it stops or dies. On SQLite one worker at a time is
enough: a second one on the same data directory refuses to start.
"""
STATUS_EVERY = 5.0  # seconds between the worker's progress lines


@click.command(help=WORKER_HELP)
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
        with (
            opened(data_dir, database_url, create=False) as services,
            ExitStack() as stack,
        ):
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
    name = literal(services.settings.store_name)
    runner.start()
    services.checkpoints.start()  # signs every N events or T seconds
    services.webhooks.start()  # sends the deliveries the outbox holds
    services.nudges.start()  # sends the nudges programs' rules make due
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
        services.nudges.stop()
        services.webhooks.stop()
        services.checkpoints.stop()
        runner.stop()
    console.print(f"worker stopped; read models at event #{runner.position}")
