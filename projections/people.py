"""Projection of people: the people table; calendar_feeds, whose feed a hash is."""

from __future__ import annotations

from typing import Any

from mentorlog.core.person import Person
from mentorlog.core.privacy import ERASED
from mentorlog.projections.base import (
    H,
    Projection,
    dumps,
    handles,
    iso,
    oid,
)


def on_erasure(method: H) -> H:
    """Mark the handler that blanks a table's private content of an erased person."""
    return handles(Person.Erased)(method)


class People(Projection):
    """People with their career profile and how many mentorships they take."""

    name = "people"
    # v2: calendar_feeds.
    version = 2
    tables = ("people", "calendar_feeds")
    ddl = (
        "CREATE TABLE IF NOT EXISTS people ("
        "id TEXT PRIMARY KEY, seq INTEGER NOT NULL, display_name TEXT NOT NULL, "
        "career_stage TEXT NOT NULL, years_experience REAL NOT NULL, "
        "tenure_years REAL NOT NULL, skills TEXT NOT NULL, interests TEXT NOT NULL, "
        "capacity INTEGER NOT NULL, active_mentorships INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, email TEXT, "
        "erased INTEGER NOT NULL DEFAULT 0)",
        # Keyset pages in seq order, all and by career stage, without a sort.
        "CREATE INDEX IF NOT EXISTS people_seq ON people (seq)",
        "CREATE INDEX IF NOT EXISTS people_stage ON people (career_stage, seq)",
        # The person a calendar feed's token hash names (the Person says if it holds).
        "CREATE TABLE IF NOT EXISTS calendar_feeds ("
        "feed_hash TEXT PRIMARY KEY, person_id TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS calendar_feeds_person "
        "ON calendar_feeds (person_id)",
    )

    @handles(Person.Registered)
    def registered(self, c: Any, e: Any, pos: int) -> None:
        name = self.sealer.open(e.display_name)
        c.execute(
            "INSERT INTO people VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                oid(e),
                pos,
                ERASED if name is None else name,
                e.career_stage,
                e.years_experience,
                e.tenure_years,
                dumps(e.skills),
                dumps(e.interests),
                e.capacity,
                0,
                iso(e.timestamp),
                iso(e.timestamp),
                self.sealer.open(e.email),
                int(name is None),
            ),
        )

    @handles(Person.Erased)
    def erased(self, c: Any, e: Any, pos: int) -> None:
        c.execute(
            "UPDATE people SET display_name = ?, email = NULL, erased = 1, "
            "updated_at = ? WHERE id = ?",
            (ERASED, iso(e.timestamp), oid(e)),
        )
        c.execute("DELETE FROM calendar_feeds WHERE person_id = ?", (oid(e),))

    @handles(Person.MentorshipJoined, Person.MentorshipLeft)
    def load_changed(self, c: Any, e: Any, pos: int) -> None:
        step = 1 if isinstance(e, Person.MentorshipJoined) else -1
        c.execute(
            "UPDATE people SET active_mentorships = active_mentorships + ?, "
            "updated_at = ? WHERE id = ?",
            (step, iso(e.timestamp), oid(e)),
        )

    @handles(Person.CalendarFeedCreated)
    def calendar_feed_created(self, c: Any, e: Any, pos: int) -> None:
        c.execute("DELETE FROM calendar_feeds WHERE person_id = ?", (oid(e),))
        c.execute("INSERT INTO calendar_feeds VALUES (?,?)", (e.feed_hash, oid(e)))

    @handles(Person.CalendarFeedRevoked)
    def calendar_feed_revoked(self, c: Any, e: Any, pos: int) -> None:
        c.execute("DELETE FROM calendar_feeds WHERE person_id = ?", (oid(e),))
