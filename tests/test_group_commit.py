"""Group commit: concurrent saves share one transaction, and each stays its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from mentorlog.core import merkle
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.errors import IdempotencyKeyReused, MentorlogError
from mentorlog.core.storage.group import Save
from mentorlog.core.transparency import Transparency, recomputed_events

from mentorlog.services import Services
from tests.conftest import SYSTEM, World
from tests.processes import wait_until


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
    ).id


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
