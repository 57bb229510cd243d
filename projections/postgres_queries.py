"""The read database on PostgreSQL that the queries read through, as `ReadDatabase`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, LiteralString, cast

import psycopg
from mentorlog.projections.postgres import to_pyformat
from mentorlog.projections.queries import Row, decode_row
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg.sql import SQL, Identifier
from psycopg_pool import AsyncConnectionPool, PoolTimeout

OPEN_TIMEOUT = 10.0  # seconds to open the pool's connections
READ_ATTEMPTS = 4  # a read whose connection dropped runs again on a fresh one


def _plain(value: Any) -> Any:
    """A NUMERIC result as SQLite would give it: an int if whole, else a float."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
        return float(value)
    return value


# The query functions in `queries.py` take either database: SQL is written with `?`
# placeholders and portable SQL, rows come back as dicts with JSON columns decoded.
class PostgresReadDatabase:
    """A small pool of read-only psycopg async connections to the read models."""

    def __init__(
        self, conninfo: str | Mapping[str, Any], schema: str = "public", size: int = 2
    ) -> None:
        self.conninfo = conninfo if isinstance(conninfo, str) else ""
        self.kwargs = {} if isinstance(conninfo, str) else dict(conninfo)
        self.schema = schema
        self.size = max(1, size)
        self._pool: AsyncConnectionPool[AsyncConnection[DictRow]] | None = None

    async def _configure(self, connection: AsyncConnection[DictRow]) -> None:
        await connection.execute(
            SQL("SET search_path TO {}").format(Identifier(self.schema))
        )
        await connection.execute("SET default_transaction_read_only = on")

    async def open(self) -> PostgresReadDatabase:
        """Open the pool's connections (read-only; the runner is the only writer)."""
        pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
            self.conninfo,
            connection_class=AsyncConnection[DictRow],
            kwargs={**self.kwargs, "autocommit": True, "row_factory": dict_row},
            min_size=self.size,
            max_size=self.size,
            configure=self._configure,
            open=False,
            timeout=OPEN_TIMEOUT,
        )
        await pool.open(wait=True, timeout=OPEN_TIMEOUT)
        self._pool = pool
        return self

    async def close(self) -> None:
        """Close every connection of the pool."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one SELECT and return its rows as dicts, JSON columns decoded."""
        if self._pool is None:
            raise RuntimeError("the read database is not open")
        query = cast(LiteralString, to_pyformat(sql))
        for attempt in range(READ_ATTEMPTS):
            try:
                async with self._pool.connection() as connection:
                    cursor = await connection.execute(query, tuple(params))
                    rows = await cursor.fetchall()
                break
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                # A pool timeout waited long already: the database is away.
                if attempt + 1 == READ_ATTEMPTS or isinstance(error, PoolTimeout):
                    raise
                # The idle connections most likely dropped with this one.
                await self._pool.drain()
                await asyncio.sleep(0.05 * 2**attempt)
        return [decode_row({k: _plain(v) for k, v in row.items()}) for row in rows]
