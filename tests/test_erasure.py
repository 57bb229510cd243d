"""Erasure: destroying a person's key hides their data; history replays and verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from mentorlog.core.access import person_actor
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.errors import CannotEraseSelf, InvalidTransition, LastAdmin
from mentorlog.core.history import history
from mentorlog.core.privacy import ERASED

from mentorlog.cli import main
from mentorlog.services import Services, open_services
from tests.backends import cli_args, read_rows, stored_bytes
from tests.conftest import SYSTEM, World

NAME = "Quentin Quarrington"
EMAIL = "quentin@example.org"
SECRET_GOAL = "Leave this team by spring"


@pytest.fixture
def erasable(services: Services, world: World) -> tuple[str, str]:
    """A mentee with an email and a private goal, in a started mentorship."""
    app = services.app
    person = app.register_person(
        actor=SYSTEM,
        display_name=NAME,
        career_stage="early",
        years_experience=3,
        tenure_years=3,
        email=EMAIL,
    ).id
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": world.mentor, "role": "mentor"},
            {"person_id": person, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(mentorship, actor=SYSTEM)
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    app.set_goal(
        mentorship,
        actor=f"person:{person}",
        title=SECRET_GOAL,
        framework="smart",
        private=True,
        fields={
            "specific": "a",
            "measurable": "b",
            "achievable": "c",
            "relevant": "d",
            "due": due,
        },
    )
    app.set_goal(
        mentorship, actor=f"person:{person}", title="Public goal", framework="plain"
    )
    services.runner.catch_up()
    return person, mentorship


def rows(services: Services, sql: str) -> list[tuple[object, ...]]:
    """Read rows from the read models (either backend)."""
    return read_rows(services, sql)


def test_personal_data_never_reaches_the_event_store_in_clear(
    services: Services, erasable: tuple[str, str]
) -> None:
    raw = stored_bytes(services)
    for secret in (NAME, EMAIL, SECRET_GOAL):
        assert secret.encode() not in raw
    assert rows(
        services, f"SELECT display_name, email FROM people WHERE id = '{erasable[0]}'"
    ) == [(NAME, EMAIL)]
    titles = {r[0] for r in rows(services, "SELECT title FROM goals")}
    assert SECRET_GOAL in titles


def test_erasure_hides_data_and_keeps_history_verifiable(
    services: Services, erasable: tuple[str, str]
) -> None:
    person, mentorship = erasable
    recorder = services.app.recorder
    assert isinstance(recorder, ChainedRecorder)
    before = verify(recorder)
    events_before = len(history(services.app, mentorship))
    services.app.erase_person(person, actor=SYSTEM, reason="asked to be forgotten")
    services.runner.catch_up()
    assert rows(
        services,
        f"SELECT display_name, email, erased FROM people WHERE id = '{person}'",
    ) == [(ERASED, None, 1)]
    goals = dict(
        rows(
            services,
            f"SELECT title, fields FROM goals WHERE mentorship_id = '{mentorship}'",
        )
    )
    assert SECRET_GOAL not in goals and goals["[erased]"] == "{}"
    assert "Public goal" in goals
    # The history replays and the chain verifies, with the same digests.
    assert len(history(services.app, mentorship)) == events_before
    after = {v.stream_id: v for v in verify(recorder)}
    assert all(
        after[v.stream_id].digest == v.digest
        for v in before
        if v.stream_id != person.replace("-", "")
    )
    assert all(v.ok for v in after.values())
    # A rebuild cannot bring the data back: the key is gone.
    services.runner.rebuild()
    assert rows(services, f"SELECT display_name FROM people WHERE id = '{person}'") == [
        (ERASED,)
    ]
    assert SECRET_GOAL not in dict(rows(services, "SELECT title, 1 FROM goals"))
    if services.settings.postgres is None:
        assert b"Quentin" not in (services.settings.data_dir / "keys.db").read_bytes()


def test_erased_private_goal_cannot_be_revised_and_erasure_is_once(
    services: Services, erasable: tuple[str, str]
) -> None:
    person, mentorship = erasable
    services.app.erase_person(person, actor=SYSTEM)
    goal_id = rows(
        services,
        f"SELECT id FROM goals WHERE private = 1 AND mentorship_id = '{mentorship}'",
    )[0][0]
    head = services.app.recorder.max_notification_id()
    with pytest.raises(InvalidTransition, match="erased"):
        services.app.revise_goal(mentorship, str(goal_id), actor=SYSTEM, title="New")
    with pytest.raises(InvalidTransition, match="already erased"):
        services.app.erase_person(person, actor=SYSTEM)
    assert services.app.recorder.max_notification_id() == head


def test_erase_person_command(services: Services, erasable: tuple[str, str]) -> None:
    person, _ = erasable
    where = cli_args(services)
    services.close()
    result = CliRunner().invoke(main, ["erase-person", *where, person])
    assert result.exit_code == 0, result.output
    reopened = open_services(services.settings, create=False)
    try:
        assert reopened.app.name_of(reopened.app.get_person(person)) == ERASED
        lines = (
            CliRunner()
            .invoke(main, ["replay", *where, person, "--json"])
            .output.splitlines()
        )
        assert json.loads(lines[-1])["type"] == "Erased"
    finally:
        reopened.close()


def test_the_key_goes_before_the_erasure_is_recorded(
    services: Services, erasable: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """So a command still sealing for the person cannot leave readable text behind:
    it stores after the key went (read as erased) or before the erasure (blanked)."""
    person, mentorship = erasable
    app = services.app
    record = app._erase_person
    keys_when_recorded = []

    def spy(*args: object, **kwargs: object) -> object:
        keys_when_recorded.append(app.sealer.keys.get(person))
        return record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "_erase_person", spy)
    app.erase_person(person, actor=SYSTEM)
    assert keys_when_recorded == [None]
    head = app.recorder.max_notification_id()
    with pytest.raises(InvalidTransition, match="erased"):
        app.write_note(mentorship, actor=f"person:{person}", text="Too late")
    assert app.recorder.max_notification_id() == head


def test_nobody_erases_themselves(services: Services, world: World) -> None:
    app = services.app
    head = app.recorder.max_notification_id()
    with pytest.raises(CannotEraseSelf) as refused:
        app.erase_person(world.mentee, actor=person_actor(world.mentee))
    assert (refused.value.code, refused.value.field) == (
        "CANNOT_ERASE_SELF",
        "personId",
    )
    assert app.recorder.max_notification_id() == head
    assert app.name_of(app.get_person(world.mentee)) == "Milo Mentee"  # key kept


def test_a_programs_last_admin_is_not_erased(services: Services, world: World) -> None:
    """Ada is the program's only admin; once Maya joins her, either may go, not both.

    Erased admins do not count: the last one who can act stays.
    """
    app = services.app
    head = app.recorder.max_notification_id()
    with pytest.raises(LastAdmin, match="Ada Admin is the last admin of program"):
        app.erase_person(world.admin, actor=SYSTEM)
    assert app.recorder.max_notification_id() == head
    assert app.name_of(app.get_person(world.admin)) == "Ada Admin"
    app.add_program_admin(world.program, actor=SYSTEM, person_id=world.mentor)
    app.erase_person(world.admin, actor=person_actor(world.mentor))
    with pytest.raises(LastAdmin) as refused:
        app.erase_person(world.mentor, actor=SYSTEM)
    assert (refused.value.code, refused.value.field) == ("LAST_ADMIN", "personId")
    assert app.name_of(app.get_person(world.mentor)) == "Maya Mentor"


def test_the_cli_refuses_the_last_admin(services: Services, world: World) -> None:
    where = cli_args(services)
    head = services.app.recorder.max_notification_id()
    services.close()
    result = CliRunner().invoke(main, ["erase-person", *where, world.admin])
    assert result.exit_code == 1
    assert "LAST_ADMIN: Ada Admin is the last admin of program" in result.output
    assert "Traceback" not in result.output
    reopened = open_services(services.settings, create=False)
    try:
        assert reopened.app.recorder.max_notification_id() == head
        assert reopened.app.name_of(reopened.app.get_person(world.admin)) == "Ada Admin"
    finally:
        reopened.close()
