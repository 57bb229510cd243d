"""Built-in goal frameworks through the service: valid goals, refusals, progress."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import GoalInvalid, UnknownFramework

from tests.conftest import SYSTEM, World

# Domain rules, checked in the service before anything is stored: one backend is
# enough (test_replay, test_lifecycle and the API tests run on both).
pytestmark = pytest.mark.sqlite_only("domain rules, the same on every store")

TODAY = date(2026, 3, 2)
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


@pytest.fixture
def mentorship(world: World) -> str:
    """An active one-on-one mentorship, with the service's clock fixed to TODAY."""
    world.app.today = lambda: TODAY
    return world.one_on_one()


def smart(**changes: Any) -> dict[str, Any]:
    """Valid SMART fields, with some changed or (given None) removed."""
    fields: dict[str, Any] = {
        "specific": "Give a talk at the internal tech forum",
        "measurable": "One 20-minute talk, rated 4/5 or better",
        "achievable": "I have two months and a topic I know well",
        "relevant": "Visibility is part of the next promotion step",
        "due": TOMORROW,
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def smarty(**changes: Any) -> dict[str, Any]:
    """Valid SMARTY fields: SMART plus the mentee's 'yours'."""
    return smart(**{"yours": True, **changes})


def kr(description: str = "Talks given", target: Any = 3, **extra: Any) -> Any:
    """One OKR key result."""
    return {"description": description, "target": target, **extra}


def okr(*results: Any, **changes: Any) -> dict[str, Any]:
    """OKR fields with these key results (one by default)."""
    fields: dict[str, Any] = {
        "objective": "Become a confident speaker",
        "key_results": list(results) if results else [kr()],
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def _set(
    world: World, mentorship: str, framework: str, fields: Any, actor: str | None
) -> str:
    return world.app.set_goal(
        mentorship,
        actor=actor or world.mentee_actor,
        title="A goal",
        framework=framework,
        fields=fields,
    ).id


def _refused(
    world: World, mentorship: str, framework: str, fields: Any, actor: str | None
) -> GoalInvalid:
    """Set a goal, expect GOAL_INVALID and check nothing was recorded."""
    app: Mentoring = world.app
    before = app.recorder.max_notification_id()
    with pytest.raises(GoalInvalid) as refused:
        _set(world, mentorship, framework, fields, actor)
    assert refused.value.code == "GOAL_INVALID"
    assert app.recorder.max_notification_id() == before
    assert app.get_mentorship(mentorship).goals == {}
    return refused.value


MENTEE, MENTOR, SYSTEM_ACTOR = "mentee", "mentor", "system"


def _actor(world: World, who: str) -> str:
    return {
        MENTEE: world.mentee_actor,
        MENTOR: world.mentor_actor,
        SYSTEM_ACTOR: SYSTEM,
    }[who]


VALID: list[tuple[str, str, Any, str]] = [
    ("plain", "no fields", {}, MENTEE),
    ("plain", "a description", {"description": "Speak up more"}, MENTOR),
    ("smart", "due tomorrow", smart(), MENTEE),
    ("smart", "set by the mentor", smart(), MENTOR),
    ("smart", "due next year", smart(due="2027-03-02"), SYSTEM_ACTOR),
    ("smarty", "the mentee confirms", smarty(), MENTEE),
    ("okr", "one key result", okr(), MENTOR),
    (
        "okr",
        "five key results, with units",
        okr(*(kr(f"KR {i}", 10 * i + 0.5, unit="talks") for i in range(1, 6))),
        MENTEE,
    ),
]


@pytest.mark.parametrize(
    ("framework", "case", "fields", "who"),
    VALID,
    ids=[f"{fw}: {case}" for fw, case, _, _ in VALID],
)
def test_valid_goals_are_recorded(
    world: World, mentorship: str, framework: str, case: str, fields: Any, who: str
) -> None:
    app = world.app
    before = app.recorder.max_notification_id()
    goal_id = _set(world, mentorship, framework, fields, _actor(world, who))
    assert app.recorder.max_notification_id() == before + 1
    goal = app.get_mentorship(mentorship).goal(goal_id)
    assert (goal["framework"], goal["fields"], goal["status"]) == (
        framework,
        fields,
        "open",
    )


INVALID: list[tuple[str, str, Any, str, list[str], str]] = [
    (
        "plain",
        "a description that is not text",
        {"description": 42},
        MENTEE,
        ["fields.description"],
        "must be text",
    ),
    (
        "plain",
        "an unknown field",
        {"deadline": TOMORROW},
        MENTEE,
        ["fields.deadline"],
        "unknown field",
    ),
    ("plain", "fields not an object", ["x"], MENTEE, ["fields"], "an object"),
    (
        "smart",
        "due today",
        smart(due=TODAY.isoformat()),
        MENTEE,
        ["fields.due"],
        "future",
    ),
    ("smart", "due yesterday", smart(due=YESTERDAY), MENTEE, ["fields.due"], "future"),
    ("smart", "due not a date", smart(due="soon"), MENTEE, ["fields.due"], "YYYY"),
    ("smart", "no due date", smart(due=None), MENTEE, ["fields.due"], "required"),
    (
        "smart",
        "measurable missing",
        smart(measurable=None),
        MENTEE,
        ["fields.measurable"],
        "required",
    ),
    (
        "smart",
        "specific blank",
        smart(specific="   "),
        MENTEE,
        ["fields.specific"],
        "required",
    ),
    (
        "smart",
        "a missing field and a past date, both reported",
        smart(relevant=None, due=YESTERDAY),
        MENTEE,
        ["fields.relevant", "fields.due"],
        "required",
    ),
    (
        "smart",
        "an unknown field",
        smart(yours=True),
        MENTEE,
        ["fields.yours"],
        "unknown field",
    ),
    (
        "smarty",
        "the mentor confirms for the mentee",
        smarty(),
        MENTOR,
        ["fields.yours"],
        "only the mentee",
    ),
    (
        "smarty",
        "a system actor confirms",
        smarty(),
        SYSTEM_ACTOR,
        ["fields.yours"],
        "only the mentee",
    ),
    (
        "smarty",
        "not confirmed",
        smarty(yours=False),
        MENTEE,
        ["fields.yours"],
        "must confirm",
    ),
    (
        "smarty",
        "yours missing",
        smarty(yours=None),
        MENTEE,
        ["fields.yours"],
        "required",
    ),
    (
        "smarty",
        "yours not a boolean",
        smarty(yours="yes"),
        MENTEE,
        ["fields.yours"],
        "true or false",
    ),
    (
        "smarty",
        "SMART's own rules still apply",
        smarty(due=YESTERDAY),
        MENTEE,
        ["fields.due"],
        "future",
    ),
    (
        "okr",
        "no key results",
        okr(key_results=[]),
        MENTEE,
        ["fields.key_results"],
        "1 to 5",
    ),
    (
        "okr",
        "six key results",
        okr(*(kr(f"KR {i}") for i in range(6))),
        MENTEE,
        ["fields.key_results"],
        "1 to 5",
    ),
    (
        "okr",
        "key results not a list",
        okr(key_results="three talks"),
        MENTEE,
        ["fields.key_results"],
        "a list",
    ),
    (
        "okr",
        "no objective",
        okr(objective=None),
        MENTEE,
        ["fields.objective"],
        "required",
    ),
    (
        "okr",
        "a text target",
        okr(kr(target="3")),
        MENTEE,
        ["fields.key_results.0"],
        "numeric target",
    ),
    (
        "okr",
        "a zero target",
        okr(kr(), kr(target=0)),
        MENTEE,
        ["fields.key_results.1"],
        "above 0",
    ),
    (
        "okr",
        "a negative target",
        okr(kr(target=-2)),
        MENTEE,
        ["fields.key_results.0"],
        "above 0",
    ),
    (
        "okr",
        "a boolean target",
        okr(kr(target=True)),
        MENTEE,
        ["fields.key_results.0"],
        "numeric",
    ),
    (
        "okr",
        "a NaN target",
        okr(kr(target=float("nan"))),
        MENTEE,
        ["fields.key_results.0"],
        "numeric",
    ),
    (
        "okr",
        "an infinite target",
        okr(kr(target=float("inf"))),
        MENTEE,
        ["fields.key_results.0"],
        "numeric",
    ),
    (
        "okr",
        "no description",
        okr(kr(description="  ")),
        MENTEE,
        ["fields.key_results.0"],
        "description",
    ),
    (
        "okr",
        "a key result that is not an object",
        okr(kr(), "three talks"),
        MENTEE,
        ["fields.key_results.1"],
        "an object",
    ),
    (
        "okr",
        "an unknown key result field",
        okr(kr(owner="me")),
        MENTEE,
        ["fields.key_results.0"],
        "unknown key result fields",
    ),
    (
        "okr",
        "a unit that is not text",
        okr(kr(unit=3)),
        MENTEE,
        ["fields.key_results.0"],
        "unit",
    ),
]


@pytest.mark.parametrize(
    ("framework", "case", "fields", "who", "where", "message"),
    INVALID,
    ids=[f"{row[0]}: {row[1]}" for row in INVALID],
)
def test_invalid_goals_raise_goal_invalid_and_record_nothing(
    world: World,
    mentorship: str,
    framework: str,
    case: str,
    fields: Any,
    who: str,
    where: list[str],
    message: str,
) -> None:
    error = _refused(world, mentorship, framework, fields, _actor(world, who))
    assert [p.field for p in error.problems] == where
    assert message in error.problems[0].message


def test_an_unknown_framework_is_refused_and_nothing_recorded(
    world: World, mentorship: str
) -> None:
    before = world.app.recorder.max_notification_id()
    with pytest.raises(UnknownFramework) as refused:
        _set(world, mentorship, "grow", {}, None)
    assert refused.value.code == "UNKNOWN_FRAMEWORK"
    assert world.app.recorder.max_notification_id() == before


def test_the_program_default_framework_applies_when_none_is_given(
    world: World, mentorship: str
) -> None:
    app = world.app
    goal_id = app.set_goal(
        mentorship, actor=world.mentee_actor, title="Talk", fields=smart()
    ).id
    assert app.get_mentorship(mentorship).goal(goal_id)["framework"] == "smart"
    before = app.recorder.max_notification_id()
    with pytest.raises(GoalInvalid):
        app.set_goal(mentorship, actor=world.mentee_actor, title="Talk", fields={})
    assert app.recorder.max_notification_id() == before


def test_a_peer_confirms_their_own_smarty_goal(world: World) -> None:
    app = world.app
    app.today = lambda: TODAY
    peers = [world.person(f"Peer {i}", "mid", 8, 3) for i in range(2)]
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="peer",
        participants=[{"person_id": p, "role": "peer"} for p in peers],
    ).id
    goal_id = _set(world, mentorship, "smarty", smarty(), person_actor(peers[0]))
    assert app.get_mentorship(mentorship).goal(goal_id)["owner_id"] == peers[0]


def test_only_the_mentee_may_revise_a_smarty_goal(
    world: World, mentorship: str
) -> None:
    app = world.app
    goal_id = _set(world, mentorship, "smarty", smarty(), world.mentee_actor)
    before = app.recorder.max_notification_id()
    with pytest.raises(GoalInvalid) as refused:
        app.revise_goal(
            mentorship,
            goal_id,
            actor=world.mentor_actor,
            fields=smarty(due="2026-06-01"),
        )
    assert refused.value.code == "GOAL_INVALID"
    assert app.recorder.max_notification_id() == before
    app.revise_goal(
        mentorship, goal_id, actor=world.mentee_actor, fields=smarty(due="2026-06-01")
    )
    assert app.get_mentorship(mentorship).goal(goal_id)["fields"]["due"] == "2026-06-01"


def test_a_revision_is_checked_like_a_new_goal(world: World, mentorship: str) -> None:
    app = world.app
    goal_id = _set(world, mentorship, "okr", okr(), None)
    before = app.recorder.max_notification_id()
    with pytest.raises(GoalInvalid) as refused:
        app.revise_goal(
            mentorship, goal_id, actor=world.mentee_actor, fields=okr(kr(target=0))
        )
    assert [p.field for p in refused.value.problems] == ["fields.key_results.0"]
    assert app.recorder.max_notification_id() == before
    assert app.get_mentorship(mentorship).goal(goal_id)["fields"] == okr()


# -- progress ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "progress"),
    [
        ([0, 0], 0.0),
        ([5, 2], 50.0),  # half of each target
        ([10, 1], 62.5),  # (100% + 25%) / 2
        ([25, 4], 100.0),  # over target counts as 100%
        ([2.5, 0], 12.5),
    ],
)
def test_okr_progress_is_computed_from_key_results(
    world: World, mentorship: str, current: list[float], progress: float
) -> None:
    app = world.app
    goal_id = _set(world, mentorship, "okr", okr(kr(target=10), kr(target=4)), None)
    app.record_goal_progress(
        mentorship, goal_id, actor=world.mentee_actor, key_results=current
    )
    assert app.get_mentorship(mentorship).goal(goal_id)["progress"] == progress


@pytest.mark.parametrize(
    ("measurement", "where"),
    [
        ({"key_results": [5]}, "keyResults"),  # one value short
        ({"key_results": [5, 1, 1]}, "keyResults"),  # one too many
        ({"key_results": [5, -1]}, "keyResults.1"),
        ({"key_results": [float("nan"), 1]}, "keyResults.0"),
        ({"percent": 50}, "keyResults"),  # an OKR is measured by its key results
    ],
)
def test_invalid_okr_progress_is_refused_and_nothing_recorded(
    world: World, mentorship: str, measurement: dict[str, Any], where: str
) -> None:
    app = world.app
    goal_id = _set(world, mentorship, "okr", okr(kr(target=10), kr(target=4)), None)
    before = app.recorder.max_notification_id()
    with pytest.raises(GoalInvalid) as refused:
        app.record_goal_progress(
            mentorship, goal_id, actor=world.mentee_actor, **measurement
        )
    assert refused.value.code == "GOAL_INVALID"
    assert [p.field for p in refused.value.problems] == [where]
    assert app.recorder.max_notification_id() == before
    assert app.get_mentorship(mentorship).goal(goal_id)["progress"] == 0.0


@pytest.mark.parametrize(
    ("framework", "fields"),
    [("plain", {}), ("smart", smart()), ("smarty", smarty())],
)
def test_percent_progress_for_the_other_frameworks(
    world: World, mentorship: str, framework: str, fields: dict[str, Any]
) -> None:
    app = world.app
    goal_id = _set(world, mentorship, framework, fields, None)
    app.record_goal_progress(mentorship, goal_id, actor=world.mentee_actor, percent=40)
    assert app.get_mentorship(mentorship).goal(goal_id)["progress"] == 40.0
    before = app.recorder.max_notification_id()
    for bad in ({"percent": 101}, {"percent": -1}, {}, {"key_results": [1]}):
        with pytest.raises(GoalInvalid) as refused:
            app.record_goal_progress(
                mentorship, goal_id, actor=world.mentee_actor, **bad
            )
        assert [p.field for p in refused.value.problems] == ["percent"]
    assert app.recorder.max_notification_id() == before
    assert app.get_mentorship(mentorship).goal(goal_id)["progress"] == 40.0


def test_built_in_frameworks_declare_their_fields(app: Mentoring) -> None:
    fields = {
        name: [(f.name, f.type, f.required) for f in fw.fields]
        for name, fw in app.catalog.frameworks.items()
    }
    smart_fields = [
        ("specific", "text", True),
        ("measurable", "text", True),
        ("achievable", "text", True),
        ("relevant", "text", True),
        ("due", "date", True),
    ]
    assert fields == {
        "plain": [("description", "text", False)],
        "smart": smart_fields,
        "smarty": [*smart_fields, ("yours", "boolean", True)],
        "okr": [("objective", "text", True), ("key_results", "key_results", True)],
    }
