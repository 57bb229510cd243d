"""Group commit: concurrent saves share one transaction, and each stays its own."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mentorlog.core import merkle
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.errors import IdempotencyKeyReused, MentorlogError
from mentorlog.core.storage.group import Save
from mentorlog.core.transparency import Transparency, recomputed_events
from mentorlog.schema.ids import global_id

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.conftest import SYSTEM, World
from tests.processes import Process, free_port, wait_healthy, wait_until


def assert_log_valid(services: Services) -> None:
    """Every chain verifies, and the stored tree is the tree of the log's links."""
    recorder: Any = services.app.recorder
    assert isinstance(recorder, ChainedRecorder)
    verdicts = verify(recorder)
    assert verdicts and all(v.ok for v in verdicts), [v for v in verdicts if not v.ok]
    rebuilt: dict[merkle.Node, bytes] = {}
    for index, (key, version, data) in enumerate(recomputed_events(recorder)):
        assert recorder.leaf_indexes(key)[version] == index
        edge = {node: rebuilt[node] for node in merkle.edge(index)}
        for level, i, digest in merkle.append(index, edge, [data]):
            rebuilt[(level, i)] = digest
    size, root = Transparency(recorder).root()
    assert size == index + 1
    assert merkle.root(size, rebuilt.__getitem__) == root


def proposed(world: World, i: int) -> str:
    """A one-on-one proposal between people of its own (capacity is no limit)."""
    return proposed_with(world, i)[0]


def proposed_with(world: World, i: int) -> tuple[str, str]:
    """A one-on-one proposal between people of its own, and its mentee."""
    mentor = world.person(f"Mentor {i}", "late", 20, 8)
    mentee = world.person(f"Mentee {i}", "early", 3, 3)
    return world.app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": mentor, "role": "mentor"},
            {"person_id": mentee, "role": "mentee"},
        ],
    ).id, mentee


class HeldGroups:
    """Holds the first group's write until `waiting` more saves queued behind it."""

    def __init__(self, services: Services, waiting: int) -> None:
        self.group = services.app.recorder._group  # type: ignore[attr-defined]
        self.write = self.group._write
        self.waiting = waiting
        self.sizes: list[int] = []
        self.group._write = self.held

    def held(self, group: list[Save]) -> None:
        if not self.sizes:
            wait_until(
                lambda: len(self.group._queue) == 1 + self.waiting,
                f"{self.waiting} saves queued behind the first",
            )
        self.sizes.append(len(group))
        self.write(group)


def in_threads(jobs: list[Callable[[], Recorded]]) -> list[Recorded | BaseException]:
    """Run each job in a thread of its own; each one's result or error, in order."""
    results: list[Recorded | BaseException] = [RuntimeError("not run")] * len(jobs)

    def run(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except BaseException as error:  # noqa: BLE001 - returned to the test
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_queued_commands_share_one_commit_and_a_conflict_fails_alone(
    services: Services, world: World
) -> None:
    app: Mentoring = services.app
    mentorships: list[str] = []
    while len(mentorships) < 6:  # on stripes of their own: none waits for another
        m = proposed(world, len(mentorships))
        if all(app._stripe(m) is not app._stripe(n) for n in mentorships):
            mentorships.append(m)
    first, *others = mentorships
    held = HeldGroups(services, len(others))
    gate = threading.Thread(
        target=lambda: app.start_mentorship(first, actor=SYSTEM), daemon=True
    )
    gate.start()
    wait_until(lambda: len(held.group._queue) == 1, "the first save leading")
    # Two of the queued commands reuse one idempotency key on different mentorships:
    # their saves meet on the key's stream, in the same group.
    results = in_threads(
        [
            (
                lambda m=m, i=i: app.start_mentorship(
                    m, actor=SYSTEM, idempotency_key="start" if i < 2 else None
                )
            )
            for i, m in enumerate(others)
        ]
    )
    gate.join()
    assert held.sizes[:2] == [1, len(others)]  # the queued ones in one transaction
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], IdempotencyKeyReused), results
    assert failed[0].code == IdempotencyKeyReused.code
    started = {
        m
        for m in mentorships
        if app.get_mentorship(m).status == "active"  # read your writes
    }
    assert len(started) == len(mentorships) - 1
    assert [r.id for r in results if isinstance(r, Recorded)] == [
        m for m in others if m in started
    ]
    assert_log_valid(services)


def test_a_conflicting_save_in_a_group_is_undone_alone(
    services: Services, world: World
) -> None:
    app: Mentoring = services.app
    recorder: Any = app.recorder
    a, b = proposed(world, 1), proposed(world, 2)
    # Two changes of mentorship a from the same version: the second one conflicts.
    changes = []
    for m in (a, a, b):
        mentorship = app.get_mentorship(m)
        mentorship.start(actor=SYSTEM)
        changes.append(
            [app.mapper.to_stored_event(e) for e in mentorship.collect_events()]
        )
    group = [Save(events, {}) for events in changes]
    recorder._group._write(group)
    winner, loser, other = group
    assert winner.error is None and other.error is None
    assert loser.error is not None and loser.ids is None
    assert isinstance(loser.error, Exception)
    assert app.get_mentorship(a).version == app.get_mentorship(b).version
    assert_log_valid(services)


@pytest.mark.parametrize("writers", [12])
def test_concurrent_writers_keep_the_chain_and_the_tree_valid(
    services: Services, world: World, writers: int
) -> None:
    app: Mentoring = services.app
    mentorships = [proposed(world, i) for i in range(writers)]

    def work(m: str) -> Recorded:
        recorded = app.start_mentorship(m, actor=SYSTEM)
        for r in range(4):
            recorded = app.record_review(m, actor=SYSTEM, progress_rating=1 + r % 5)
            assert app.get_mentorship(m).version == r + 3  # read your writes
        return recorded

    results = in_threads([lambda m=m: work(m) for m in mentorships])
    assert all(isinstance(r, Recorded) for r in results), [
        r for r in results if isinstance(r, MentorlogError | Exception)
    ]
    assert_log_valid(services)
    assert all(app.get_mentorship(m).version == 6 for m in mentorships)


CLIENTS = 12  # concurrent clients, each on a mentorship of its own
SET_GOAL = (
    "mutation($input: SetGoalInput!) { setGoal(input: $input) "
    "{ goal { title } userErrors { code } } }"
)


def test_a_server_killed_under_group_commit_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    services = open_services(settings)
    world = World(services.app)
    clients = []
    for i in range(CLIENTS):
        m, person = proposed_with(world, i)
        services.app.start_mentorship(m, actor=SYSTEM)
        token, _ = services.app.issue_token(
            actor=SYSTEM, person_id=person, role="participant"
        )
        clients.append((global_id("Mentorship", m), token, m))
    services.close()
    port = free_port()

    def serve(name: str) -> Process:
        server = Process(
            ["serve", "--data", str(settings.data_dir), "--port", str(port)],
            tmp_path / f"{name}.log",
        )
        wait_healthy(server, port)
        return server

    server = serve("first")
    acknowledged: set[str] = set()
    unanswered: list[tuple[str, str, str]] = []  # (token, title, input) to retry
    lock = threading.Lock()
    stop = threading.Event()

    def post(token: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": SET_GOAL, "variables": {"input": body}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        payload = response.json()["data"]["setGoal"]
        assert payload["userErrors"] == [], payload
        return dict(payload)

    def client(number: int) -> None:
        node, token, _ = clients[number]
        i = 0
        while not stop.is_set():
            title = f"Goal {i} of client {number}"
            body = {
                "mentorshipId": node,
                "title": title,
                "framework": "plain",
                "idempotencyKey": title,
            }
            try:
                post(token, body)
            except httpx.TransportError:
                with lock:
                    unanswered.append((token, title, json.dumps(body)))
                return
            with lock:
                acknowledged.add(title)
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acknowledged) >= 3 * CLIENTS, "writes acknowledged")
    server.signal(signal.SIGKILL)
    assert server.exit_code() == -signal.SIGKILL
    stop.set()
    for thread in threads:
        thread.join()
    server = serve("second")
    try:
        for token, title, body in unanswered:  # each retried with its key
            post(token, json.loads(body))
            acknowledged.add(title)
    finally:
        server.stop()
    services = open_services(settings)
    try:
        titles: list[str] = []
        for _, _, m in clients:
            titles.extend(
                g["title"] for g in services.app.get_mentorship(m).goals.values()
            )
        assert acknowledged <= set(titles)  # no acknowledged write lost
        assert len(titles) == len(set(titles))  # no retried write recorded twice
        assert_log_valid(services)
    finally:
        services.close()
