"""Per-request DataLoaders: each batches its keys into one `WHERE ... IN (...)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from mentorlog.projections import queries
from mentorlog.projections.queries import ReadDatabase, Row
from strawberry.dataloader import DataLoader

Key = tuple[str, str]


def _by_id(
    db: ReadDatabase,
    fetch: Callable[[ReadDatabase, Sequence[str]], Awaitable[dict[str, Row]]],
) -> DataLoader[str, Row | None]:
    async def load(ids: list[str]) -> list[Row | None]:
        found = await fetch(db, ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _by_key(db: ReadDatabase, table: str) -> DataLoader[Key, Row | None]:
    async def load(keys: list[Key]) -> list[Row | None]:
        found = await queries.entities_by_key(db, table, keys)
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


def _lists(db: ReadDatabase, table: str) -> DataLoader[str, list[Row]]:
    async def load(ids: list[str]) -> list[list[Row]]:
        grouped = await queries.rows_by_mentorship(db, table, ids)
        return [grouped[i] for i in ids]

    return DataLoader(load_fn=load)


class Loaders:
    """The DataLoaders of one request (or of the reads after one mutation)."""

    def __init__(self, db: ReadDatabase) -> None:
        self.program = _by_id(db, queries.programs_by_id)
        self.person = _by_id(db, queries.people_by_id)
        self.mentorship = _by_id(db, queries.mentorships_by_id)
        self.goal = _by_key(db, "goals")
        self.milestone = _by_key(db, "milestones")
        self.meeting = _by_key(db, "meetings")
        self.review = _by_key(db, "reviews")
        self.feedback = _by_key(db, "feedback")
        self.participants = _lists(db, "participants")
        self.goals = _lists(db, "goals")
        self.milestones = _lists(db, "milestones")
        self.meetings = _lists(db, "meetings")
        self.reviews = _lists(db, "reviews")
        self.feedback_given = _lists(db, "feedback")

        async def mentorships_of(ids: list[str]) -> list[list[Row]]:
            grouped = await queries.mentorships_of_people(db, ids)
            return [grouped[i] for i in ids]

        self.mentorships_of_person: DataLoader[str, list[Row]] = DataLoader(
            load_fn=mentorships_of
        )

    def by_key(self, type_name: str) -> DataLoader[Key, Row | None]:
        """The loader of a per-mentorship node type, by its type name."""
        loaders: dict[str, Any] = {
            "Goal": self.goal,
            "Milestone": self.milestone,
            "Meeting": self.meeting,
            "Review": self.review,
            "Feedback": self.feedback,
        }
        return loaders[type_name]
