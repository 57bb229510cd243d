"""Commands through Mentoring on PostgreSQL, against raw psycopg inserts; and writers.

The service run records N one-on-one mentorships with bench_commands.py's commands
(propose, start, agree, sign twice, then rounds of set_goal, schedule_meeting and
record_review) in a fresh schema. The baseline then writes exactly the rows the
service stored (events and hash-chain links, byte for byte), one transaction per
command, with a plain psycopg connection at the `synchronous_commit` level the
service's connections use, into a schema with the same tables.

Then 1, 2 and 4 writer processes record the same commands at once, each on
mentorships of its own, in one schema: events per second over the whole run.

Needs a PostgreSQL server: MENTORLOG_BENCH_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test); each run uses schemas of its own and
drops them afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import psycopg
from _report import Figure, Verdict, best, finish, parser, report, timed
from bench_commands import Cast, cast, commands
from mentorlog.core.chain import LINKS_TABLE
from psycopg import sql

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

TARGET = 0.35
DSN = os.environ.get(
    "MENTORLOG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
Row = tuple[Any, ...]


@contextmanager
def schema() -> Iterator[Settings]:
    """Settings on a fresh schema of this run's own, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield Settings(
            data_dir=Path("/nonexistent-bench-data"),
            database_url=f"{DSN}?schema={name}",
        )
    finally:
        with psycopg.connect(DSN, autocommit=True) as con:
            con.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
            )


def events_table(services: Services) -> sql.Identifier:
    """The services' events table, qualified by its schema."""
    recorder: Any = services.app.recorder
    return sql.Identifier(recorder.datastore.schema, recorder.events_table_name)


def links_table(services: Services) -> sql.Identifier:
    """The services' chain-links table, qualified by its schema."""
    recorder: Any = services.app.recorder
    return sql.Identifier(recorder.datastore.schema, LINKS_TABLE)


def connect(services: Services) -> psycopg.Connection[Any]:
    """A plain psycopg session on the services' database."""
    postgres = services.settings.postgres
    assert postgres is not None
    return psycopg.connect(**postgres.connection_kwargs())


def synchronous_commit(services: Services) -> str:
    """The synchronous_commit level the service's event store sessions run with."""
    recorder: Any = services.app.recorder
    with recorder.datastore.get_connection() as connection:
        row = connection.execute("SHOW synchronous_commit").fetchone()
    return str(row["synchronous_commit"])


@dataclass
class Recording:
    """What one service run stored, grouped by command, and how long it took."""

    figure: Figure
    batches: list[tuple[list[Row], list[Row]]]
    synchronous_commit: str


def stored_batches(
    services: Services, before: int, positions: Sequence[int]
) -> list[tuple[list[Row], list[Row]]]:
    """The event and link rows each command stored, in command order."""
    with connect(services) as con:
        events = con.execute(
            sql.SQL(
                "SELECT notification_id, originator_id, originator_version, topic, "
                "state FROM {} WHERE notification_id > %s ORDER BY notification_id"
            ).format(events_table(services)),
            (before,),
        ).fetchall()
        select_links = sql.SQL(
            "SELECT originator_id, originator_version, hash FROM {}"
        ).format(links_table(services))
        links = {(r[0], r[1]): tuple(r) for r in con.execute(select_links)}
    batches = []
    i = 0
    for position in positions:
        rows: list[Row] = []
        while i < len(events) and events[i][0] <= position:
            rows.append(tuple(events[i][1:]))
            i += 1
        batches.append((rows, [links[(r[0].hex, r[1])] for r in rows]))
    return batches


def run_service(n: int, rounds: int, label: str) -> Recording:
    """Record the commands through Mentoring in a fresh schema."""
    with schema() as settings:
        services = open_services(settings)
        try:
            people = cast(services.app, n)
            before = services.runner.head()
            seconds, positions = timed(lambda: commands(services.app, people, rounds))
            after = services.runner.head()
            batches = stored_batches(services, before, positions)
            level = synchronous_commit(services)
        finally:
            services.close()
    return Recording(Figure(label, after - before, seconds), batches, level)


def run_baseline(recording: Recording, label: str) -> Figure:
    """Insert the same rows with plain psycopg, one transaction per command."""
    with schema() as settings:
        services = open_services(settings)  # the same tables, then closed
        events, links = events_table(services), links_table(services)
        services.close()
        insert_event = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        ).format(events)
        insert_link = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, hash) "
            "VALUES (%s, %s, %s)"
        ).format(links)
        with connect(services) as con:
            con.execute(f"SET synchronous_commit = {recording.synchronous_commit}")
            con.commit()

            def write() -> int:
                count = 0
                with con.cursor() as cursor:
                    for event_rows, link_rows in recording.batches:
                        with con.transaction():
                            cursor.executemany(insert_event, event_rows)
                            cursor.executemany(insert_link, link_rows)
                        count += len(event_rows)
                return count

            seconds, count = timed(write)
    return Figure(label, count, seconds)


def writer(
    url: str,
    n: int,
    rounds: int,
    ready: Barrier,
    go: Barrier,
    results: Queue[tuple[float, float]],
) -> None:
    """Record n mentorships' commands in this process; put (start, end) times."""
    services = open_services(Settings(data_dir=Path("/nonexistent"), database_url=url))
    try:
        people = cast(services.app, n + 1)  # not timed
        # One mentorship first, not timed: connections and statements warm up.
        commands(services.app, Cast(people.program, people.pairs[:1]), rounds)
        people.pairs = people.pairs[1:]
        ready.wait(timeout=300)
        go.wait(timeout=300)
        began = time.perf_counter()
        commands(services.app, people, rounds)
        ended = time.perf_counter()
    finally:
        services.close()
    results.put((began, ended))


def run_writers(processes: int, n: int, rounds: int) -> Figure:
    """Record with several writer processes at once; events per second overall."""
    with schema() as settings:
        assert settings.database_url is not None
        open_services(settings).close()  # tables first, so writers do not race DDL
        context = multiprocessing.get_context("spawn")
        ready, go = context.Barrier(processes + 1), context.Barrier(processes + 1)
        results: Queue[tuple[float, float]] = context.Queue()
        children = [
            context.Process(
                target=writer,
                args=(settings.database_url, n, rounds, ready, go, results),
            )
            for _ in range(processes)
        ]
        for child in children:
            child.start()
        services = open_services(settings, create=False)
        try:
            ready.wait(timeout=300)  # every writer has its cast
            before = services.runner.head()
            go.wait(timeout=300)
            spans = [results.get(timeout=600) for _ in children]
            counted = services.runner.head() - before
        finally:
            services.close()
        for child in children:
            child.join(60)
    seconds = max(s[1] for s in spans) - min(s[0] for s in spans)
    label = f"{processes} writer process{'es' if processes > 1 else ''}"
    return Figure(label, counted, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both sides --repeat times, then the writer runs; print figures."""
    p = parser(__doc__.splitlines()[0], 100, "mentorships to record (default 100)")
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="set_goal/schedule_meeting/record_review rounds each (default 3)",
    )
    p.add_argument(
        "--writers-n",
        type=int,
        default=30,
        help="mentorships per writer process (default 30)",
    )
    args = p.parse_args(argv)
    services_runs: list[Figure] = []
    baseline_runs: list[Figure] = []
    recording: Recording | None = None
    for _ in range(args.repeat):
        recording = run_service(args.n, args.rounds, "Mentoring commands")
        services_runs.append(recording.figure)
        baseline_runs.append(run_baseline(recording, "raw psycopg inserts"))
    assert recording is not None
    service, baseline = best(services_runs), best(baseline_runs)
    ratio = service.rate / baseline.rate
    writers = [
        best([run_writers(k, args.writers_n, args.rounds) for _ in range(args.repeat)])
        for k in (1, 2, 4)
    ]
    one = writers[0].rate
    notes = [
        f"{len(recording.batches)} commands per run, one transaction each on both "
        f"sides; synchronous_commit = {recording.synchronous_commit} on both.",
        "Writers: "
        + ", ".join(f"{w.name} {w.rate / one:.2f}x of one" for w in writers)
        + f" ({args.writers_n} mentorships each, each on its own streams).",
    ]
    return report(
        "PostgreSQL: commands and writers",
        [service, baseline, *writers],
        [Verdict("service / raw inserts", ratio, TARGET)],
        notes,
        args.check,
    )


if __name__ == "__main__":
    finish(main())
