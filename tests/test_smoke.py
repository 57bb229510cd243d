"""A first walk through the service: a mentorship recorded and projected."""

from __future__ import annotations

from mentorlog.services import Services
from tests.backends import read_rows
from tests.conftest import World


def test_started_mentorship_is_projected(services: Services, world: World) -> None:
    mentorship = world.one_on_one()
    services.runner.catch_up()
    (row,) = read_rows(
        services, "SELECT status, format FROM mentorships WHERE id = ?", mentorship
    )
    assert row == ("active", "one_on_one")
