"""Concurrent writers on one mentorship: each command recorded once, or not at all."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import RecordConflictError, Recording
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.commands.base import MAX_ATTEMPTS
from mentorlog.core.errors import Conflict, MentorlogError
from mentorlog.core.privacy import KeyStore
from mentorlog.plugins.manager import Catalog

from mentorlog.services import Services
from tests.conftest import SYSTEM, World


@dataclass(frozen=True)
class Store:
    """How to open another application instance on the same event store."""

    catalog: Catalog
    env: dict[str, str]
    keys: KeyStore | None = None

    def open(self, cls: type[Mentoring] = Mentoring) -> Mentoring:
        """Open an instance of cls on this store (as another process would)."""
        return cls(self.catalog, env=self.env, keys=self.keys)


@pytest.fixture
def store(services: Services) -> Store:
    """The test's event store and key store, for more app instances."""
    return Store(services.catalog, dict(services.app.env), services.app.sealer.keys)


def assert_chains_intact(services: Services) -> None:
    """Every stream's hash chain verifies after the concurrent writes."""
    recorder = services.app.recorder
    assert isinstance(recorder, ChainedRecorder)
    verdicts = verify(recorder)
    assert verdicts and all(v.ok for v in verdicts), [v for v in verdicts if not v.ok]


class CountingMentoring(Mentoring):
    """Counts the saves that lost to a concurrent writer."""

    name = Mentoring.name  # the same store: PostgreSQL names tables after the app

    def __init__(self, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(catalog, **kwargs)
        self.conflicts = 0

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save, counting a conflict before passing it on."""
        try:
            return super().save(*objs, **kwargs)
        except RecordConflictError:
            self.conflicts += 1
            raise


class BarrierMentoring(CountingMentoring):
    """Holds its first save at a barrier shared with other instances."""

    name = Mentoring.name

    def __init__(self, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(catalog, **kwargs)
        self.barrier: threading.Barrier | None = None

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Wait for the other writers on the first save, then save."""
        barrier, self.barrier = self.barrier, None
        if barrier is not None:
            barrier.wait()
        return super().save(*objs, **kwargs)


def barrier_apps(store: Store, count: int) -> list[BarrierMentoring]:
    """Open count instances (as if in as many processes) sharing one barrier."""
    barrier = threading.Barrier(count, timeout=10)
    apps = []
    for _ in range(count):
        app = store.open(BarrierMentoring)
        assert isinstance(app, BarrierMentoring)
        app.barrier = barrier
        apps.append(app)
    return apps


class InterlopingMentoring(Mentoring):
    """Lets a rival writer record a review just before each of its own saves."""

    name = Mentoring.name

    def __init__(self, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(catalog, **kwargs)
        self.rival = Mentoring(catalog, **kwargs)
        self.target = ""
        self.attempts = 0

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Have the rival win the race to the mentorship's next version, then save."""
        self.attempts += 1
        self.rival.record_review(self.target, actor=SYSTEM, progress_rating=3)
        return super().save(*objs, **kwargs)

    def close(self) -> None:
        """Close the rival too."""
        self.rival.close()
        super().close()


def run_together(*commands: Callable[[], Recorded]) -> list[Recorded | Exception]:
    """Run each command in its own thread, started together; return each outcome."""
    results: list[Recorded | Exception] = [RuntimeError("not run")] * len(commands)
    go = threading.Barrier(len(commands), timeout=10)

    def run(i: int, command: Callable[[], Recorded]) -> None:
        go.wait()
        try:
            results[i] = command()
        except Exception as exc:  # reported to the test, which fails on it
            results[i] = exc

    threads = [
        threading.Thread(target=run, args=(i, c)) for i, c in enumerate(commands)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    return results


def stream_length(app: Mentoring, aggregate_id: str) -> int:
    """How many events an aggregate's stream holds (checking they are contiguous)."""
    versions = [e.originator_version for e in app.events.get(UUID(aggregate_id))]
    assert versions == list(range(1, len(versions) + 1))
    return len(versions)


# -- scenarios, shared with the PostgreSQL tests ------------------------------


def hammer(
    world: World, apps: Sequence[Mentoring], each: int = 25, may_conflict: bool = False
) -> int:
    """Threads write to one mentorship; each command lands once or gets CONFLICT."""
    mentorship = world.one_on_one()
    before = stream_length(world.app, mentorship)
    recorded: list[str] = []
    refused: list[Conflict] = []

    def attempt(key: str, command: Callable[..., Recorded], **kwargs: Any) -> None:
        try:
            command(mentorship, **kwargs)
        except Conflict as exc:
            refused.append(exc)
        else:
            recorded.append(key)

    def work(t: int) -> Recorded:
        app = apps[t]
        for i in range(each):
            attempt(
                f"goal {t}-{i}",
                app.set_goal,
                actor=world.mentee_actor,
                title=f"goal {t}-{i}",
                framework="plain",
            )
            attempt(
                f"review {t}-{i}",
                app.record_review,
                actor=world.mentor_actor,
                progress_rating=1 + i % 5,
                went_well=f"review {t}-{i}",
            )
        return Recorded(mentorship, 0)

    outcomes = run_together(*[lambda t=t: work(t) for t in range(len(apps))])
    assert all(isinstance(o, Recorded) for o in outcomes), outcomes
    assert len(recorded) + len(refused) == 2 * each * len(apps)
    assert all(exc.code == "CONFLICT" for exc in refused)
    if not may_conflict:
        assert refused == []

    m = world.app.get_mentorship(mentorship)
    titles = [g["title"] for g in m.goals.values()]
    reviews = [r["went_well"] for r in m.reviews]
    assert sorted(titles + reviews) == sorted(recorded)
    assert len({r["id"] for r in m.reviews}) == len(reviews)
    assert stream_length(world.app, mentorship) == before + len(recorded)
    return len(refused)


def hammer_apart(store: Store, world: World) -> None:
    """Hammer from two instances, as two processes would."""
    apps = [store.open(CountingMentoring) for _ in range(2)]
    try:
        hammer(world, apps, may_conflict=True)
    finally:
        for app in apps:
            app.close()


def forced_conflict(store: Store, world: World) -> None:
    """Two writers load the same version; one conflicts, retries, and both land."""
    mentorship = world.one_on_one()
    before = stream_length(world.app, mentorship)
    first, second = apps = barrier_apps(store, 2)
    try:
        goal, review = run_together(
            lambda: first.set_goal(
                mentorship, actor=world.mentee_actor, title="Raced", framework="plain"
            ),
            lambda: second.record_review(
                mentorship, actor=world.mentor_actor, progress_rating=5
            ),
        )
    finally:
        for app in apps:
            app.close()
    assert isinstance(goal, Recorded), goal
    assert isinstance(review, Recorded), review
    assert first.conflicts + second.conflicts == 1
    m = world.app.get_mentorship(mentorship)
    assert [g["title"] for g in m.goals.values()] == ["Raced"]
    assert [r["id"] for r in m.reviews] == [review.id]
    assert stream_length(world.app, mentorship) == before + 2


def conflict_beyond_the_bound(store: Store, world: World) -> None:
    """Conflicts on every attempt end in CONFLICT, with nothing of the command kept."""
    mentorship = world.one_on_one()
    people = {p: stream_length(world.app, p) for p in (world.mentor, world.mentee)}
    head = world.app.recorder.max_notification_id()
    app = store.open(InterlopingMentoring)
    assert isinstance(app, InterlopingMentoring)
    app.target = mentorship
    try:
        with pytest.raises(Conflict) as info:
            app.complete_mentorship(mentorship, actor=SYSTEM, note="Done")
        assert info.value.code == "CONFLICT"
        assert app.attempts == MAX_ATTEMPTS
    finally:
        app.close()
    # Only the rival's reviews were stored: no Completed, no MentorshipLeft.
    since = world.app.recorder.select_notifications(head, 100, inclusive_of_start=False)
    kinds = [n.topic.rpartition(".")[2] for n in since]
    assert kinds == ["ReviewRecorded"] * MAX_ATTEMPTS
    m = world.app.get_mentorship(mentorship)
    assert m.status == "active"
    assert len(m.reviews) == MAX_ATTEMPTS
    for person, length in people.items():
        assert stream_length(world.app, person) == length
        assert world.app.get_person(person).mentorships == [mentorship]


def racing_starts(store: Store, world: World) -> None:
    """Two starts race for a mentee's one place: one wins, the other is refused."""
    rival_mentor = world.person("Rita Rival", "late", 12, 6)
    proposals = [
        world.app.propose_mentorship(
            actor=SYSTEM,
            program_id=world.program,
            format="one_on_one",
            participants=[
                {"person_id": mentor, "role": "mentor"},
                {"person_id": world.mentee, "role": "mentee"},
            ],
        ).id
        for mentor in (world.mentor, rival_mentor)
    ]
    apps = barrier_apps(store, 2)
    try:
        outcomes = run_together(
            *[
                lambda app=app, p=p: app.start_mentorship(p, actor=SYSTEM)
                for app, p in zip(apps, proposals, strict=True)
            ]
        )
    finally:
        for app in apps:
            app.close()
    assert sum(app.conflicts for app in apps) == 1
    won = [
        p for p, o in zip(proposals, outcomes, strict=True) if isinstance(o, Recorded)
    ]
    lost = [o for o in outcomes if not isinstance(o, Recorded)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], MentorlogError) and lost[0].code == "OVER_CAPACITY"
    assert world.app.get_person(world.mentee).mentorships == won
    statuses = {p: world.app.get_mentorship(p).status for p in proposals}
    assert sorted(statuses.values()) == ["active", "proposed"]
    loser_mentor = rival_mentor if won[0] == proposals[0] else world.mentor
    assert world.app.get_person(loser_mentor).mentorships == []


# -- on SQLite -------------------------------------------------------------------


def test_threads_writing_one_mentorship_lose_nothing(
    services: Services, store: Store, world: World
) -> None:
    """Two threads x 25 goals and 25 reviews: all 100 recorded, none twice."""
    app = store.open(CountingMentoring)
    assert isinstance(app, CountingMentoring)
    try:
        hammer(world, [app, app])
    finally:
        app.close()
    assert app.conflicts == 0  # threads of one process take turns on a stream
    assert_chains_intact(services)


def test_more_threads_lose_nothing(
    services: Services, app: Mentoring, world: World
) -> None:
    """Four threads x 10 goals and 10 reviews: all 80 recorded."""
    hammer(world, [app] * 4, each=10)
    assert_chains_intact(services)


def test_writers_in_two_processes_record_each_command_once_or_not_at_all(
    services: Services, store: Store, world: World
) -> None:
    """Two instances, as two processes: each command is recorded or gets CONFLICT."""
    hammer_apart(store, world)
    assert_chains_intact(services)


def test_a_real_conflict_is_retried(
    services: Services, store: Store, world: World
) -> None:
    """Both commands load the same version; the loser retries and is recorded."""
    forced_conflict(store, world)
    assert_chains_intact(services)


def test_conflicts_beyond_the_bound_raise_conflict(
    services: Services, store: Store, world: World
) -> None:
    """A writer that always loses gives up with CONFLICT and stores nothing."""
    conflict_beyond_the_bound(store, world)
    assert_chains_intact(services)


def test_racing_starts_respect_capacity(
    services: Services, store: Store, world: World
) -> None:
    """The retry re-checks the rules: the second start finds no place left."""
    racing_starts(store, world)
    assert_chains_intact(services)
