"""The read database on SQLite that the queries read through, as `ReadDatabase`."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from mentorlog.projections.queries import Row, decode_row

# SQLite virtual-machine instructions, and seconds, a read may take on the event loop
# before it is interrupted and run on a thread instead; how often both are checked.
# The time bound catches what instructions do not count: a read waiting on the disk.
INLINE_BUDGET = 20_000
INLINE_SECONDS = 0.002
PROGRESS_STEP = 500


class ReadDatabase:
    """Read-only connections to the read-model database: one on the event loop, a pool.

    A hop to an aiosqlite connection's thread and back costs more than most of the
    API's reads (80-200 µs against 15 µs for a keyset page of 50 on a 2-core
    machine), so each read first runs on the event loop's own connection under a
    budget of SQLite instructions and time; a read that outruns it is interrupted and
    run again on the pool's threads, so the loop is held no longer than the budget.
    """

    def __init__(
        self,
        path: Path,
        size: int = 2,
        budget: int = INLINE_BUDGET,
        seconds: float = INLINE_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.size = max(1, size)
        self.budget = budget
        self._connections: list[aiosqlite.Connection] = []
        self._next = itertools.count()
        self._inline: sqlite3.Connection | None = None
        self._spent = _Budget(budget // PROGRESS_STEP, seconds)
        self._owner = 0
        self.reads: Counter[str] = Counter()  # where each read ran: loop or thread

    async def open(self) -> ReadDatabase:
        """Open the connections (read-only; the runner is the only writer)."""
        for _ in range(self.size):
            connection = await aiosqlite.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False
            )
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA query_only = ON")
            self._connections.append(connection)
        if self.budget > 0:
            # timeout=0: a busy database (only while a crashed writer's WAL is
            # recovered) fails at once here and waits on the pool instead.
            inline = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=0)
            inline.row_factory = sqlite3.Row
            inline.execute("PRAGMA query_only = ON")
            inline.set_progress_handler(self._spent, PROGRESS_STEP)
            self._inline, self._owner = inline, threading.get_ident()
        return self

    async def close(self) -> None:
        """Close every connection."""
        connections, self._connections = self._connections, []
        for connection in connections:
            await connection.close()
        if self._inline is not None:
            self._inline.close()
            self._inline = None

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one SELECT and return its rows as dicts, JSON columns decoded."""
        if not self._connections:
            raise RuntimeError("the read database is not open")
        args = tuple(params)
        rows = self._fetch_inline(sql, args)
        if rows is None:
            connection = self._connections[next(self._next) % len(self._connections)]
            rows = await connection.execute_fetchall(sql, args)
            self.reads["thread"] += 1
        else:
            self.reads["loop"] += 1
        return [decode_row(dict(row)) for row in rows]

    def _fetch_inline(self, sql: str, params: tuple[Any, ...]) -> Iterable[Any] | None:
        """The rows read on the loop's connection, or None when it outran the budget."""
        inline = self._inline
        if inline is None or threading.get_ident() != self._owner:
            return None
        self._spent.start()
        cursor = inline.cursor()
        try:
            return cursor.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return None  # interrupted or busy; an SQL error is raised by the pool
        finally:
            cursor.close()  # an interrupted statement must not keep its snapshot


class _Budget:
    """A progress handler: past `limit` calls or `seconds`, SQLite interrupts."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.used = 0
        self.deadline = 0.0

    def start(self) -> None:
        """Begin a statement's count and clock."""
        self.used = 0
        self.deadline = time.perf_counter() + self.seconds

    def __call__(self) -> bool:
        """Count one call; True asks SQLite to interrupt."""
        self.used += 1
        return self.used > self.limit or time.perf_counter() > self.deadline
