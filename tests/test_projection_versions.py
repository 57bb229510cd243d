"""A read model whose shape changed replays by itself when the service opens."""

from __future__ import annotations

import sqlite3

import pytest
from mentorlog.projections.meetings import Meetings

from mentorlog.services import Services, open_services
from tests.conftest import SYSTEM, World


def meeting_rows(services: Services) -> list[tuple[object, ...]]:
    """The meetings read model, sorted."""
    with sqlite3.connect(services.settings.views_db) as con:
        return con.execute("SELECT * FROM meetings ORDER BY id").fetchall()


@pytest.mark.sqlite_only("it rewrites the SQLite read-model file to an older shape")
def test_an_older_table_shape_is_rebuilt_on_open(
    services: Services, world: World
) -> None:
    mentorship = world.one_on_one()
    meeting = services.app.schedule_meeting(
        mentorship, actor=SYSTEM, scheduled_for="2026-12-01T10:00:00Z"
    ).id
    services.app.hold_meeting(mentorship, meeting, actor=SYSTEM, notes="Met.")
    services.runner.catch_up()
    expected = meeting_rows(services)
    services.close()
    # An older mentorlog: meetings without the attended column, no versions table.
    with sqlite3.connect(services.settings.views_db) as con:
        con.execute("DROP TABLE meetings")
        con.execute(
            "CREATE TABLE meetings (mentorship_id TEXT, id TEXT, seq INTEGER, "
            "scheduled_for TEXT, status TEXT)"
        )
        con.execute("DROP TABLE projection_versions")
    reopened = open_services(services.settings)
    try:
        reopened.runner.catch_up()
        assert meeting_rows(reopened) == expected
    finally:
        reopened.close()


def test_a_version_bump_replays_only_that_projection(
    services: Services, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.one_on_one()
    services.runner.catch_up()
    head = services.runner.head()
    services.close()
    monkeypatch.setattr(Meetings, "version", Meetings.version + 1)
    reopened = open_services(services.settings)
    try:
        positions = {lag.name: lag.position for lag in reopened.runner.status()}
        assert positions["meetings"] == 0
        assert all(p == head for name, p in positions.items() if name != "meetings")
        reopened.runner.catch_up()
        assert {lag.behind for lag in reopened.runner.status()} == {0}
    finally:
        reopened.close()
