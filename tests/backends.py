"""Backend-agnostic reads for tests: the read models on SQLite or PostgreSQL."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from mentorlog.projections.pg_store import to_pyformat
from psycopg import sql

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
