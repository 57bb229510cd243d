"""Per-request DataLoaders: each batches its keys into one `WHERE ... IN (...)`.

The loaders of programs, people, mentorships and the objects inside mentorships
read through the request's `ReadScope`: what the principal may not read is absent,
exactly like what does not exist. Lists inside a mentorship are unscoped, since
only a readable mentorship reaches them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from mentorlog.core.policy import ReadScope
from mentorlog.projections import queries
from mentorlog.projections.queries import Reader, Row
from strawberry.dataloader import DataLoader

Key = tuple[str, str]
K = TypeVar("K")
T = TypeVar("T")


class SharedLoader(DataLoader[K, T]):
    """A DataLoader whose callers can be cancelled without failing the others.

    Every caller of one key awaits the same future, and cancelling a task cancels
    the future it awaits: when a field's error cancels its siblings (graphql-core
    does), a sibling waiting on a key would cancel that key for the whole request,
    and another field waiting on it would raise CancelledError, past every error
    handler. Each caller awaits its own shield of the shared future instead.
    """

    def load(self, key: K) -> Awaitable[T]:
        return asyncio.shield(super().load(key))


def _by_id(
    db: Reader,
    fetch: Callable[[Reader, Sequence[str]], Awaitable[dict[str, Row]]],
) -> DataLoader[str, Row | None]:
    async def load(ids: list[str]) -> list[Row | None]:
        found = await fetch(db, ids)
        return [found.get(i) for i in ids]

    return SharedLoader(load_fn=load)


def _by_key(db: Reader, table: str, scope: ReadScope) -> DataLoader[Key, Row | None]:
    async def load(keys: list[Key]) -> list[Row | None]:
        found = await queries.entities_by_key(db, table, keys, scope)
        return [found.get(k) for k in keys]

    return SharedLoader(load_fn=load)


def _lists(db: Reader, table: str) -> DataLoader[str, list[Row]]:
    async def load(ids: list[str]) -> list[list[Row]]:
        grouped = await queries.rows_by_mentorship(db, table, ids)
        return [grouped[i] for i in ids]

    return SharedLoader(load_fn=load)


class Loaders:
    """The DataLoaders of one request (or of the reads after one mutation).

    Each is made on first use: most requests touch two or three of them.
    """

    def __init__(self, db: Reader, scope: ReadScope) -> None:
        self.db = db
        self.scope = scope

    @cached_property
    def program(self) -> DataLoader[str, Row | None]:
        return _by_id(
            self.db, lambda d, ids: queries.programs_by_id(d, ids, self.scope)
        )

    @cached_property
    def person(self) -> DataLoader[str, Row | None]:
        return _by_id(self.db, lambda d, ids: queries.people_by_id(d, ids, self.scope))

    @cached_property
    def mentorship(self) -> DataLoader[str, Row | None]:
        return _by_id(
            self.db, lambda d, ids: queries.mentorships_by_id(d, ids, self.scope)
        )

    # Activity and metrics hang off objects already read through the scope.
    @cached_property
    def activity(self) -> DataLoader[str, Row | None]:
        return _by_id(self.db, queries.activity_by_mentorship)

    @cached_property
    def metrics(self) -> DataLoader[str, Row | None]:
        return _by_id(self.db, queries.metrics_by_program)

    @cached_property
    def goal(self) -> DataLoader[Key, Row | None]:
        return _by_key(self.db, "goals", self.scope)

    @cached_property
    def milestone(self) -> DataLoader[Key, Row | None]:
        return _by_key(self.db, "milestones", self.scope)

    @cached_property
    def meeting(self) -> DataLoader[Key, Row | None]:
        return _by_key(self.db, "meetings", self.scope)

    @cached_property
    def review(self) -> DataLoader[Key, Row | None]:
        return _by_key(self.db, "reviews", self.scope)

    @cached_property
    def feedback(self) -> DataLoader[Key, Row | None]:
        return _by_key(self.db, "feedback", self.scope)

    @cached_property
    def note(self) -> DataLoader[Key, Row | None]:
        return _by_key(self.db, "notes", self.scope)

    @cached_property
    def participants(self) -> DataLoader[str, list[Row]]:
        return _lists(self.db, "participants")

    @cached_property
    def goals(self) -> DataLoader[str, list[Row]]:
        return _lists(self.db, "goals")

    @cached_property
    def milestones(self) -> DataLoader[str, list[Row]]:
        return _lists(self.db, "milestones")

    @cached_property
    def meetings(self) -> DataLoader[str, list[Row]]:
        return _lists(self.db, "meetings")

    @cached_property
    def reviews(self) -> DataLoader[str, list[Row]]:
        return _lists(self.db, "reviews")

    @cached_property
    def feedback_given(self) -> DataLoader[str, list[Row]]:
        return _lists(self.db, "feedback")

    @cached_property
    def notes(self) -> DataLoader[str, list[Row]]:
        return _lists(self.db, "notes")

    @cached_property
    def mentorships_of_person(self) -> DataLoader[str, list[Row]]:
        db, scope = self.db, self.scope

        async def mentorships_of(ids: list[str]) -> list[list[Row]]:
            grouped = await queries.mentorships_of_people(db, ids, scope)
            return [grouped[i] for i in ids]

        return SharedLoader(load_fn=mentorships_of)

    @cached_property
    def active_mentorships_of_person(self) -> DataLoader[str, int]:
        db, scope = self.db, self.scope

        async def active_counts(ids: list[str]) -> list[int]:
            counts = await queries.active_mentorship_counts(db, ids, scope)
            return [counts[i] for i in ids]

        return SharedLoader(load_fn=active_counts)

    def by_key(self, type_name: str) -> DataLoader[Key, Row | None]:
        """The loader of a per-mentorship node type, by its type name."""
        loaders: dict[str, Any] = {
            "Goal": self.goal,
            "Milestone": self.milestone,
            "Meeting": self.meeting,
            "Review": self.review,
            "Feedback": self.feedback,
            "Note": self.note,
        }
        return loaders[type_name]
