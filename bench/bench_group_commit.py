"""Concurrent writers through Mentoring (group commit) against raw inserts.

`--writers` threads (default 32), each on a mentorship of its own (proposed,
started, agreed and signed beforehand, not timed), record `--n` commands each
(rounds of set_goal, schedule_meeting, record_review) through one `Mentoring`,
started together. The same commands then run with group commit switched off (each
save its own transaction, as before). The baselines then write exactly the event and
chain-link rows the service stored, one transaction per command: the same number
of threads, each on a plain connection of its own; and one connection alone. The
same on PostgreSQL (MENTORLOG_BENCH_POSTGRES) against psycopg. Every run alternates
the sides, `--repeat` times, and reports the median ratio of the runs.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from _report import Figure, Verdict, finish, parser, report
from bench_commands import GOAL_FIELDS, SYSTEM, cast, journal_mode, synchronous_level
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.chain import LINKS_TABLE
from mentorlog.core.storage import group as group_commit
from psycopg import sql

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

TARGET = 2.0
DSN = os.environ.get(
    "MENTORLOG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
Row = tuple[Any, ...]


@dataclass
class Writers:
    """The mentorships the writers work on, each with its mentor and mentee."""

    mentorships: list[tuple[str, str, str]]


def prepare(app: Mentoring, writers: int) -> Writers:
    """A started, agreed mentorship per writer (not timed)."""
    people = cast(app, writers)
    found = []
    for mentor, mentee in people.pairs:
        m = app.propose_mentorship(
            actor=person_actor(mentee),
            program_id=people.program,
            format="one_on_one",
            participants=[
                {"person_id": mentor, "role": "mentor"},
                {"person_id": mentee, "role": "mentee"},
            ],
            purpose="Grow into a technical lead role within a year.",
        ).id
        app.start_mentorship(m, actor=SYSTEM)
        found.append((m, mentor, mentee))
    return Writers(found)


def one_writer(app: Mentoring, m: str, mentor: str, mentee: str, n: int) -> None:
    """n commands on one mentorship, a round of three at a time."""
    for i in range(n):
        r, kind = divmod(i, 3)
        if kind == 0:
            app.set_goal(
                m,
                actor=person_actor(mentee),
                title=f"Present at the demo, part {r + 1}",
                framework="smart",
                fields=GOAL_FIELDS,
            )
        elif kind == 1:
            app.schedule_meeting(
                m,
                actor=person_actor(mentor),
                scheduled_for=f"2030-01-{r % 28 + 1:02d}T10:00:00+00:00",
                agenda=["Progress on goals", "Blockers", "Next steps"],
                duration_minutes=45,
            )
        else:
            app.record_review(
                m,
                actor=person_actor(mentor),
                progress_rating=4,
                went_well="Rehearsals went well and the outline is done.",
                challenges="Finding time between on-call weeks.",
                support=["instrumental", "psychosocial"],
                next_steps="Book the demo slot and send the draft slides.",
            )


def together(work: Sequence[Callable[[], None]]) -> float:
    """Run each callable in a thread of its own, started together; wall seconds."""
    barrier = threading.Barrier(len(work) + 1)
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return seconds


@contextmanager
def grouping(on: bool) -> Iterator[None]:
    """Group commit on (the default) or off (each save a transaction of its own)."""
    size = group_commit.MAX_GROUP
    group_commit.MAX_GROUP = size if on else 1
    try:
        yield
    finally:
        group_commit.MAX_GROUP = size


# -- SQLite ---------------------------------------------------------------


def sqlite_rows(services: Services, mentorships: Sequence[str], n: int) -> list[Any]:
    """Each writer's last n event and link rows, as stored."""
    out = []
    with services.app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        for m in mentorships:
            key = uuid.UUID(m).hex
            c.execute(
                "SELECT originator_id, originator_version, topic, state "
                "FROM stored_events WHERE originator_id = ? "
                "ORDER BY originator_version DESC LIMIT ?",
                (key, n),
            )
            events = [tuple(r) for r in reversed(c.fetchall())]
            rows = []
            for event in events:
                c.execute(
                    f"SELECT * FROM {LINKS_TABLE} WHERE originator_id = ? "
                    "AND originator_version = ?",
                    (event[0], event[1]),
                )
                rows.append((event, tuple(c.fetchone())))
            out.append(rows)
    return out


def sqlite_round(writers: int, n: int) -> dict[str, Figure]:
    """One run of every SQLite side, alternated."""
    figures: dict[str, Figure] = {}
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        for name, grouped in (("group commit", True), ("one commit per save", False)):
            services = open_services(Settings(data_dir=Path(tmp) / name / "data"))
            try:
                app = services.app
                ready = prepare(app, writers)
                with grouping(grouped):
                    seconds = together(
                        [
                            (lambda m=m, a=a, b=b, app=app: one_writer(app, m, a, b, n))
                            for m, a, b in ready.mentorships
                        ]
                    )
                figures[f"Mentoring, {name}"] = Figure(
                    f"SQLite: Mentoring, {writers} writers, {name}",
                    writers * n,
                    seconds,
                    "commands",
                )
                if grouped:
                    rows = sqlite_rows(
                        services, [m for m, _, _ in ready.mentorships], n
                    )
                    ddl = services.app.recorder.construct_create_table_statements()  # type: ignore[attr-defined]
                    sync, journal = synchronous_level(services), journal_mode(services)
                    assert all(len(r) == n for r in rows)
            finally:
                services.close()
            if grouped:
                for threads in (writers, 1):
                    label = f"raw sqlite3, {threads} writer{'s' if threads > 1 else ''}"
                    figures[label] = sqlite_raw(
                        Path(tmp) / f"raw{threads}.db",
                        ddl,
                        sync,
                        journal,
                        rows,
                        threads,
                    )
    return figures


def sqlite_raw(
    path: Path,
    ddl: Sequence[str],
    sync: int,
    journal: str,
    rows: list[list[tuple[Row, Row]]],
    threads: int,
) -> Figure:
    """Insert the rows with plain sqlite3, one transaction per command."""
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute(f"PRAGMA journal_mode={journal}")
    for statement in ddl:
        setup.execute(statement)
    setup.close()
    insert_event = "INSERT INTO stored_events VALUES (?,?,?,?)"
    insert_link = f"INSERT INTO {LINKS_TABLE} VALUES (?,?,?,?)"

    def writer(share: list[list[tuple[Row, Row]]]) -> Callable[[], None]:
        con = sqlite3.connect(
            path, isolation_level=None, timeout=60, check_same_thread=False
        )
        con.execute(f"PRAGMA synchronous={sync}")

        def write() -> None:
            try:
                for commands in share:
                    for event, link in commands:
                        con.execute("BEGIN")
                        con.execute(insert_event, event)
                        con.execute(insert_link, link)
                        con.execute("COMMIT")
            finally:
                con.close()

        return write

    shares = [rows[i::threads] for i in range(threads)]
    seconds = together([writer(share) for share in shares])
    label = f"raw sqlite3, {threads} writer{'s' if threads > 1 else ''}, 1 txn/command"
    return Figure(label, sum(len(r) for r in rows), seconds, "commands")


# -- PostgreSQL -------------------------------------------------------------


@contextmanager
def pg_schema() -> Iterator[Settings]:
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


def pg_connect(services: Services) -> psycopg.Connection[Any]:
    """A plain psycopg session on the services' database."""
    postgres = services.settings.postgres
    assert postgres is not None
    return psycopg.connect(**postgres.connection_kwargs())


def pg_tables(services: Services) -> tuple[sql.Identifier, sql.Identifier]:
    """The services' events and links tables, qualified by their schema."""
    recorder: Any = services.app.recorder
    schema = recorder.datastore.schema
    return (
        sql.Identifier(schema, recorder.events_table_name),
        sql.Identifier(schema, LINKS_TABLE),
    )


def pg_rows(services: Services, mentorships: Sequence[str], n: int) -> list[Any]:
    """Each writer's last n event and link rows, as stored."""
    events_table, links_table = pg_tables(services)
    out = []
    with pg_connect(services) as con:
        for m in mentorships:
            events = con.execute(
                sql.SQL(
                    "SELECT originator_id, originator_version, topic, state FROM {} "
                    "WHERE originator_id = %s ORDER BY originator_version DESC LIMIT %s"
                ).format(events_table),
                (uuid.UUID(m), n),
            ).fetchall()
            rows = []
            for event in reversed(events):
                link = con.execute(
                    sql.SQL(
                        "SELECT originator_id, originator_version, hash, leaf FROM {} "
                        "WHERE originator_id = %s AND originator_version = %s"
                    ).format(links_table),
                    (event[0].hex, event[1]),
                ).fetchone()
                assert link is not None
                rows.append((tuple(event), tuple(link)))
            out.append(rows)
    return out


def pg_round(writers: int, n: int) -> dict[str, Figure]:
    """One run of every PostgreSQL side, alternated."""
    figures: dict[str, Figure] = {}
    for name, grouped in (("group commit", True), ("one commit per save", False)):
        with pg_schema() as settings:
            services = open_services(settings)
            try:
                app = services.app
                ready = prepare(app, writers)
                with grouping(grouped):
                    seconds = together(
                        [
                            (lambda m=m, a=a, b=b, app=app: one_writer(app, m, a, b, n))
                            for m, a, b in ready.mentorships
                        ]
                    )
                figures[f"Mentoring, {name}"] = Figure(
                    f"PostgreSQL: Mentoring, {writers} writers, {name}",
                    writers * n,
                    seconds,
                    "commands",
                )
                if grouped:
                    rows = pg_rows(services, [m for m, _, _ in ready.mentorships], n)
                    with pg_connect(services) as con:
                        level = str(
                            con.execute("SHOW synchronous_commit").fetchone()[0]
                        )  # type: ignore[index]
            finally:
                services.close()
        if grouped:
            for threads in (writers, 1):
                label = f"raw psycopg, {threads} writer{'s' if threads > 1 else ''}"
                figures[label] = pg_raw(rows, level, threads)
    return figures


def pg_raw(rows: list[list[tuple[Row, Row]]], level: str, threads: int) -> Figure:
    """Insert the rows with plain psycopg, one transaction per command."""
    with pg_schema() as settings:
        services = open_services(settings)  # the same tables, then closed
        events_table, links_table = pg_tables(services)
        insert_event = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        ).format(events_table)
        insert_link = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, hash, leaf) "
            "VALUES (%s, %s, %s, %s)"
        ).format(links_table)

        def writer(share: list[list[tuple[Row, Row]]]) -> Callable[[], None]:
            con = pg_connect(services)
            con.execute(f"SET synchronous_commit = {level}")
            con.commit()

            def write() -> None:
                try:
                    for commands in share:
                        for event, link in commands:
                            with con.transaction():
                                con.execute(insert_event, event)
                                con.execute(insert_link, link)
                finally:
                    con.close()

            return write

        shares = [rows[i::threads] for i in range(threads)]
        jobs = [writer(share) for share in shares]
        services.close()
        seconds = together(jobs)
    label = f"raw psycopg, {threads} writer{'s' if threads > 1 else ''}, 1 txn/command"
    return Figure(label, sum(len(r) for r in rows), seconds, "commands")


def postgres_answers() -> bool:
    """True when the benchmark's PostgreSQL server accepts a connection."""
    try:
        with psycopg.connect(DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def median_run(
    runs: list[dict[str, Figure]], ratio: Callable[[dict[str, Figure]], float]
) -> dict[str, Figure]:
    """The run whose ratio is the median (the lower one of an even count)."""
    ordered = sorted(runs, key=ratio)
    return ordered[(len(ordered) - 1) // 2]


def main(argv: Sequence[str] | None = None) -> int:
    """Run every side --repeat times, alternated; print the median run's ratios."""
    p = parser(__doc__.splitlines()[0], 60, "commands per writer (default 60)")
    p.add_argument("--writers", type=int, default=32, help="writers (default 32)")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = p.parse_args(argv)
    backends = [("SQLite", sqlite_round, "raw sqlite3")]
    if not args.no_postgres and postgres_answers():
        backends.append(("PostgreSQL", pg_round, "raw psycopg"))
    runs: dict[str, list[dict[str, Figure]]] = {name: [] for name, _, _ in backends}
    for _ in range(args.repeat):
        for name, run, _ in backends:
            runs[name].append(run(args.writers, args.n))
    figures: list[Figure] = []
    verdicts: list[Verdict] = []
    notes: list[str] = []
    w = args.writers
    for name, _, raw in backends:

        def against(f: dict[str, Figure], raw: str = raw) -> float:
            return f["Mentoring, group commit"].rate / f[f"{raw}, {w} writers"].rate

        chosen = median_run(runs[name], against)
        figures.extend(chosen.values())
        verdicts.append(
            Verdict(
                f"{name}: group commit / {raw}, {w} writers", against(chosen), TARGET
            )
        )
        for other, label in (
            (f"{raw}, 1 writer", f"{raw}, 1 writer"),
            ("Mentoring, one commit per save", "one commit per save"),
        ):
            ratio = statistics.median(
                f["Mentoring, group commit"].rate / f[other].rate for f in runs[name]
            )
            verdicts.append(Verdict(f"{name}: group commit / {label}", ratio, 0.0))
        notes.append(
            f"{name}: ratios of group commit / {raw}, {w} writers, per run: "
            + ", ".join(f"{against(f):.2f}" for f in runs[name])
        )
    notes.append(
        "Same durability on both sides: SQLite WAL at the service's synchronous "
        "level (FULL), PostgreSQL at its synchronous_commit (on). Ratios with a "
        "target of 0.00 are figures only."
    )
    return report(
        f"{w} concurrent writers, {args.n} commands each (commands per second; "
        f"the median of {args.repeat} alternated runs)",
        figures,
        verdicts,
        notes,
        args.check,
    )


if __name__ == "__main__":
    finish(main())
