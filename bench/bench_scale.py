"""First pages of every list query and filter at 200 and at 5,000 mentorships.

Setup (not timed) records two stores through the Mentoring service: --small and
--n one-on-one mentorships (bench_commands' cast: each proposed, started, agreed,
signed, with a goal, a meeting and a review; one in four then paused), people
registered for them, and one program with an admin. Each list query then runs
--requests times in turn through the app (httpx's ASGI transport, one request at a
time, the admin's token or an auditor's; both stores' apps open in this process,
taking turns), and its p50 and p95 are taken. Targets:
the large store's p50 within 1.2x the small one's for every query, and every p95 at
most 2x its p50.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from _report import Verdict, finish, parser, report
from bench_commands import cast, commands
from rich.console import Console
from rich.table import Table

from mentorlog.app import create_app
from mentorlog.services import open_services
from mentorlog.settings import Settings

SYSTEM = "system:bench"
EDGES = "{ edges { node { id } } }"
QUERIES = {
    "programs": "{ programs(first: 50) " + EDGES + " }",
    "people": "{ people(first: 50) " + EDGES + " }",
    "people by career stage": "{ people(careerStage: EARLY, first: 50) " + EDGES + " }",
    "mentorships": "{ mentorships(first: 50) " + EDGES + " }",
    "mentorships, second page": "{ mentorships(first: 50, after: $after) "
    + EDGES
    + " }",
    "by status": "{ mentorships(filter: {status: PAUSED}, first: 50) " + EDGES + " }",
    "by program": "{ mentorships(filter: {programId: $program}, first: 50) "
    + EDGES
    + " }",
    "by format": '{ mentorships(filter: {format: "one_on_one"}, first: 50) '
    + EDGES
    + " }",
    "by participant": "{ mentorships(filter: {participantId: $person}, first: 50) "
    + EDGES
    + " }",
    "quiet for days": "{ mentorships(filter: {quietForDays: 0}, first: 50) "
    + EDGES
    + " }",
    "program's mentorships": "{ node(id: $program) { ... on Program { "
    "mentorships(first: 50) " + EDGES + " } } }",
    "with participants and goals": "{ mentorships(first: 50) { edges { node { id "
    "participants { role person { displayName } } goals { title status } } } } }",
}


def record(data: Path, n: int) -> dict[str, str]:
    """Record n mentorships; return tokens and the IDs the queries name."""
    services = open_services(Settings(data_dir=data))
    try:
        app = services.app
        people = cast(app, n)
        commands(app, people, 1)
        admin = app.register_person(
            actor=SYSTEM,
            display_name="Program admin",
            career_stage="late",
            years_experience=20,
            tenure_years=10,
            capacity=0,
        ).id
        app.add_program_admin(people.program, actor=SYSTEM, person_id=admin)
        services.runner.catch_up()
        with sqlite3.connect(services.settings.views_db) as views:
            ids = [
                r[0] for r in views.execute("SELECT id FROM mentorships ORDER BY seq")
            ]
        for mentorship in ids[::4]:
            app.pause_mentorship(mentorship, actor=SYSTEM, reason="Parental leave")
        admin_token, _ = app.issue_token(
            actor=SYSTEM, person_id=admin, role="admin", program_id=people.program
        )
        auditor_token, _ = app.issue_token(
            actor=SYSTEM, person_id=admin, role="auditor"
        )
        services.runner.catch_up()
        return {
            "admin": admin_token,
            "auditor": auditor_token,
            "program": gid("Program", people.program),
            "person": gid("Person", people.pairs[n // 2][1]),
        }
    finally:
        services.close()


def gid(type_name: str, raw: str) -> str:
    """A global ID as the API gives it."""
    return base64.b64encode(f"{type_name}:{raw}".encode()).decode()


async def documents(client: httpx.AsyncClient, known: dict[str, str]) -> dict[str, str]:
    """The queries with the store's IDs and second-page cursor written in."""
    edges = (
        await client.post(
            "/graphql",
            json={"query": "{ mentorships(first: 50) { edges { cursor } } }"},
            headers={"Authorization": f"Bearer {known['auditor']}"},
        )
    ).json()["data"]["mentorships"]["edges"]
    values = {**known, "after": edges[-1]["cursor"]}
    written = {}
    for name, query in QUERIES.items():
        for key in ("after", "program", "person"):
            query = query.replace(f"${key}", json.dumps(values[key]))
        written[name] = query
    return written


Times = dict[int, dict[str, list[float]]]


async def measure(
    stores: dict[int, tuple[Path, dict[str, str]]], requests: int
) -> tuple[Times, dict[int, dict[str, int]]]:
    """Every query's request times in ms on each store, the stores taking turns.

    Both apps run in this process at once, so a busy moment of the machine falls on
    both alike. Program queries use the admin's token, the others the auditor's.
    Also: how many of each query's reads outran the event loop's budget.
    """
    async with AsyncExitStack() as stack:
        clients = {}
        reads = {}
        for size, (data, known) in stores.items():
            app = create_app(Settings(data_dir=data))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://b"
                )
            )
            clients[size] = (client, known, await documents(client, known))
            reads[size] = app.state.read_db.reads
        gc.collect()
        gc.freeze()  # as `mentorlog serve` does once started
        times: Times = {size: {name: [] for name in QUERIES} for size in stores}
        threaded = {size: dict.fromkeys(QUERIES, 0) for size in stores}
        for _ in range(requests):
            for name in QUERIES:
                for size, (client, known, written) in clients.items():
                    token = known["admin"] if "program" in name else known["auditor"]
                    before = reads[size]["thread"]
                    start = time.perf_counter()
                    answer = await client.post(
                        "/graphql",
                        json={"query": written[name]},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    times[size][name].append(1e3 * (time.perf_counter() - start))
                    threaded[size][name] += reads[size]["thread"] - before
                    body = answer.json()
                    assert answer.status_code == 200 and "errors" not in body, body
    return times, threaded


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of the values."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: Sequence[str] | None = None) -> int:
    """Record both stores, then time every query on each."""
    p = parser(__doc__.splitlines()[0], 5000, "mentorships in the large store")
    p.add_argument("--small", type=int, default=200, help="in the small store")
    p.add_argument("--requests", type=int, default=60, help="of each query per store")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        stores = {}
        for size in (args.small, args.n):
            data = Path(tmp) / f"store-{size}"
            stores[size] = (data, record(data, size))
        results, threaded = asyncio.run(measure(stores, args.requests))
    table = Table(title="First page of 50 (ms)", title_justify="left")
    for column in ("query", "p50 small", "p95 small", "p50 large", "p95 large"):
        table.add_column(column, justify="left" if column == "query" else "right")
    verdicts = []
    for name in QUERIES:
        small, large = results[args.small][name], results[args.n][name]
        p50s, p95s = statistics.median(small), percentile(small, 95)
        p50l, p95l = statistics.median(large), percentile(large, 95)
        table.add_row(name, f"{p50s:.2f}", f"{p95s:.2f}", f"{p50l:.2f}", f"{p95l:.2f}")
        verdicts.append(Verdict(f"{name}: p50 large ÷ small", p50l / p50s, 1.2, False))
        verdicts.append(Verdict(f"{name}: p95 ÷ p50 (large)", p95l / p50l, 2.0, False))
    Console().print(table)
    return report(
        f"{args.small} against {args.n} mentorships, {args.requests} requests each",
        [],
        verdicts,
        [
            "One request at a time through the ASGI app; SQLite stores.",
            "Reads that outran the event loop's budget (ran on a thread): "
            + (
                ", ".join(
                    f"{name} at {size}: {count}"
                    for size, counts in threaded.items()
                    for name, count in counts.items()
                    if count
                )
                or "none"
            ),
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
