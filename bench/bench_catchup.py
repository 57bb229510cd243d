"""Projection catch-up (a full rebuild) against reading and decoding the same log.

Setup (not timed) records about --n events through the Mentoring service: one-on-one
mentorships proposed, started, agreed, signed, then given rounds of set_goal,
schedule_meeting and record_review. The service run is `services.runner.rebuild()`:
every projection is reset and replays the whole log into its read-model tables, a
page per transaction. The baseline reads the same notifications page by page with
`app.recorder.select_notifications` and decodes each with `app.mapper.to_domain_event`
(the part of catch-up that every reader pays), at the runner's page size.

A second baseline also writes the read models: it reads and decodes as the first, and
with each page inserts, in one transaction with plain sqlite3, its share of the rows
the read-model tables hold after a rebuild (each table's final rows split evenly over
the pages), on an empty database with the same tables and pragmas. That is the least
writing any catch-up must do to leave those tables.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _report import Figure, Verdict, best, finish, parser, report, timed
from bench_commands import cast, commands

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

TARGET = 0.5
# Proposed: against the baseline that also inserts the read models' final rows.
WRITING_TARGET = 0.5
ROUNDS = 3
# propose 1, start 3 (mentorship and both people), agreement 1, signatures 2,
# then a goal, a meeting and a review per round.
EVENTS_PER_MENTORSHIP = 7 + 3 * ROUNDS


def record_log(services: Services, events: int) -> int:
    """Record about this many events through the service; return the log's head."""
    mentorships = max(1, events // EVENTS_PER_MENTORSHIP)
    commands(services.app, cast(services.app, mentorships), ROUNDS)
    return services.runner.head()


def rebuild(services: Services) -> int:
    """Replay the whole log into every projection; return notifications read."""
    return services.runner.rebuild()


def read_and_decode(services: Services) -> int:
    """Read every notification a page at a time and decode it; return the count."""
    recorder = services.app.recorder
    mapper = services.app.mapper
    page_size = services.runner.page_size
    start = 0
    count = 0
    while True:
        page = recorder.select_notifications(start, page_size, inclusive_of_start=False)
        if not page:
            return count
        for notification in page:
            mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id


Rows = dict[str, list[tuple[Any, ...]]]


def final_rows(services: Services) -> Rows:
    """Every read-model table's rows (tracking included), as a rebuild leaves them."""
    tables = [t for p in services.runner.projections for t in p.tables]
    with services.read_models.datastore.transaction(commit=False) as c:
        rows: Rows = {}
        for table in [*tables, "tracking"]:
            c.execute(f"SELECT * FROM {table}")
            rows[table] = [tuple(row) for row in c.fetchall()]
    return rows


def pragmas(services: Services) -> dict[str, str]:
    """The read-model connections' journal mode and synchronous level."""
    with services.read_models.datastore.transaction(commit=False) as c:
        c.execute("PRAGMA journal_mode")
        journal = str(c.fetchone()[0])
        c.execute("PRAGMA synchronous")
        return {"journal_mode": journal, "synchronous": str(c.fetchone()[0])}


def read_decode_and_insert(
    services: Services, rows: Rows, settings: dict[str, str], path: Path
) -> int:
    """Read and decode page by page, inserting a share of the final rows with each."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink(missing_ok=True)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for name, value in settings.items():
            con.execute(f"PRAGMA {name}={value}")
        for statement in services.read_models.construct_create_table_statements():
            con.execute(statement)
        recorder, mapper = services.app.recorder, services.app.mapper
        page_size = services.runner.page_size
        pages = -(-services.runner.head() // page_size)
        inserts = {
            table: f"INSERT INTO {table} VALUES ({','.join('?' * len(held[0]))})"
            for table, held in rows.items()
            if held
        }
        start = count = number = 0
        while True:
            page = recorder.select_notifications(
                start, page_size, inclusive_of_start=False
            )
            if not page:
                return count
            for notification in page:
                mapper.to_domain_event(notification)
            count += len(page)
            start = page[-1].id
            con.execute("BEGIN")
            for table, insert in inserts.items():
                held = rows[table]
                share = held[
                    len(held) * number // pages : len(held) * (number + 1) // pages
                ]
                con.executemany(insert, share)
            con.execute("COMMIT")
            number += 1
    finally:
        con.close()


def row_counts(services: Services) -> dict[str, int]:
    """Rows in each read-model table, to show the rebuild did its work."""
    counts: dict[str, int] = {}
    with services.read_models.datastore.transaction(commit=False) as c:
        for projection in services.runner.projections:
            for table in projection.tables:
                c.execute(f"SELECT COUNT(*) FROM {table}")
                counts[table] = int(c.fetchone()[0])
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Record the log once, then time both sides --repeat times, alternating."""
    p = parser(__doc__.splitlines()[0], 20_000, "events to record (default 20000)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        services = open_services(Settings(data_dir=Path(tmp) / "data"))
        try:
            setup_seconds, head = timed(lambda: record_log(services, args.n))
            topics = Counter(
                n.topic.rsplit(".", 1)[-1]
                for n in services.app.recorder.select_notifications(0, head)
            )
            read_and_decode(services)  # warm the page cache and the decoder
            rebuild(services)
            rows = final_rows(services)
            settings = pragmas(services)
            written = Path(tmp) / "written.db"
            service_runs: list[Figure] = []
            baseline_runs: list[Figure] = []
            writing_runs: list[Figure] = []
            for _ in range(args.repeat):
                seconds, count = timed(lambda: rebuild(services))
                service_runs.append(Figure("runner.rebuild()", count, seconds))
                seconds, count = timed(lambda: read_and_decode(services))
                baseline_runs.append(Figure("select + decode", count, seconds))
                seconds, count = timed(
                    lambda: read_decode_and_insert(services, rows, settings, written)
                )
                writing_runs.append(Figure("select + decode + insert", count, seconds))
            counts = row_counts(services)
            page_size = services.runner.page_size
            projections = len(services.runner.projections)
        finally:
            services.close()
    service = best(service_runs)
    baseline, writing = best(baseline_runs), best(writing_runs)
    common = ", ".join(f"{name} {count}" for name, count in topics.most_common(6))
    return report(
        f"Projection catch-up (events per second, best of {args.repeat}; "
        f"{head:,} events)",
        [service, baseline, writing],
        [
            Verdict("rebuild / read + decode", service.rate / baseline.rate, TARGET),
            Verdict(
                "rebuild / read + decode + insert (proposed)",
                service.rate / writing.rate,
                WRITING_TARGET,
            ),
        ],
        [
            f"Log recorded in {setup_seconds:.1f} s (not timed); most common "
            f"events: {common}.",
            f"{projections} projections, pages of {page_size}; read-model rows "
            f"after rebuild: {sum(counts.values()):,} in {len(counts)} tables.",
            "Insert: select + decode, and with each page one "
            "transaction inserting its share of every table's final rows "
            "(executemany), plain sqlite3 on an empty database with the read "
            f"models' tables, journal_mode={settings['journal_mode']}, "
            f"synchronous={settings['synchronous']} (as the read models).",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
