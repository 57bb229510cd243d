"""The log's feed caught up from the start (GraphQL `events`) against raw reads.

Setup (not timed) records about --n events through the Mentoring service, once
per run: one-on-one mentorships proposed, started, agreed, signed, then given
rounds of set_goal, schedule_meeting and record_review, recorded by a few writer
threads at once (group commit) to keep the setup short.

The service side pages through the whole of `events` with an auditor's token (who
reads every mentorship's events), 100 at a time (the API's most), each page
executed by `mentorlog.schema.schema` with the API's Context, as a client catching
up does: `cursor`, `hasNextPage` and each event's `__typename position sequence
occurredAt hash`. The same pages are also read with `schema.events.read_log`, the
function that query runs in its worker thread, to show what GraphQL adds.

The baseline reads the same notifications (the Mentorship events' topics) raw
from the recorder, `select_notifications` in pages of 500 (the feed's read size),
without decoding them: the least any reader of the log pays.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _report import Figure, Verdict, best, finish, parser, report, timed
from bench_commands import Cast, cast, commands
from mentorlog.core.access import Principal
from mentorlog.projections.sqlite_queries import ReadDatabase
from mentorlog.schema import schema
from mentorlog.schema.context import Context
from mentorlog.schema.events import READ_PAGE, TOPICS, Filter, read_log

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

# Proposed: catching up through GraphQL at no less than a tenth of raw reading,
# and GraphQL costing at most as much again as the feed's own reading.
TARGET = 0.10
GRAPHQL_TARGET = 0.5
ROUNDS = 10
WRITERS = 4
PAGE = 100  # the API's largest page
# propose 1, start 3 (the mentorship and both people), agreement 1, signatures 2,
# then a goal, a meeting and a review per round; and the two people registered.
EVENTS_PER_MENTORSHIP = 2 + 7 + 3 * ROUNDS
QUERY = """query($after: String) { events(first: 100, after: $after) {
  cursor pageInfo { hasNextPage }
  edges { node { __typename position sequence occurredAt hash } } } }"""
SYSTEM = "system:bench"


def record_log(services: Services, events: int) -> Principal:
    """Record about this many events; return an auditor's principal."""
    app = services.app
    mentorships = max(WRITERS, events // EVENTS_PER_MENTORSHIP)
    people = cast(app, mentorships)
    shares = [Cast(people.program, people.pairs[i::WRITERS]) for i in range(WRITERS)]
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda share: commands(app, share, ROUNDS), shares))
    auditor = app.register_person(
        actor=SYSTEM,
        display_name="Bench auditor",
        career_stage="mid",
        years_experience=9,
        tenure_years=4,
        capacity=0,
    ).id
    return Principal(credential_id="bench", person_id=auditor, role="auditor")


async def through_graphql(
    services: Services, db: ReadDatabase, principal: Principal
) -> int:
    """Page through the whole of `events`; return the events read."""
    after: str | None = None
    count = 0
    while True:
        context = Context(services, db, principal)
        result = await schema.execute(
            QUERY, variable_values={"after": after}, context_value=context
        )
        if result.errors or result.data is None:
            raise RuntimeError(f"events: {result.errors}")
        page = result.data["events"]
        count += len(page["edges"])
        after = page["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return count


def through_read_log(services: Services, principal: Principal) -> int:
    """The same pages, read by the function the query runs; return the events."""
    wanted = Filter(topics=sorted(TOPICS.values()), program_id=None, mentorship_id=None)
    position, count = 0, 0
    while True:
        found, position, more = read_log(services, principal, position, PAGE, wanted)
        count += len(found)
        if not more:
            return count


def raw(services: Services) -> int:
    """Read the same notifications from the recorder, undecoded; return the count."""
    recorder = services.app.recorder
    topics = sorted(TOPICS.values())
    start, count = 0, 0
    while True:
        page = recorder.select_notifications(
            start, READ_PAGE, topics=topics, inclusive_of_start=False
        )
        count += len(page)
        if len(page) < READ_PAGE:
            return count
        start = page[-1].id


async def measure(
    services: Services, principal: Principal, repeat: int
) -> tuple[list[Figure], list[Figure], list[Figure]]:
    """Run each side `repeat` times, in turn; return their figures."""
    db = await ReadDatabase(services.settings.views_db).open()
    loop = asyncio.get_running_loop()
    graphql: list[Figure] = []
    direct: list[Figure] = []
    baseline: list[Figure] = []
    try:
        expected = raw(services)
        for _ in range(repeat):
            start = loop.time()
            count = await through_graphql(services, db, principal)
            graphql.append(Figure("events over GraphQL", count, loop.time() - start))
            seconds, count = timed(lambda: through_read_log(services, principal))
            direct.append(Figure("read_log (no GraphQL)", count, seconds))
            seconds, count = timed(lambda: raw(services))
            baseline.append(Figure("select_notifications, raw", count, seconds))
            if {f.items for f in (graphql[-1], direct[-1], baseline[-1])} != {expected}:
                raise RuntimeError("the sides read different numbers of events")
    finally:
        await db.close()
    return graphql, direct, baseline


def main(argv: Sequence[str] | None = None) -> int:
    """Record the log once, then time each side --repeat times."""
    p = parser(__doc__.splitlines()[0], 100_000, "events to record (default 100000)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        services = open_services(Settings(data_dir=Path(tmp) / "data"))
        try:
            setup_seconds, principal = timed(lambda: record_log(services, args.n))
            head = services.runner.head()
            graphql, direct, baseline = asyncio.run(
                measure(services, principal, args.repeat)
            )
        finally:
            services.close()
    ours, plain, theirs = best(graphql), best(direct), best(baseline)
    return report(
        f"Feed catch-up (events per second, best of {args.repeat}; {head:,} events "
        f"in the log, {theirs.items:,} of them mentorship events)",
        [ours, plain, theirs],
        [
            Verdict(
                "events over GraphQL / raw (proposed)", ours.rate / theirs.rate, TARGET
            ),
            Verdict(
                "events over GraphQL / read_log (proposed)",
                ours.rate / plain.rate,
                GRAPHQL_TARGET,
            ),
        ],
        [
            f"Log recorded in {setup_seconds:.1f} s by {WRITERS} writers (not timed).",
            f"read_log / raw: {plain.rate / theirs.rate:.3f}.",
            f"GraphQL: {-(-ours.items // PAGE):,} requests of {PAGE} events, as an "
            "auditor (every event readable, private content hidden).",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
