"""The SQLite read database: reads on the event loop under a budget, else a thread."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mentorlog.projections import queries
from mentorlog.projections.sqlite_queries import PROGRESS_STEP, ReadDatabase

from mentorlog.app import create_app
from mentorlog.demo import demo_tokens, load_demo
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.test_api_support import bearer

# Far more SQLite instructions than PROGRESS_STEP, on any database.
LONG = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
    "SELECT count(*) AS n, sum(i) AS total FROM n"
)


@dataclass(frozen=True)
class Demo:
    """A SQLite store holding the demo, and the demo's IDs."""

    services: Services
    ids: dict[str, str]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """The demo recorded, its projections caught up."""
    services = open_services(Settings(data_dir=tmp_path / "data"))
    ids = load_demo(services.app)
    services.runner.catch_up()
    try:
        yield Demo(services, ids)
    finally:
        services.close()


@pytest.fixture
async def databases(demo: Demo) -> AsyncIterator[dict[str, ReadDatabase]]:
    """The demo's read model opened three ways: default, no loop reads, tiny budget.

    No time bound here (an hour), so where a read runs does not hang on how busy
    the machine is; the time bound has its own test.
    """
    path = demo.services.settings.views_db
    hour = 3600.0
    opened = {
        "default": await ReadDatabase(path, seconds=hour).open(),
        "thread only": await ReadDatabase(path, budget=0).open(),
        "tiny budget": await ReadDatabase(
            path, budget=PROGRESS_STEP, seconds=hour
        ).open(),
    }
    try:
        yield opened
    finally:
        for db in opened.values():
            await db.close()


async def test_loop_and_thread_reads_give_the_same_rows(
    databases: dict[str, ReadDatabase],
) -> None:
    """Every query function answers alike wherever its read ran."""

    async def everything(db: ReadDatabase) -> list[object]:
        ids = [r["id"] for r in await db.fetch("SELECT id FROM mentorships")]
        people = [r["id"] for r in await db.fetch("SELECT id FROM people")]
        return [
            ids,
            await queries.mentorships_by_id(db, ids),
            await queries.rows_by_mentorship(db, "goals", ids),
            await queries.mentorships_of_people(db, people),
            (await queries.page_mentorships(db, queries.PageRequest(first=3))).rows,
            (await queries.page_people(db, queries.PageRequest(last=2))).rows,
            await db.fetch(LONG),
        ]

    answers = {name: await everything(db) for name, db in databases.items()}
    assert answers["default"] == answers["thread only"] == answers["tiny budget"]
    assert answers["default"][0], "the demo has mentorships"
    assert answers["default"][-1] == [{"n": 20000, "total": 20000 * 20001 // 2}]
    # The default budget keeps the API's reads on the loop and sends the long one
    # (20 000 rows walked) to a thread; with no budget every read goes to one.
    reads = sum(databases["thread only"].reads.values())
    assert databases["thread only"].reads == {"thread": reads}
    assert databases["default"].reads == {"loop": reads - 1, "thread": 1}
    assert databases["tiny budget"].reads["thread"] >= 1


async def test_a_read_past_the_budget_runs_on_a_thread(
    databases: dict[str, ReadDatabase],
) -> None:
    tiny = databases["tiny budget"]
    assert await tiny.fetch("SELECT 1 AS one") == [{"one": 1}]
    assert tiny.reads == {"loop": 1}
    assert (await tiny.fetch(LONG))[0]["n"] == 20000
    assert tiny.reads == {"loop": 1, "thread": 1}


async def test_a_read_past_the_time_bound_runs_on_a_thread(demo: Demo) -> None:
    """However few its instructions, a read past its time goes to a thread."""
    hasty = await ReadDatabase(demo.services.settings.views_db, seconds=0.0).open()
    try:
        assert await hasty.fetch("SELECT 1 AS one") == [{"one": 1}]  # never checked
        assert (await hasty.fetch(LONG))[0]["n"] == 20000
    finally:
        await hasty.close()
    assert hasty.reads == {"loop": 1, "thread": 1}


async def test_an_interrupted_read_keeps_no_snapshot(
    demo: Demo, databases: dict[str, ReadDatabase]
) -> None:
    """After a read is cut short, the writer can still empty the WAL."""
    tiny = databases["tiny budget"]
    await tiny.fetch(LONG)
    assert tiny.reads["thread"] == 1
    writer = sqlite3.connect(demo.services.settings.views_db)
    try:
        writer.execute("UPDATE people SET seq = seq WHERE 1 = 0")
        writer.commit()
        busy, _, _ = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        writer.close()
    assert busy == 0, "a reader still holds a snapshot of the WAL"


async def test_an_sql_error_is_raised_as_it_was(
    databases: dict[str, ReadDatabase],
) -> None:
    """A bad statement fails the same way on the loop's connection and the pool's."""
    for db in databases.values():
        with pytest.raises(sqlite3.OperationalError, match="no such table: nowhere"):
            await db.fetch("SELECT * FROM nowhere")


async def test_a_read_from_another_thread_uses_the_pool(
    databases: dict[str, ReadDatabase],
) -> None:
    """Only the thread that opened it reads on the loop's connection."""
    db = databases["default"]
    rows: list[object] = []

    def elsewhere() -> None:
        loop = asyncio.new_event_loop()
        try:
            rows.extend(loop.run_until_complete(db.fetch("SELECT 2 AS two")))
        finally:
            loop.close()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    await asyncio.to_thread(thread.join)
    assert rows == [{"two": 2}]
    assert db.reads == {"thread": 1}


async def test_metrics_say_where_reads_ran(demo: Demo) -> None:
    """/metrics counts the API's reads on the loop and on threads."""
    services = demo.services
    app = create_app(services.settings, services, run_projections=False)
    token = demo_tokens(services.app, demo.ids)["admin"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://mentorlog.test"
        ) as client:
            before = counted_reads((await client.get("/metrics")).text)
            answer = await client.post(
                "/graphql",
                json={"query": "{ mentorships(first: 50) { edges { node { id } } } }"},
                headers=bearer(token),
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["data"]["mentorships"]["edges"]
            after = counted_reads((await client.get("/metrics")).text)
    assert after > before


def counted_reads(metrics: str) -> float:
    """The read-queries counters, loop and thread, summed from a /metrics text."""
    found = re.findall(
        r'^mentorlog_read_queries_total\{on="(?:loop|thread)"\} (\S+)$', metrics, re.M
    )
    assert len(found) == 2, metrics
    return sum(float(n) for n in found)
