"""Backend-agnostic reads for tests: the read models on SQLite or PostgreSQL."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from mentorlog.projections.postgres import to_pyformat
from psycopg import sql
from psycopg.rows import dict_row

from mentorlog.services import Services

Dump = dict[str, list[tuple[Any, ...]]]


def read_rows(services: Services, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query (with ? placeholders) on the services' read models."""
    postgres = services.settings.postgres
    if postgres is None:
        with sqlite3.connect(services.settings.views_db) as con:
            return [tuple(row) for row in con.execute(query, params)]
    with psycopg.connect(**postgres.connection_kwargs(), autocommit=True) as con:
        con.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres.schema))
        )
        return [tuple(row) for row in con.execute(to_pyformat(query), params)]  # type: ignore[arg-type]


def dump_read_models(services: Services) -> Dump:
    """Every read-model table and the tracking positions, rows sorted."""
    tables = [t for p in services.runner.projections for t in p.tables]
    return {
        table: sorted(read_rows(services, f"SELECT * FROM {table}"), key=repr)
        for table in [*tables, "tracking"]
    }


def stored_bytes(services: Services) -> bytes:
    """What the event store holds on disk or in its tables, to search for clear text.

    On SQLite: the files' bytes (with the write-ahead log) and every event's state;
    on PostgreSQL: every stored event's and snapshot's topic and state.
    """
    postgres = services.settings.postgres
    if postgres is None:
        raw = b""
        for name in ("events.db", "events.db-wal"):
            path = services.settings.data_dir / name
            raw += path.read_bytes() if path.exists() else b""
        with sqlite3.connect(services.settings.events_db) as con:
            return raw + b"".join(
                bytes(row[0]) for row in con.execute("SELECT state FROM stored_events")
            )
    recorder: Any = services.app.recorder
    snapshots: Any = services.app.snapshots
    with psycopg.connect(**postgres.connection_kwargs(), autocommit=True) as con:
        return b"".join(
            row[0].encode() + bytes(row[1])
            for table in (
                recorder.events_table_name,
                snapshots.recorder.events_table_name,
            )
            for row in con.execute(
                sql.SQL("SELECT topic, state FROM {}").format(
                    sql.Identifier(postgres.schema, table)
                )
            )
        )


def cli_args(services: Services) -> list[str]:
    """The options that point a CLI command at the services' store."""
    settings = services.settings
    args = ["--data", str(settings.data_dir)]
    if settings.database_url:
        args += ["--database-url", settings.database_url]
    return args


def read_dicts(services: Services, query: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of a read-model query (? placeholders) as dicts, on either backend."""
    postgres = services.settings.postgres
    if postgres is None:
        with sqlite3.connect(services.settings.views_db) as con:
            con.row_factory = sqlite3.Row
            return [dict(row) for row in con.execute(query, params)]
    with psycopg.connect(
        **postgres.connection_kwargs(), autocommit=True, row_factory=dict_row
    ) as con:
        con.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres.schema))
        )
        return list(con.execute(to_pyformat(query), params))  # type: ignore[arg-type]
