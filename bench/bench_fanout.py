"""Fan-out: one program's activity pushed to many WebSocket subscribers at once.

Setup (not timed): the demo is loaded into a fresh SQLite store and
`python -m mentorlog serve` starts on a free loopback port. For each size in
--sizes (10, 100 and 1 000 by default) that many WebSocket clients (the
`websockets` library, graphql-transport-ws, all in this one process) sign in with
the demo admin's token and subscribe to `programActivity` of the demo program.

Then --n `reachMilestone` mutations (by Sam, a participant of the demo's
one-on-one) are POSTed to the same server, one at a time;
the clock starts before each request is sent and stops, for each subscriber, when
its `next` message for that milestone has been read. The next mutation goes out
once every subscriber has the previous one, after a random untimed pause of up to
--jitter seconds. Every subscriber must receive every event exactly once, or the
run fails. The figures are p50 and p99 over all receipts of a size; the target is
p99 at most 100 ms at 1 000 subscribers.

The clients share this process (and the machine's two cores) with the server, so
a receipt's time includes the load generator's own turn at the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import resource
import statistics
import time
import uuid
from collections.abc import Sequence

import httpx
from _report import Figure, Verdict, finish, parser, report
from bench_subscriptions import WAIT, server, store
from mentorlog.schema.ids import global_id
from websockets.asyncio.client import ClientConnection, connect

from mentorlog.demo import demo_tokens, load_demo
from mentorlog.services import open_services

SUBSCRIBE = (
    "subscription($id: ID!) { programActivity(programId: $id) "
    "{ __typename sequence position occurredAt contentHidden "
    "mentorship { id status } ... on MilestoneReached { title } } }"
)
REACH = (
    "mutation($input: ReachMilestoneInput!) { reachMilestone(input: $input) "
    "{ milestone { id } userErrors { code message } } }"
)
TARGET_MS = 100.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def raise_open_files(need: int) -> None:
    """Lift this process's (and so the server's) open-file limit to what it needs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Clients:
    """Sockets subscribed to one program's activity; when each received what."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.received: dict[str, list[float]] = {}
        self.changed = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, url: str, token: str, program: str, count: int) -> None:
        """Open `count` more sockets, each signed in and subscribed."""

        async def one(n: int) -> ClientConnection:
            ws = await connect(
                url, subprotocols=["graphql-transport-ws"], max_queue=None
            )  # type: ignore[list-item]
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
            payload = {"query": SUBSCRIBE, "variables": {"id": program}}
            await ws.send(
                json.dumps({"id": f"s{n}", "type": "subscribe", "payload": payload})
            )
            return ws

        start = len(self.sockets)
        for first in range(start, start + count, 50):  # 50 handshakes at a time
            batch = range(first, min(first + 50, start + count))
            opened = await asyncio.gather(*(one(n) for n in batch))
            self.sockets += opened
            self.tasks += [asyncio.create_task(self._read(ws)) for ws in opened]

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            at = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "next":
                raise RuntimeError(f"unexpected message: {message}")
            event = message["payload"]["data"]["programActivity"]
            title = event.get("title")
            if title is not None:
                self.received.setdefault(title, []).append(at)
                self.changed.set()

    async def all_have(self, title: str, timeout: float = WAIT) -> list[float]:
        """Wait until every socket has the event once; the times they received it."""
        deadline = time.monotonic() + timeout
        while len(self.received.get(title, [])) < len(self.sockets):
            for task in self.tasks:
                if task.done() and not task.cancelled() and task.exception():
                    raise RuntimeError("a subscriber failed") from task.exception()
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                got = len(self.received.get(title, []))
                raise TimeoutError(f"{title}: {got} of {len(self.sockets)}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
        return self.received[title]

    async def close(self) -> None:
        """Close every socket."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets))


async def run(
    base: str, token: str, writer: str, program: str, mentorship: str, args: object
) -> list[tuple[int, list[float]]]:
    """Each size's receipt latencies, in seconds."""
    sizes: list[int] = args.sizes  # type: ignore[attr-defined]
    n: int = args.n  # type: ignore[attr-defined]
    jitter: float = args.jitter  # type: ignore[attr-defined]
    url = base.replace("http://", "ws://") + "/graphql"
    clients = Clients()
    results = []
    async with httpx.AsyncClient(base_url=base, timeout=WAIT) as client:

        async def reach(title: str) -> None:
            response = await client.post(
                "/graphql",
                json={
                    "query": REACH,
                    "variables": {
                        "input": {"mentorshipId": mentorship, "title": title}
                    },
                },
                headers={"Authorization": f"Bearer {writer}"},
            )
            errors = response.json()["data"]["reachMilestone"]["userErrors"]
            if errors:
                raise RuntimeError(f"reachMilestone refused: {errors}")

        try:
            for size in sorted(sizes):
                await clients.open(url, token, program, size - len(clients.sockets))
                # The server takes subscriptions in its own time: warm up until all
                # of them have one event.
                for attempt in range(int(WAIT)):
                    title = f"warm-up {size} {attempt}"
                    try:
                        await reach(title)
                    except RuntimeError as refused:  # still catching up, maybe
                        print(refused)
                        await asyncio.sleep(1.0)
                        continue
                    try:
                        await clients.all_have(title, timeout=2.0)
                        break
                    except TimeoutError:
                        continue
                else:
                    raise RuntimeError("the subscriptions never started")
                each: list[float] = []
                for i in range(n):
                    title = f"fan-out {size} {i} {uuid.uuid4().hex[:8]}"
                    await asyncio.sleep(random.uniform(0, jitter))
                    start = time.perf_counter()
                    await reach(title)
                    times = await clients.all_have(title)
                    each += [t - start for t in times]
                await asyncio.sleep(0.2)  # nothing more may come for these titles
                for title, times in clients.received.items():
                    warm = title.startswith("warm-up")  # some subscribed later
                    if len(times) > len(clients.sockets) or (
                        not warm and len(times) != len(clients.sockets)
                    ):
                        raise RuntimeError(
                            f"{title}: {len(times)} receipts by {len(clients.sockets)}"
                        )
                clients.received.clear()
                results.append((size, each))
        finally:
            await clients.close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each size on one served demo store."""
    p = parser(__doc__.splitlines()[0], 30, "events per size (30)")
    p.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10, 100, 1000],
        help="subscriber counts (10 100 1000)",
    )
    p.add_argument(
        "--jitter",
        type=float,
        default=0.05,
        help="most seconds to pause before each event, untimed (0.05)",
    )
    args = p.parse_args(argv)
    raise_open_files(2 * max(args.sizes) + 256)
    with store("sqlite") as settings:
        services = open_services(settings)
        try:
            ids = load_demo(services.app)
            tokens = demo_tokens(services.app, ids)
            token, writer = tokens["admin"], tokens["participant"]
        finally:
            services.close()
        program = global_id("Program", ids["program"])
        mentorship = global_id("Mentorship", ids["one_on_one"])
        with server(settings, settings.data_dir.parent / "serve.log") as base:
            try:
                import uvloop

                runner = uvloop.run
            except ImportError:  # pragma: no cover
                runner = asyncio.run  # type: ignore[assignment]
            results = runner(run(base, token, writer, program, mentorship, args))
    figures, verdicts, notes = [], [], []
    for size, each in results:
        p50 = 1e3 * statistics.median(each)
        p99 = 1e3 * percentile(each, 99)
        figures.append(Figure(f"{size} subscribers", len(each), sum(each), "receipts"))
        notes.append(
            f"{size} subscribers: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"max {1e3 * max(each):.1f} ms over {len(each)} receipts "
            f"({args.n} events, each received by all)"
        )
        if size == max(args.sizes):
            verdicts.append(
                Verdict(f"p99 ms at {size} subscribers", p99, TARGET_MS, False)
            )
    return report(
        f"Fan-out of programActivity ({args.n} events per size; µs per item is the "
        "mean receipt latency)",
        figures,
        verdicts,
        notes,
        args.check,
    )


if __name__ == "__main__":
    finish(main())
