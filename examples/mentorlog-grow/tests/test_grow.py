"""The GROW framework: its own checks, and goals set with it through the service."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from conftest import SYSTEM, People
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import GoalInvalid
from mentorlog.plugins.interfaces import GoalContext
from mentorlog.plugins.manager import load_catalog

from mentorlog_grow.grow import GROW, split_options

TODAY = date(2026, 3, 2)


def grow_fields(**changes: Any) -> dict[str, Any]:
    """A valid GROW goal, with some fields changed or (given None) removed."""
    fields: dict[str, Any] = {
        "goal": "Lead the team's next release",
        "reality": "I have shipped features but never coordinated a release",
        "options": "Shadow the current release lead\nRun a dry-run release",
        "will": "Ask the release lead to shadow the next release",
        "will_by": (TODAY + timedelta(days=7)).isoformat(),
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def test_the_entry_point_adds_grow() -> None:
    framework = load_catalog().framework("grow")
    assert framework is GROW
    assert [f.name for f in framework.fields] == [
        "goal",
        "reality",
        "options",
        "will",
        "will_by",
    ]


def test_split_options_accepts_lines_and_semicolons() -> None:
    assert split_options("a; b\n\n c ;") == ["a", "b", "c"]


@pytest.mark.parametrize(
    "fields",
    [
        grow_fields(),
        grow_fields(options="Shadow the lead; Run a dry run; Read the runbook"),
        grow_fields(will_by=TODAY.isoformat()),
    ],
)
def test_valid_grow_goals(fields: dict[str, Any]) -> None:
    assert GROW.validate(fields, GoalContext(today=TODAY)) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (grow_fields(reality=None), "fields.reality", "reality is required"),
        (grow_fields(options="Just try harder"), "fields.options", "at least 2"),
        (grow_fields(options="Ask Ann; ask ann"), "fields.options", "different"),
        (grow_fields(will=None), "fields.will", "will is required"),
        (
            grow_fields(will="Lead the team's next release"),
            "fields.will",
            "first step",
        ),
        (grow_fields(will_by=None), "fields.will_by", "will_by is required"),
        (grow_fields(will_by="next week"), "fields.will_by", "YYYY-MM-DD"),
        (
            grow_fields(will_by=(TODAY - timedelta(days=1)).isoformat()),
            "fields.will_by",
            "today or later",
        ),
        (grow_fields(wish="more time"), "fields.wish", "unknown field"),
    ],
)
def test_invalid_grow_goals(fields: dict[str, Any], field: str, message: str) -> None:
    problems = GROW.validate(fields, GoalContext(today=TODAY))
    assert [p.field for p in problems] == [field]
    assert message in problems[0].message


def _speed(app: Mentoring, people: People) -> str:
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=people.program,
        format="speed",
        participants=[
            {"person_id": people.senior, "role": "mentor"},
            {"person_id": people.junior, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(mentorship, actor=SYSTEM)
    return mentorship


def test_a_grow_goal_is_set_through_the_service(app: Mentoring, people: People) -> None:
    app.today = lambda: TODAY
    mentorship = _speed(app, people)
    goal = app.set_goal(
        mentorship,
        actor=people.mentee_actor(),
        title="Release lead",
        fields=grow_fields(),
    ).id
    recorded = app.get_mentorship(mentorship).goal(goal)
    assert recorded["framework"] == "grow"  # the program's default framework
    assert recorded["fields"] == grow_fields()
    app.record_goal_progress(mentorship, goal, actor=SYSTEM, percent=40)
    assert app.get_mentorship(mentorship).goal(goal)["progress"] == 40


def test_an_invalid_grow_goal_is_refused_and_nothing_recorded(
    app: Mentoring, people: People
) -> None:
    app.today = lambda: TODAY
    mentorship = _speed(app, people)
    before = app.recorder.max_notification_id()
    with pytest.raises(GoalInvalid) as refused:
        app.set_goal(
            mentorship,
            actor=people.mentee_actor(),
            title="Release lead",
            framework="grow",
            fields=grow_fields(options="Only one way"),
        )
    assert refused.value.code == "GOAL_INVALID"
    assert [p.field for p in refused.value.problems] == ["fields.options"]
    assert app.recorder.max_notification_id() == before
    assert app.get_mentorship(mentorship).goals == {}
