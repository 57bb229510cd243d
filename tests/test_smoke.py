"""A first walk through the service: a mentorship recorded and projected."""

from __future__ import annotations

import sqlite3

from mentorlog.services import Services
from tests.conftest import World


def test_started_mentorship_is_projected(services: Services, world: World) -> None:
    mentorship = world.one_on_one()
    services.runner.catch_up()
    with sqlite3.connect(services.settings.views_db) as con:
        status, fmt = con.execute(
            "SELECT status, format FROM mentorships WHERE id = ?", (mentorship,)
        ).fetchone()
    assert (status, fmt) == ("active", "one_on_one")
