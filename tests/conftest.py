"""Shared fixtures: every service opened on a fresh store, on SQLite and PostgreSQL.

`settings` (and so `services`, `app`, `world` and the API's fixtures) runs each test
twice: on a data directory of its own (SQLite) and on a PostgreSQL schema of its own,
dropped afterwards. A test that reads SQLite files itself is marked
`@pytest.mark.sqlite_only("why")` and runs on SQLite alone, as do the domain-rule
modules (rules, goal frameworks, formats, connection plans, matching), whose checks
run before anything is stored; `read_rows` reads the read models on either backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import psycopg
import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from psycopg import sql

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.backends import read_rows as read_backend_rows

SYSTEM = "system:tests"
BACKENDS = ("sqlite", "postgres")
ReadRows = Callable[..., list[tuple[Any, ...]]]
# Plugins installed in this environment (such as the example in examples/), read
# before any test puts its own on sys.path: the fixtures leave them out, so tests
# see the built-ins and the plugins they make, whatever else is installed.
INSTALLED_PLUGINS = tuple(sorted({ep.name for ep in entry_points(group="mentorlog")}))


def pytest_configure(config: pytest.Config) -> None:
    """Declare the sqlite_only marker."""
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): run on the SQLite backend only (the reason says why: "
        "it reads SQLite files, or it checks rules no store changes)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that opens services on each backend (sqlite_only: SQLite)."""
    if "backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("sqlite_only")
    metafunc.parametrize("backend", ["sqlite"] if marker else list(BACKENDS))


@pytest.fixture
def backend() -> str:
    """The backend a test runs on (parametrized by pytest_generate_tests)."""
    return "sqlite"


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty store of this test's own: a data dir or a schema."""
    data_dir = tmp_path / "data"
    if backend == "sqlite":
        yield Settings(
            data_dir=data_dir, poll_interval=0.05, disabled_plugins=INSTALLED_PLUGINS
        )
        return
    dsn = require_postgres()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield Settings(
        data_dir=data_dir,
        database_url=f"{dsn}?schema={schema}",
        poll_interval=0.05,
        disabled_plugins=INSTALLED_PLUGINS,
    )
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Plugins, event store, read models and runner on the test's data dir."""
    opened = open_services(settings)
    yield opened
    opened.close()


@pytest.fixture
def read_rows(services: Services) -> ReadRows:
    """Run a query (? placeholders) on the read models, on either backend."""

    def read(query: str, *params: Any) -> list[tuple[Any, ...]]:
        return read_backend_rows(services, query, *params)

    return read


@pytest.fixture
def app(services: Services) -> Mentoring:
    """The application service, the only way to change state."""
    return services.app


class World:
    """A small program with people at each career stage, built through the service."""

    def __init__(self, app: Mentoring) -> None:
        self.app = app
        self.admin = app.register_person(
            actor=SYSTEM,
            display_name="Ada Admin",
            career_stage="late",
            years_experience=25,
            tenure_years=10,
            capacity=0,
        ).id
        self.program = app.create_program(
            actor=SYSTEM,
            name="Engineering mentoring",
            description="Grow engineers.",
            mentor_min_years_experience=5,
            mentee_min_tenure_years=2,
            formats=["one_on_one", "reverse", "circle", "peer", "group"],
            default_framework="smart",
            admins=[self.admin],
        ).id
        self.mentor = self.person("Maya Mentor", "late", 20, 8, capacity=2)
        self.mentee = self.person("Milo Mentee", "early", 3, 3)

    def person(
        self, name: str, stage: str, years: float, tenure: float, capacity: int = 1
    ) -> str:
        """Register a person and return their ID."""
        return self.app.register_person(
            actor=SYSTEM,
            display_name=name,
            career_stage=stage,
            years_experience=years,
            tenure_years=tenure,
            capacity=capacity,
        ).id

    def one_on_one(self, start: bool = True) -> str:
        """Propose (and by default start) a one-on-one mentorship."""
        mentorship = self.app.propose_mentorship(
            actor=SYSTEM,
            program_id=self.program,
            format="one_on_one",
            participants=[
                {"person_id": self.mentor, "role": "mentor"},
                {"person_id": self.mentee, "role": "mentee"},
            ],
        ).id
        if start:
            self.app.start_mentorship(mentorship, actor=SYSTEM)
        return mentorship

    @property
    def mentee_actor(self) -> str:
        """The mentee, as an actor."""
        return person_actor(self.mentee)

    @property
    def mentor_actor(self) -> str:
        """The mentor, as an actor."""
        return person_actor(self.mentor)


@pytest.fixture
def world(app: Mentoring) -> World:
    """A program, its admin, a mentor and a mentee."""
    return World(app)


def postgres_dsn() -> str | None:
    """The PostgreSQL server tests may use, if one answers; else None."""
    import psycopg

    dsn = os.environ.get(
        "MENTORLOG_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
    )
    try:
        with psycopg.connect(dsn, connect_timeout=2):
            return dsn
    except psycopg.Error:
        return None


def require_postgres() -> str:
    """Return the PostgreSQL DSN, skip without one, and fail under CI=true."""
    dsn = postgres_dsn()
    if dsn is None:
        message = (
            "no PostgreSQL server answers at 127.0.0.1:5432 "
            "(set MENTORLOG_TEST_POSTGRES)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI requires PostgreSQL: {message}")
        pytest.skip(message)
    return dsn
