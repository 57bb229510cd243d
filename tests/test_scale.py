"""Several processes on one PostgreSQL schema: two API processes, workers, writers."""

from __future__ import annotations

import json
import logging
import multiprocessing
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from click.testing import CliRunner
from mentorlog.core.access import person_actor
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.commands import base as retries
from mentorlog.core.errors import Conflict, MentorlogError

from mentorlog.cli import main
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.backends import dump_read_models, read_rows
from tests.conftest import World, require_postgres
from tests.processes import Process, free_port, wait_healthy, wait_until

WRITERS = 4  # processes writing to one mentorship at once
GOALS_EACH = 25  # goals each writer sets
BACKLOG = 2000  # events recorded while no worker runs


@dataclass
class Cluster:
    """A PostgreSQL schema and the processes started on it."""

    url: str
    data_dir: Path
    logs: Path
    processes: list[Process]

    @property
    def settings(self) -> Settings:
        """Settings for services in this test process, on the same schema."""
        return Settings(data_dir=self.data_dir, database_url=self.url)

    def start(self, name: str, *args: str, **env: str) -> Process:
        """Start `mentorlog ARGS --database-url URL`, logging to NAME.log."""
        process = Process(
            [*args, "--database-url", self.url, "--data", str(self.data_dir)],
            self.logs / f"{name}.log",
            env=env,
        )
        self.processes.append(process)
        return process

    def worker(self, name: str = "worker", **env: str) -> Process:
        """Start a projections worker."""
        return self.start(name, "worker", **env)

    def api(self, name: str) -> tuple[Process, str]:
        """Start an API process without projections; return it and its base URL."""
        port = free_port()
        process = self.start(name, "serve", "--no-projections", "--port", str(port))
        wait_healthy(process, port)
        return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A fresh schema; its processes are killed and the schema dropped afterwards."""
    dsn = require_postgres()
    schema = f"scale_{uuid.uuid4().hex[:10]}"
    logs = tmp_path / "logs"
    logs.mkdir()
    made = Cluster(f"{dsn}?schema={schema}", tmp_path / "data", logs, [])
    yield made
    for process in made.processes:
        process.stop()
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def caught_up(services: Services) -> bool:
    """True when every projection has applied the whole log."""
    return all(lag.behind == 0 for lag in services.runner.status())


def gql(base: str, query: str, token: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL request with a bearer token; return its data (no errors)."""
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return dict(body["data"])


MY_MENTORSHIPS = "{ mentorships(first: 20) { edges { node { id status } } } }"
SET_GOAL = (
    "mutation($input: SetGoalInput!) { setGoal(input: $input) "
    "{ goal { id title } userErrors { code message } } }"
)
GOALS = "query($id: ID!) { node(id: $id) { ... on Mentorship { goals { title } } } }"


def test_a_write_through_one_api_process_is_read_through_another(
    cluster: Cluster,
) -> None:
    demo = CliRunner().invoke(
        main, ["demo", "--database-url", cluster.url, "--data", str(cluster.data_dir)]
    )
    assert demo.exit_code == 0, demo.output
    tokens = json.loads((cluster.data_dir / "demo-tokens.json").read_text())
    token = tokens["participant"]
    cluster.worker()
    (_, a), (_, b) = cluster.api("api-a"), cluster.api("api-b")

    edges = gql(a, MY_MENTORSHIPS, token)["mentorships"]["edges"]
    active = [e["node"]["id"] for e in edges if e["node"]["status"] == "ACTIVE"]
    assert active, edges
    mentorship = active[0]
    for n in range(10):
        # Alternate which process writes; the other reads right after the answer.
        writer, reader = (a, b) if n % 2 == 0 else (b, a)
        title = f"Goal {n} written through {'A' if writer == a else 'B'}"
        payload = gql(
            writer,
            SET_GOAL,
            token,
            input={"mentorshipId": mentorship, "title": title, "framework": "plain"},
        )["setGoal"]
        assert payload["userErrors"] == []
        assert payload["goal"]["title"] == title
        goals = gql(reader, GOALS, token, id=mentorship)["node"]["goals"]
        assert title in [g["title"] for g in goals]


def test_a_worker_killed_mid_catch_up_is_taken_over_and_equals_a_rebuild(
    cluster: Cluster,
) -> None:
    services = open_services(cluster.settings)
    try:
        world = World(services.app)
        mentorship = world.one_on_one()
        goal = services.app.set_goal(
            mentorship, actor=world.mentee_actor, title="Ship it", framework="plain"
        ).id
        for n in range(BACKLOG):
            services.app.record_goal_progress(
                mentorship, goal, actor=world.mentee_actor, percent=n % 100
            )
        head = services.runner.head()

        def positions() -> list[int]:
            return [lag.position for lag in services.runner.status()]

        # Small pages, so the kill lands with most of the backlog still to apply.
        first = cluster.worker("first", MENTORLOG_PAGE_SIZE="20")
        wait_until(lambda: max(positions()) > 0, "the first page", first)
        first.signal(signal.SIGKILL)
        assert first.exit_code() == -signal.SIGKILL
        assert min(positions()) < head  # killed mid-way: the rest is still to do

        second = cluster.worker("second")
        wait_until(lambda: caught_up(services), "the second worker", second)
        second.signal(signal.SIGTERM)
        assert second.exit_code() == 0, second.output
        resumed = dump_read_models(services)

        services.runner.rebuild()
        assert dump_read_models(services) == resumed
        assert set(positions()) == {head}
    finally:
        services.close()


class Collisions(logging.Handler):
    """Counts the optimistic-concurrency collisions the service retried."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count a retried collision."""
        if record.getMessage().startswith("conflict on attempt"):
            self.count += 1


def write_goals(
    url: str,
    data_dir: str,
    mentorship: str,
    writer: int,
    start: Barrier,
    results: Queue[list[str]],
) -> None:
    """Set GOALS_EACH goals on one mentorship; put each outcome (a subprocess)."""
    services = open_services(Settings(data_dir=Path(data_dir), database_url=url))
    outcomes = []
    collisions = Collisions()
    logging.getLogger(retries.__name__).addHandler(collisions)
    logging.getLogger(retries.__name__).setLevel(logging.DEBUG)
    try:
        state = services.app.get_mentorship(mentorship)
        mentee = next(p for p in state.participants if p["role"] == "mentee")
        start.wait(timeout=120)  # every writer is open: they write at once
        for n in range(GOALS_EACH):
            title = f"writer {writer} goal {n}"
            for _ in range(3):  # a CONFLICT is retried with the same key
                try:
                    services.app.set_goal(
                        mentorship,
                        actor=person_actor(mentee["person_id"]),
                        title=title,
                        framework="plain",
                        idempotency_key=title,
                    )
                    outcomes.append(f"set {title}")
                    break
                except Conflict:
                    continue
                except MentorlogError as error:
                    outcomes.append(f"{error.code} {title}")
                    break
            else:
                outcomes.append(f"CONFLICT {title}")
    finally:
        services.close()
        results.put([*outcomes, f"collisions {collisions.count}"])


def test_writers_in_several_processes_on_one_mentorship_lose_nothing(
    cluster: Cluster,
) -> None:
    services = open_services(cluster.settings)
    try:
        world = World(services.app)
        mentorship = world.one_on_one()
        before = services.app.get_mentorship(mentorship).version
        worker = cluster.worker()
        spawn = multiprocessing.get_context("spawn")
        start, results = spawn.Barrier(WRITERS), spawn.Queue()
        writers = [
            spawn.Process(
                target=write_goals,
                args=(
                    cluster.url,
                    str(cluster.data_dir),
                    mentorship,
                    w,
                    start,
                    results,
                ),
            )
            for w in range(WRITERS)
        ]
        for process in writers:
            process.start()
        outcomes = [results.get(timeout=120) for _ in writers]
        for process in writers:
            process.join(60)
        assert [p.exitcode for p in writers] == [0] * WRITERS
        collided = sum(
            int(o.split()[1]) for each in outcomes for o in each if "collisions" in o
        )
        # They did write at once: the service met and retried collisions.
        assert collided > 0
        flat = [o for each in outcomes for o in each if "collisions" not in o]
        assert len(flat) == WRITERS * GOALS_EACH
        written = sorted(o.removeprefix("set ") for o in flat if o.startswith("set "))
        reported = [o for o in flat if not o.startswith("set ")]
        assert all(o.startswith("CONFLICT ") for o in reported), reported
        assert written  # most writes land; a conflict beyond the retries is reported

        # No lost update: the aggregate holds every goal whose command succeeded,
        # once, and none whose command was reported as failed.
        state = services.app.get_mentorship(mentorship)
        titles = sorted(g["title"] for g in state.goals.values())
        assert titles == written
        # No duplicate events: one GoalSet per written goal, versions contiguous.
        recorder = services.app.recorder
        assert isinstance(recorder, ChainedRecorder)
        stored = recorder.select_events(mentorship)
        versions = [s.originator_version for s in stored]
        assert versions == list(range(1, len(stored) + 1))
        assert len(stored) == before + len(written)
        assert all(v.ok for v in verify(recorder, [uuid.UUID(mentorship).hex]))

        wait_until(lambda: caught_up(services), "the worker", worker)
        rows = services.runner.status()
        assert {lag.behind for lag in rows} == {0}
        read = read_goal_titles(services, mentorship)
        assert read == written
    finally:
        services.close()


def read_goal_titles(services: Services, mentorship: str) -> list[str]:
    """The goal titles the read models hold for a mentorship, sorted."""
    rows = read_rows(
        services, "SELECT title FROM goals WHERE mentorship_id = ?", mentorship
    )
    return sorted(str(r[0]) for r in rows)
