"""Planned meetings: the program's connection plan, else the mentorship's format's."""

from __future__ import annotations

import pytest
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import NotFound
from mentorlog.plugins.builtin.formats import STANDARD_PLAN

from tests.conftest import SYSTEM, World

# Domain rules, checked in the service before anything is stored: one backend is
# enough (test_replay, test_lifecycle and the API tests run on both).
pytestmark = pytest.mark.sqlite_only("domain rules, the same on every store")

WHEN = "2030-01-07T10:00:00Z"
PROGRAM_PLAN = [
    {"title": "Kick-off", "week_start": 1, "week_end": 2, "agenda": ["Meet the team"]},
    {"title": "Wrap-up", "week_start": 10, "week_end": 12, "agenda": ["Look back"]},
]


def test_without_a_program_plan_the_formats_plan_gives_the_agenda(
    app: Mentoring, world: World
) -> None:
    assert app.get_program(world.program).connection_plan == []
    mentorship = world.one_on_one()
    for planned in STANDARD_PLAN:
        meeting = app.schedule_meeting(
            mentorship,
            actor=world.mentor_actor,
            scheduled_for=WHEN,
            plan_number=planned.number,
        ).id
        recorded = app.get_mentorship(mentorship).meetings[meeting]
        assert recorded["agenda"] == list(planned.agenda)
        assert recorded["plan_number"] == planned.number
    assert STANDARD_PLAN[1].agenda == ("Refine short-term goals", "Agree tasks")


def test_an_agenda_given_wins_over_the_formats_plan(
    app: Mentoring, world: World
) -> None:
    mentorship = world.one_on_one()
    meeting = app.schedule_meeting(
        mentorship,
        actor=world.mentor_actor,
        scheduled_for=WHEN,
        agenda=["Mock interview"],
        plan_number=2,
    ).id
    recorded = app.get_mentorship(mentorship).meetings[meeting]
    assert (recorded["agenda"], recorded["plan_number"]) == (["Mock interview"], 2)


def test_a_program_plan_replaces_the_formats_plan(app: Mentoring, world: World) -> None:
    app.set_connection_plan(world.program, actor=SYSTEM, meetings=PROGRAM_PLAN)
    mentorship = world.one_on_one()
    first = app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for=WHEN, plan_number=1
    ).id
    assert app.get_mentorship(mentorship).meetings[first]["agenda"] == ["Meet the team"]
    # The format's plan has a meeting 3; the program's plan, which wins, has not.
    assert len(STANDARD_PLAN) >= 3
    before = app.recorder.max_notification_id()
    with pytest.raises(NotFound) as missing:
        app.schedule_meeting(
            mentorship, actor=world.mentor_actor, scheduled_for=WHEN, plan_number=3
        )
    assert missing.value.field == "planNumber"
    assert app.recorder.max_notification_id() == before


@pytest.mark.parametrize("plan_number", [len(STANDARD_PLAN) + 1, 0])
def test_a_number_beyond_the_formats_plan_is_not_found(
    app: Mentoring, world: World, plan_number: int
) -> None:
    mentorship = world.one_on_one()
    before = app.recorder.max_notification_id()
    with pytest.raises(NotFound) as missing:
        app.schedule_meeting(
            mentorship,
            actor=world.mentor_actor,
            scheduled_for=WHEN,
            plan_number=plan_number,
        )
    assert (missing.value.code, missing.value.field) == ("NOT_FOUND", "planNumber")
    assert f"no meeting {plan_number}" in missing.value.message
    assert app.recorder.max_notification_id() == before


def test_a_format_without_a_plan_has_no_planned_meetings(
    app: Mentoring, world: World
) -> None:
    assert app.catalog.formats["group"].connection_plan == ()
    other = world.person("Noor Mentee", "early", 3, 3)
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="group",
        participants=[
            {"person_id": world.mentor, "role": "mentor"},
            {"person_id": world.mentee, "role": "mentee"},
            {"person_id": other, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(mentorship, actor=SYSTEM)
    with pytest.raises(NotFound):
        app.schedule_meeting(
            mentorship, actor=world.mentor_actor, scheduled_for=WHEN, plan_number=1
        )
    # Without a plan number the meeting is still scheduled, with its own agenda.
    meeting = app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for=WHEN, agenda=["Intro"]
    ).id
    assert app.get_mentorship(mentorship).meetings[meeting]["plan_number"] is None
