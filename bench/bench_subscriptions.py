"""Subscription latency: from recording an event to subscribers receiving it.

Setup (not timed): the demo is loaded into a fresh store (a temporary SQLite data
directory, and a fresh PostgreSQL schema when a server answers), then
`python -m mentorlog serve` starts on a free loopback port. --subscribers WebSocket
clients (the `websockets` library, graphql-transport-ws) sign in with Sam's
participant token and subscribe to `mentorshipEvents` of his one-on-one.

Two ways of recording, --n events each, one after another:

- `mutation`: a `setGoal` mutation POSTed to the same server. The clock starts
  before the request is sent; the server pokes its event feed once the command is
  recorded, so no poll interval is waited for.
- `other process`: `Mentoring.set_goal` in this process (a second writer on the
  same store). The clock starts before the command; the server learns of the event
  by polling on SQLite (its poll interval, 0.2 s by default) and through
  LISTEN/NOTIFY on PostgreSQL.

Each event's latency is taken when the last subscriber has received it, and for
each subscriber separately; the figures are the median and p99 over all receipts.
The next event is recorded once every subscriber has the previous one, after a
random pause of up to --jitter seconds (not timed), so that events land anywhere in
the server's poll cycle rather than just after a poll.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from _report import Figure, finish, parser, report
from mentorlog.core.access import person_actor
from mentorlog.schema.ids import global_id
from psycopg import sql
from websockets.asyncio.client import ClientConnection, connect

from mentorlog.demo import demo_tokens, load_demo
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

DSN = os.environ.get(
    "MENTORLOG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
WAIT = 60.0  # seconds any one step may take before the run gives up
SUBSCRIBE = (
    "subscription($id: ID!) { mentorshipEvents(mentorshipId: $id) "
    "{ __typename sequence ... on GoalSet { title } } }"
)
SET_GOAL = (
    "mutation($input: SetGoalInput!) { setGoal(input: $input) "
    "{ goal { id } userErrors { code message } } }"
)


@dataclass
class Latencies:
    """One backend's and one recording way's measurements, in seconds."""

    label: str
    each: list[float]  # every subscriber's receipt of every event
    last: list[float]  # per event: when the last subscriber had it

    def figure(self) -> Figure:
        """Receipts as a Figure (µs per item: the mean latency)."""
        return Figure(self.label, len(self.each), sum(self.each), unit="receipts")

    def note(self) -> str:
        """Median and p99 of each receipt and of the last receipt per event."""
        return (
            f"{self.label}: median {1e3 * statistics.median(self.each):.1f} ms, "
            f"p99 {1e3 * p99(self.each):.1f} ms per receipt; last subscriber: "
            f"median {1e3 * statistics.median(self.last):.1f} ms, "
            f"p99 {1e3 * p99(self.last):.1f} ms"
        )


def p99(values: Sequence[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.99 * len(ordered)) - 1, 0)]


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_reachable() -> bool:
    """True when the benchmark's PostgreSQL server answers."""
    try:
        with psycopg.connect(DSN, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@contextmanager
def store(backend: str) -> Iterator[Settings]:
    """Settings on a fresh store of this run's own, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        if backend == "sqlite":
            yield Settings(data_dir=data_dir)
            return
        name = f"bench_{uuid.uuid4().hex[:10]}"
        try:
            yield Settings(data_dir=data_dir, database_url=f"{DSN}?schema={name}")
        finally:
            with psycopg.connect(DSN, autocommit=True) as con:
                con.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        sql.Identifier(name)
                    )
                )


@contextmanager
def server(settings: Settings, log: Path) -> Iterator[str]:
    """`python -m mentorlog serve` on the store; yields its base URL."""
    port = free_port()
    args = ["serve", "--data", str(settings.data_dir), "--port", str(port)]
    if settings.database_url:
        args += ["--database-url", settings.database_url]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MENTORLOG_DATABASE_URL", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mentorlog", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + WAIT
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited:\n{log.read_text()}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.05)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Subscribers:
    """WebSocket clients subscribed to one mentorship; when each received what."""

    def __init__(self, sockets: list[ClientConnection]) -> None:
        self.sockets = sockets
        self.received: dict[str, list[float]] = {}
        self.changed = asyncio.Event()
        self.tasks = [asyncio.create_task(self._read(ws)) for ws in sockets]

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            at = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "next":
                raise RuntimeError(f"unexpected message: {message}")
            event = message["payload"]["data"]["mentorshipEvents"]
            self.received.setdefault(event["title"], []).append(at)
            self.changed.set()

    async def all_have(self, title: str, timeout: float = WAIT) -> list[float]:
        """Wait until every subscriber has the event; the times they received it."""
        deadline = time.monotonic() + timeout
        while len(self.received.get(title, [])) < len(self.sockets):
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(title)
            await asyncio.wait_for(self.changed.wait(), left)
        return self.received[title]


@asynccontextmanager
async def subscribed(
    base: str, token: str, mentorship: str, count: int
) -> AsyncIterator[Subscribers]:
    """`count` sockets, each signed in and subscribed to the mentorship's events."""
    url = base.replace("http://", "ws://") + "/graphql"
    sockets: list[ClientConnection] = []
    try:
        for n in range(count):
            ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
            sockets.append(ws)
            await ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"Authorization": f"Bearer {token}"},
                    }
                )
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"not acknowledged: {ack}")
            payload = {"query": SUBSCRIBE, "variables": {"id": mentorship}}
            await ws.send(
                json.dumps({"id": str(n), "type": "subscribe", "payload": payload})
            )
        subscribers = Subscribers(sockets)
        yield subscribers
    finally:
        for ws in sockets:
            await ws.close()


async def measure(
    label: str,
    subscribers: Subscribers,
    record: Callable[[str], Awaitable[None]],
    n: int,
    jitter: float = 0.0,
) -> Latencies:
    """Record n events one after another; each receipt's latency."""
    each: list[float] = []
    last: list[float] = []
    for i in range(n):
        title = f"{label} {i} {uuid.uuid4().hex[:8]}"
        await asyncio.sleep(random.uniform(0, jitter))
        start = time.perf_counter()
        await record(title)
        times = await subscribers.all_have(title)
        each += [t - start for t in times]
        last.append(max(times) - start)
    return Latencies(label, each, last)


async def run_backend(
    backend: str, services: Services, base: str, n: int, count: int, jitter: float
) -> list[Latencies]:
    """Both ways of recording on one served store."""
    app = services.app
    ids = load_demo(app)
    token = demo_tokens(app, ids)["participant"]
    mentorship = global_id("Mentorship", ids["one_on_one"])
    sam = person_actor(ids["sam"])
    async with (
        subscribed(base, token, mentorship, count) as subscribers,
        httpx.AsyncClient(base_url=base, timeout=WAIT) as client,
    ):

        async def mutation(title: str) -> None:
            response = await client.post(
                "/graphql",
                json={
                    "query": SET_GOAL,
                    "variables": {
                        "input": {
                            "mentorshipId": mentorship,
                            "title": title,
                            "framework": "plain",
                        }
                    },
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            errors = response.json()["data"]["setGoal"]["userErrors"]
            if errors:
                raise RuntimeError(f"setGoal refused: {errors}")

        async def other_process(title: str) -> None:
            await asyncio.to_thread(
                app.set_goal,
                ids["one_on_one"],
                actor=sam,
                title=title,
                framework="plain",
            )

        # The server takes subscriptions in its own time: warm up until all have one.
        for attempt in range(int(WAIT)):
            title = f"warm-up {attempt}"
            await mutation(title)
            try:
                await subscribers.all_have(title, timeout=1.0)
                break
            except TimeoutError:
                continue
        else:
            raise RuntimeError("the subscriptions never started")
        for _ in range(5):  # warm both paths
            await measure("warm", subscribers, mutation, 1)
            await measure("warm", subscribers, other_process, 1)
        return [
            await measure(f"{backend}: mutation", subscribers, mutation, n, jitter),
            await measure(
                f"{backend}: other process", subscribers, other_process, n, jitter
            ),
        ]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure on SQLite and, if it answers, on PostgreSQL."""
    p = parser(__doc__.splitlines()[0], 100, "events per way of recording (100)")
    p.add_argument(
        "--subscribers", type=int, default=5, help="WebSocket subscribers (5)"
    )
    p.add_argument(
        "--jitter",
        type=float,
        default=0.25,
        help="most seconds to pause before each event, untimed (0.25)",
    )
    args = p.parse_args(argv)
    backends = ["sqlite"] + (["postgres"] if postgres_reachable() else [])
    results: list[Latencies] = []
    for backend in backends:
        with store(backend) as settings:
            services = open_services(settings)
            try:
                with server(settings, settings.data_dir.parent / "serve.log") as base:
                    results += asyncio.run(
                        run_backend(
                            backend,
                            services,
                            base,
                            args.n,
                            max(args.subscribers, 1),
                            args.jitter,
                        )
                    )
            finally:
                services.close()
    skipped = [] if "postgres" in backends else [f"PostgreSQL: no server at {DSN}"]
    return report(
        f"Subscription latency ({args.n} events per row, {args.subscribers} "
        "subscribers; µs per item is the mean receipt latency)",
        [r.figure() for r in results],
        [],
        [r.note() for r in results] + skipped,
        args.check,
    )


if __name__ == "__main__":
    finish(main())
