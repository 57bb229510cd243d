"""Fixtures: mentorlog opened on a fresh data dir, with this plugin loaded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

SYSTEM = "system:grow-tests"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """Every mentorlog service on this test's own data dir."""
    opened = open_services(Settings(data_dir=tmp_path / "data"))
    yield opened
    opened.close()


@pytest.fixture
def app(services: Services) -> Mentoring:
    """The Mentoring service."""
    return services.app


@dataclass
class People:
    """A program that enables speed mentoring, and three people to pair."""

    program: str
    senior: str
    junior: str
    peer_of_junior: str

    def mentee_actor(self) -> str:
        """The junior person, as an actor."""
        return person_actor(self.junior)


@pytest.fixture
def people(app: Mentoring) -> People:
    """Register a program (default framework GROW) and three people."""

    def person(name: str, stage: str, years: float) -> str:
        return app.register_person(
            actor=SYSTEM,
            display_name=name,
            career_stage=stage,
            years_experience=years,
            tenure_years=min(years, 2),
        ).id

    program = app.create_program(
        actor=SYSTEM,
        name="Speed mentoring day",
        formats=["speed", "one_on_one"],
        default_framework="grow",
    ).id
    return People(
        program=program,
        senior=person("Sam Senior", "late", 20),
        junior=person("Jo Junior", "early", 2),
        peer_of_junior=person("Pat Peer", "early", 2),
    )
