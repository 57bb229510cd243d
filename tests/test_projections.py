"""The read side: resuming after a crash, atomic pages, lag, and read-your-writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eventsourcing.persistence import IntegrityError
from mentorlog.core.application import Mentoring
from mentorlog.core.mentorship import Mentorship
from mentorlog.projections.base import Projection, handles
from mentorlog.projections.goals import Goals
from mentorlog.projections.runner import Progress, ProjectionRunner
from mentorlog.projections.sqlite import open_read_models

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.backends import read_rows
from tests.conftest import World
from tests.test_replay import EVENT_CLASSES, RECIPES, dump_read_models


class Crash(Exception):
    """The process dies here."""


def crash_after(pages: int) -> Progress:
    """A progress callback that kills the catch-up once this many pages are done."""
    done = 0

    def progress(position: int, head: int) -> None:
        nonlocal done
        done += 1
        if done == pages:
            raise Crash(f"killed after {pages} pages, at {position} of {head}")

    return progress


def record_everything(app: Mentoring) -> None:
    """Record every event type through the service, in several streams."""
    for event_class in EVENT_CLASSES:
        RECIPES[event_class](app, World(app))


def goal(app: Mentoring, world: World, mentorship: str, title: str) -> int:
    """Set a plain goal; return the log position it was recorded at."""
    return app.set_goal(
        mentorship, actor=world.mentee_actor, title=title, framework="plain"
    ).position


def goal_titles(path: Path, table: str = "goals") -> list[str]:
    """The titles in a goals-like table, sorted."""
    with sqlite3.connect(path) as con:
        return sorted(row[0] for row in con.execute(f"SELECT title FROM {table}"))


def service_goal_titles(services: Services) -> list[str]:
    """The titles in the services' goals read model (either backend), sorted."""
    return sorted(str(row[0]) for row in read_rows(services, "SELECT title FROM goals"))


# -- crash and resume -------------------------------------------------------


def test_a_killed_catch_up_resumes_and_equals_a_rebuild(settings: Settings) -> None:
    """Kill a paged catch-up midway; new services resume exactly where it stopped."""
    first = open_services(settings)
    try:
        record_everything(first.app)
        head = first.app.recorder.max_notification_id()
        assert head > 30
        runner = ProjectionRunner(
            first.app, first.read_models, first.runner.projections, page_size=7
        )
        with pytest.raises(Crash):
            runner.catch_up(progress=crash_after(3))
        assert {lag.position for lag in runner.status()} == {21}
    finally:
        first.close()  # the process is gone; only the files remain

    second = open_services(settings)
    try:
        assert {(lag.position, lag.behind) for lag in second.runner.status()} == {
            (21, head - 21)
        }
        assert second.runner.catch_up() == head - 21  # nothing read twice
        resumed = dump_read_models(second)
        assert all(rows for rows in resumed.values())
        second.runner.rebuild()
        rebuilt = dump_read_models(second)
    finally:
        second.close()
    for table, rows in rebuilt.items():
        assert resumed[table] == rows, table


def test_a_catch_up_stopped_after_a_page_resumes(
    services: Services, app: Mentoring, world: World
) -> None:
    """catch_up(max_pages=1) applies one page; the next call carries on from there."""
    mentorship = world.one_on_one()
    for i in range(6):
        goal(app, world, mentorship, f"goal {i}")
    runner = ProjectionRunner(
        app, services.read_models, services.runner.projections, page_size=4
    )
    assert runner.catch_up(max_pages=1) == 4
    assert runner.position == 4
    runner.catch_up()
    incremental = dump_read_models(services)
    runner.rebuild()
    assert dump_read_models(services) == incremental
    assert service_goal_titles(services) == [f"goal {i}" for i in range(6)]


# -- one transaction for rows and position -----------------------------------


class Fragile(Projection):
    """Goal titles, written one by one; fails on a title of its choosing."""

    name = "fragile"
    tables = ("fragile",)
    ddl = ("CREATE TABLE IF NOT EXISTS fragile (id TEXT PRIMARY KEY, title TEXT)",)
    fail_on: ClassVar[str | None] = "boom"

    @handles(Mentorship.GoalSet)
    def goal_set(self, c: Any, e: Any, pos: int) -> None:
        """Insert the goal's row, then fail if told to (after the write)."""
        c.execute("INSERT INTO fragile VALUES (?, ?)", (e.goal_id, e.title))
        if e.title == self.fail_on:
            raise RuntimeError(f"handler failed on '{e.title}'")


class Clashing(Projection):
    """One row per mentorship, keyed so a second goal clashes with the first."""

    name = "clashing"
    tables = ("clashing",)
    ddl = ("CREATE TABLE IF NOT EXISTS clashing (id TEXT PRIMARY KEY, title TEXT)",)

    @handles(Mentorship.GoalSet)
    def goal_set(self, c: Any, e: Any, pos: int) -> None:
        """Insert a row per goal under the mentorship's ID (a bug, on purpose)."""
        c.execute("INSERT INTO clashing VALUES (?, ?)", (str(e.originator_id), e.title))


def test_a_failing_handler_leaves_rows_and_position_unchanged(
    tmp_path: Path, app: Mentoring, world: World
) -> None:
    """Rows already written in the failed page roll back with its position."""
    path = tmp_path / "fragile.db"
    store = open_read_models(path, [Fragile()])
    try:
        runner = ProjectionRunner(app, store, [Fragile()])
        mentorship = world.one_on_one()
        goal(app, world, mentorship, "a")
        before = goal(app, world, mentorship, "b")
        runner.catch_up()
        assert goal_titles(path, "fragile") == ["a", "b"]
        assert store.position("fragile") == before

        goal(app, world, mentorship, "c")
        head = goal(app, world, mentorship, "boom")
        with pytest.raises(RuntimeError, match="boom"):
            runner.catch_up()
        assert goal_titles(path, "fragile") == ["a", "b"]  # not even 'c'
        assert store.position("fragile") == before
        (lag,) = runner.status()
        assert (lag.position, lag.behind) == (before, head - before)
        # A runner started afresh sees the same position.
        assert ProjectionRunner(app, store, [Fragile()]).position == before

        Fragile.fail_on = None
        runner.catch_up()
        assert goal_titles(path, "fragile") == ["a", "b", "boom", "c"]
        assert store.position("fragile") == head
    finally:
        Fragile.fail_on = "boom"
        store.datastore.close()


def test_a_handler_integrity_error_is_raised_not_retried_forever(
    tmp_path: Path, app: Mentoring, world: World
) -> None:
    """A handler's own constraint violation fails the catch-up; nothing moves."""
    path = tmp_path / "clashing.db"
    store = open_read_models(path, [Clashing()])
    try:
        runner = ProjectionRunner(app, store, [Clashing()])
        mentorship = world.one_on_one()
        goal(app, world, mentorship, "first")
        goal(app, world, mentorship, "second")
        with pytest.raises(IntegrityError):
            runner.catch_up(max_pages=3)
        assert store.position("clashing") == 0
        assert goal_titles(path, "clashing") == []
    finally:
        store.datastore.close()


# -- lag ---------------------------------------------------------------------


def test_status_shows_each_projections_lag(
    services: Services, app: Mentoring, world: World
) -> None:
    """Before, during and after a catch-up: position, head and events behind."""
    mentorship = world.one_on_one()
    goal(app, world, mentorship, "Grow")
    head = app.recorder.max_notification_id()
    names = [p.name for p in services.runner.projections]

    lags = services.runner.status()
    assert [lag.name for lag in lags] == names
    assert {(lag.position, lag.head, lag.behind) for lag in lags} == {(0, head, head)}

    paged = ProjectionRunner(
        app, services.read_models, services.runner.projections, page_size=3
    )
    paged.catch_up(max_pages=1)
    lags = services.runner.status()
    assert {(lag.position, lag.behind) for lag in lags} == {(3, head - 3)}

    paged.catch_up()
    assert {(lag.position, lag.behind) for lag in services.runner.status()} == {
        (head, 0)
    }


# -- read-your-writes --------------------------------------------------------


def test_wait_for_returns_once_the_follower_applied_a_write(
    services: Services, app: Mentoring, world: World
) -> None:
    """With the follower running a write is readable after wait_for; stopped, no."""
    runner = services.runner
    mentorship = world.one_on_one()
    runner.start()
    try:
        position = goal(app, world, mentorship, "Seen")
        assert runner.wait_for(position, timeout=10)
        assert service_goal_titles(services) == ["Seen"]
    finally:
        runner.stop()

    position = goal(app, world, mentorship, "Not yet")
    assert runner.wait_for(position, timeout=0.2) is False
    assert service_goal_titles(services) == ["Seen"]
    assert all(lag.behind > 0 for lag in runner.status())

    runner.start()
    try:
        assert runner.wait_for(position, timeout=10)
        assert service_goal_titles(services) == ["Not yet", "Seen"]
    finally:
        runner.stop()


async def test_wait_for_async_returns_once_the_follower_applied_a_write(
    services: Services, app: Mentoring, world: World
) -> None:
    """The async wait sees the follower's progress, and times out when stopped."""
    runner = services.runner
    mentorship = world.one_on_one()
    runner.start()
    try:
        position = goal(app, world, mentorship, "Seen")
        assert await runner.wait_for_async(position, timeout=10)
        assert service_goal_titles(services) == ["Seen"]
    finally:
        runner.stop()
    position = goal(app, world, mentorship, "Not yet")
    assert await runner.wait_for_async(position, timeout=0.2) is False


# -- projection classes ---------------------------------------------------------


def test_a_projection_subclass_keeps_its_inherited_handlers() -> None:
    """Overriding one handler keeps the others; the override is the one used."""

    class AuditedGoals(Goals):
        """Goals, with an overridden GoalSet handler."""

        @handles(Mentorship.GoalSet)
        def goal_set(self, c: Any, e: Any, pos: int) -> None:
            """Apply as Goals does."""
            super().goal_set(c, e, pos)

    class QuietGoals(Goals):
        """Goals, with an undecorated override of the achieved handler."""

        def achieved(self, c: Any, e: Any, pos: int) -> None:
            """Ignore achievements."""

    assert set(AuditedGoals.handlers) == set(Goals.handlers)
    assert AuditedGoals.handlers[Mentorship.GoalSet] is AuditedGoals.goal_set
    assert AuditedGoals.handlers[Mentorship.GoalRevised] is Goals.goal_revised
    assert QuietGoals.handlers[Mentorship.GoalAchieved] is QuietGoals.achieved
