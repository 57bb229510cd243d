"""Webhook deliveries: the sender's throughput, and a mutation's delivery latency.

A receiver (bench/_receiver.py: Starlette on uvicorn, in a process of its own)
verifies every delivery's Standard Webhooks signature and acknowledges it with 204.
One program has an endpoint for GoalSet events on it.

Throughput: --n goals are recorded through the service and the projections fill
the outbox (not timed); then `WebhookSender.send_due()` sends them until none is
pending: signing, POSTing and recording each try in the outbox, one at a time.
The baseline POSTs the same bodies, with headers signed alike, from a plain httpx
client to the same receiver, one after another, recording nothing: what any
sender pays for the HTTP round trips.

Latency: the app (`create_app`, its lifespan running the projections and the
sender thread) answers --latency `setGoal` mutations over httpx's ASGI transport,
one at a time, each after a random pause of up to one poll interval (so they
come at any moment of the sender's poll); each one's latency runs from just
before the request to the moment the receiver saw its delivery (both clocks are
this machine's). Measured at
the sender's default poll interval (MENTORLOG_WEBHOOKS_INTERVAL, 1 s) and at a
short one (--interval), since the sender looks for due deliveries on a timer.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import httpx
from _report import Figure, Verdict, best, finish, parser, report, timed
from mentorlog.core.access import person_actor
from mentorlog.core.webhooks import new_secret
from mentorlog.schema.ids import global_id

from mentorlog.app import create_app
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from mentorlog.webhooks import WebhookSender, now, outbox, sign

HERE = Path(__file__).resolve().parent
SYSTEM = "system:bench"
# Proposed: the sender reaches at least half the rate of bare POSTs.
TARGET = 0.5
SET_GOAL = """mutation($input: SetGoalInput!) {
  setGoal(input: $input) { goal { id } userErrors { code message } } }"""


@dataclass(frozen=True)
class Stage:
    """What both measurements share: the mentorship, its mentee, the endpoint."""

    mentorship: str
    mentee: str
    endpoint: str
    secret: str


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stage(services: Services, url: str, secret: str) -> Stage:
    """A program with an endpoint for GoalSet, and a started mentorship."""
    app = services.app
    app.env["WEBHOOKS_ALLOW_PRIVATE"] = "on"  # the receiver is on 127.0.0.1
    admin = app.register_person(
        actor=SYSTEM,
        display_name="Bench admin",
        career_stage="late",
        years_experience=20,
        tenure_years=10,
        capacity=0,
    ).id
    program = app.create_program(
        actor=SYSTEM,
        name="Benchmark program",
        mentor_min_years_experience=5,
        mentee_min_tenure_years=1,
        admins=[admin],
    ).id
    people = []
    for name, stage_, years, tenure in (
        ("Mentor", "late", 18, 6),
        ("Mentee", "early", 3, 2),
    ):
        people.append(
            app.register_person(
                actor=SYSTEM,
                display_name=name,
                career_stage=stage_,
                years_experience=years,
                tenure_years=tenure,
            ).id
        )
    mentor, mentee = people
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=program,
        format="one_on_one",
        participants=[
            {"person_id": mentor, "role": "mentor"},
            {"person_id": mentee, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(mentorship, actor=SYSTEM)
    endpoint = app.register_webhook(
        program,
        actor=person_actor(admin),
        url=url,
        secret=secret,
        event_types=["GoalSet"],
    ).id
    return Stage(mentorship, mentee, endpoint, secret)


def record_goals(services: Services, staged: Stage, n: int, run: int) -> None:
    """Record n goals and let the projections queue their deliveries."""
    actor = person_actor(staged.mentee)
    for i in range(n):
        services.app.set_goal(
            staged.mentorship,
            actor=actor,
            title=f"run {run} goal {i}",
            framework="plain",
        )
    services.runner.catch_up()


def pending(services: Services) -> list[tuple[str, str]]:
    """The pending deliveries' message IDs and bodies."""
    with outbox(services.read_models) as c:
        c.execute(
            "SELECT message_id, body FROM webhook_deliveries WHERE status = 'pending' "
            "ORDER BY position"
        )
        return [(str(m), str(b)) for m, b in c.fetchall()]


def send_all(sender: WebhookSender, services: Services) -> int:
    """Send until nothing is pending; return how many were sent."""
    sent = 0
    while pending(services):
        sent += sender.send_due()
    return sent


def post_all(
    client: httpx.Client, url: str, secret: str, bodies: list[tuple[str, str]]
) -> int:
    """POST the bodies, signed alike, from a plain client; return how many."""
    for message_id, body in bodies:
        headers = {
            "content-type": "application/json",
            **sign(secret, f"{message_id}-again", now(), body),
        }
        client.post(url, content=body.encode(), headers=headers).raise_for_status()
    return len(bodies)


def throughput(
    services: Services, staged: Stage, url: str, n: int, repeat: int
) -> tuple[Figure, Figure]:
    """The sender against plain POSTs, each `repeat` times; the best of each."""
    sender = WebhookSender(services)
    client = httpx.Client(trust_env=False)
    ours: list[Figure] = []
    theirs: list[Figure] = []
    try:
        record_goals(services, staged, 20, -1)
        warm = pending(services)
        send_all(sender, services)  # warm: connection, secret, statements
        post_all(client, url, staged.secret, warm)
        for run in range(repeat):
            record_goals(services, staged, n, run)
            bodies = pending(services)
            seconds, sent = timed(lambda: send_all(sender, services))
            ours.append(Figure("WebhookSender.send_due()", sent, seconds, "deliveries"))
            seconds, posted = timed(
                partial(post_all, client, url, staged.secret, bodies)
            )
            theirs.append(Figure("plain httpx POSTs", posted, seconds, "deliveries"))
    finally:
        sender.stop()
        client.close()
    return best(ours), best(theirs)


async def latencies(
    settings: Settings, services: Services, staged: Stage, base: str, count: int
) -> list[float]:
    """Each mutation's seconds until the receiver saw its delivery."""
    token, _ = services.app.issue_token(
        actor=SYSTEM, person_id=staged.mentee, role="participant"
    )
    app = create_app(settings, services)
    found: list[float] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mentorlog.bench"
        ) as api,
        httpx.AsyncClient(base_url=base, trust_env=False, timeout=60) as receiver,
    ):
        mentorship_id = global_id("Mentorship", staged.mentorship)
        pauses = random.Random(7)
        for i in range(count + 2):  # the first two warm up
            # A mutation comes at any moment of the sender's poll, not in step.
            await asyncio.sleep(pauses.uniform(0, settings.webhooks_interval))
            title = f"latency {settings.webhooks_interval:g} {i}"
            variables = {
                "input": {
                    "mentorshipId": mentorship_id,
                    "title": title,
                    "framework": "plain",
                }
            }
            started = time.time()
            answer = await api.post(
                "/graphql",
                json={"query": SET_GOAL, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.json()["data"]["setGoal"]["userErrors"] == [], answer.text
            arrived = (await receiver.get(f"/arrival/{title}")).json()["at"]
            if i >= 2:
                found.append(arrived - started)
    return found


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of them fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main(argv: Sequence[str] | None = None) -> int:
    """Start the receiver, then measure throughput and latency."""
    p = parser(__doc__.splitlines()[0], 500, "deliveries per throughput run (500)")
    p.add_argument(
        "--latency", type=int, default=40, help="mutations per latency run (40)"
    )
    p.add_argument(
        "--interval",
        type=float,
        default=0.05,
        help="the short poll interval measured beside the default (0.05 s)",
    )
    args = p.parse_args(argv)
    secret = new_secret()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    receiver = subprocess.Popen(
        [sys.executable, str(HERE / "_receiver.py"), str(port)],
        env={**os.environ, "WEBHOOK_SECRET": secret},
    )
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/count", trust_env=False)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
            settings = Settings(data_dir=Path(tmp) / "data")
            services = open_services(settings)
            try:
                staged = stage(services, f"{base}/hooks", secret)
                ours, theirs = throughput(
                    services, staged, f"{base}/hooks", args.n, args.repeat
                )
                measured: dict[float, list[float]] = {}
                for interval in (settings.webhooks_interval, args.interval):
                    tuned = replace(settings, webhooks_interval=interval)
                    services.settings = tuned
                    services.__dict__.pop("webhooks", None)  # a sender with these
                    measured[interval] = asyncio.run(
                        latencies(tuned, services, staged, base, args.latency)
                    )
            finally:
                services.close()
    finally:
        receiver.terminate()
        receiver.wait(10)
    lines = [
        f"Latency, mutation to receiver, poll interval {interval:g} s "
        f"({len(values)} mutations one at a time): median "
        f"{1000 * statistics.median(values):.1f} ms, p99 "
        f"{1000 * percentile(values, 0.99):.1f} ms, max {1000 * max(values):.1f} ms."
        for interval, values in measured.items()
    ]
    return report(
        f"Webhook deliveries (per second, best of {args.repeat}; {args.n} a run)",
        [ours, theirs],
        [Verdict("sender / plain POSTs (proposed)", ours.rate / theirs.rate, TARGET)],
        [
            *lines,
            "The receiver verifies each signature (standardwebhooks) in its own "
            "process, served by uvicorn.",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
