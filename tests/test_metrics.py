"""Read models for nudges and program metrics, checked against a built scenario."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.projections.activity import days_since
from mentorlog.projections.program_metrics import ratio

from mentorlog.services import Services
from tests.backends import dump_read_models, read_dicts
from tests.conftest import SYSTEM, World


def rows(services: Services, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of a read-model query, as dicts (either backend)."""
    return read_dicts(services, sql, *params)


def metrics(services: Services, program: str) -> dict[str, Any]:
    """A program's metrics row."""
    (row,) = rows(
        services, "SELECT * FROM program_metrics WHERE program_id = ?", program
    )
    return row


def activity(services: Services, mentorship: str) -> dict[str, Any]:
    """A mentorship's activity row."""
    (row,) = rows(
        services, "SELECT * FROM activity WHERE mentorship_id = ?", mentorship
    )
    return row


def last_timestamp(app: Mentoring, mentorship: str) -> str:
    """The time of the stream's latest event, as the read models write it."""
    (event,) = app.events.get(UUID(mentorship), desc=True, limit=1)
    return str(event.timestamp.isoformat())


@dataclass
class Scenario:
    """One program with a mentorship in each state, and a second program."""

    completed: str
    ended: str
    paused: str
    proposed: str
    active: str
    other_program: str
    empty_program: str


def pair(app: Mentoring, world: World, mentee_name: str) -> tuple[str, str]:
    """A one-on-one proposal of a new mentor and a new mentee; the mentee acts."""
    mentor = world.person(f"Mentor of {mentee_name}", "late", 15, 6)
    mentee = world.person(mentee_name, "early", 3, 3)
    proposal = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": mentor, "role": "mentor"},
            {"person_id": mentee, "role": "mentee"},
        ],
    ).id
    return proposal, person_actor(mentee)


def build(services: Services, app: Mentoring, world: World) -> Scenario:
    """The scenario of the metrics tests, caught up now and then along the way."""
    app.add_starter_goal(
        world.program, actor=SYSTEM, title="Onboard", framework="plain"
    )
    catch_up = services.runner.catch_up
    mentor = world.mentor_actor

    # Completed: 2 own goals (1 achieved), reviews 4 and 5, 2 meetings held and
    # 1 cancelled, feedback rated 5 and 3 and one unrated.
    completed = world.one_on_one()
    mentee = world.mentee_actor
    goal = app.set_goal(completed, actor=mentee, title="Speak", framework="plain").id
    app.set_goal(completed, actor=mentee, title="Write", framework="plain")
    app.record_goal_progress(completed, goal, actor=mentee, percent=50)
    catch_up()
    app.achieve_goal(completed, goal, actor=mentee)
    for when in ("2030-01-07T10:00:00Z", "2030-02-07T10:00:00Z", "2030-03-07T10:00Z"):
        app.schedule_meeting(completed, actor=mentor, scheduled_for=when)
    meetings = list(app.get_mentorship(completed).meetings)
    app.hold_meeting(completed, meetings[0], actor=mentor)
    app.hold_meeting(completed, meetings[1], actor=mentor, attended=[world.mentee])
    app.cancel_meeting(completed, meetings[2], actor=mentee, reason="Ill")
    app.record_review(completed, actor=mentor, progress_rating=4)
    catch_up()
    app.record_review(completed, actor=mentee, progress_rating=5)
    app.give_feedback(completed, actor=mentee, text="Great", rating=5)
    app.give_feedback(completed, actor=mentor, text="Good", rating=3)
    app.give_feedback(completed, actor=SYSTEM, text="Noted", source="program")
    app.complete_mentorship(completed, actor=SYSTEM, note="Goals met")

    # Ended: a review of 2.
    ended, ended_mentee = pair(app, world, "Eli Ended")
    app.start_mentorship(ended, actor=SYSTEM)
    app.record_review(ended, actor=ended_mentee, progress_rating=2)
    app.end_mentorship(ended, actor=ended_mentee, reason="Moved teams")
    catch_up()

    # Paused, proposed, and active with a goal abandoned and feedback rated 4.
    paused, paused_mentee = pair(app, world, "Pia Paused")
    app.start_mentorship(paused, actor=SYSTEM)
    app.pause_mentorship(paused, actor=paused_mentee, reason="Leave")
    proposed, _ = pair(app, world, "Pat Proposed")
    active, active_mentee = pair(app, world, "Ada Active")
    app.start_mentorship(active, actor=SYSTEM)
    dropped = app.set_goal(
        active, actor=active_mentee, title="Drop", framework="plain"
    ).id
    app.abandon_goal(active, dropped, actor=active_mentee, reason="Not now")
    app.give_feedback(active, actor=active_mentee, text="Helpful", rating=4)

    # Another program: one completed mentorship, rated 1; and one with none.
    other = app.create_program(actor=SYSTEM, name="Other", formats=["one_on_one"]).id
    other_pair = app.propose_mentorship(
        actor=SYSTEM,
        program_id=other,
        format="one_on_one",
        participants=[
            {"person_id": world.person("Olga", "late", 9, 4), "role": "mentor"},
            {"person_id": world.person("Omar", "early", 1, 1), "role": "mentee"},
        ],
    ).id
    app.start_mentorship(other_pair, actor=SYSTEM)
    app.record_review(other_pair, actor=SYSTEM, progress_rating=1)
    app.complete_mentorship(other_pair, actor=SYSTEM)
    empty = app.create_program(actor=SYSTEM, name="Empty").id
    catch_up()
    return Scenario(completed, ended, paused, proposed, active, other, empty)


@pytest.fixture
def scenario(services: Services, app: Mentoring, world: World) -> Scenario:
    """The scenario, with the read models caught up."""
    return build(services, app, world)


# -- program metrics ---------------------------------------------------------------


def test_program_metrics_count_the_scenario(
    services: Services, world: World, scenario: Scenario
) -> None:
    """Counts and rates of the program, worked out by hand from the scenario."""
    row = metrics(services, world.program)
    statuses = {s: row[s] for s in ("proposed", "active", "paused", "completed")}
    assert statuses == {"proposed": 1, "active": 1, "paused": 1, "completed": 1}
    assert row["ended"] == 1
    assert row["completion_rate"] == 0.5  # 1 completed of 2 closed
    assert (row["reviews"], row["review_rating_sum"]) == (3, 11)  # 4 + 5 + 2
    assert row["avg_progress_rating"] == pytest.approx(11 / 3)
    assert (row["rated_feedback"], row["feedback_rating_sum"]) == (3, 12)
    assert row["satisfaction"] == 4.0  # (5 + 3 + 4) / 3; unrated feedback not
    # 4 started mentorships x 1 starter goal, + 2 in the completed, + 1 in the active.
    assert (row["goals_set"], row["goals_achieved"], row["goals_abandoned"]) == (
        7,
        1,
        1,
    )
    assert row["goal_rate"] == pytest.approx(1 / 7)
    assert row["meetings_held"] == 2  # the cancelled one does not count


def test_programs_are_counted_apart(services: Services, scenario: Scenario) -> None:
    """The other program sees only its own mentorship; an empty one has no rates."""
    other = metrics(services, scenario.other_program)
    assert (other["completed"], other["active"], other["completion_rate"]) == (
        1,
        0,
        1.0,
    )
    assert (other["reviews"], other["avg_progress_rating"]) == (1, 1.0)
    empty = metrics(services, scenario.empty_program)
    assert all(empty[s] == 0 for s in ("proposed", "active", "goals_set"))
    rates = ("completion_rate", "avg_progress_rating", "satisfaction", "goal_rate")
    assert [empty[r] for r in rates] == [None] * 4


def test_a_mentorship_moves_between_status_counts(
    services: Services, app: Mentoring, world: World
) -> None:
    """Proposed, active, paused, active, completed: one count at a time."""

    def counts() -> tuple[int, ...]:
        services.runner.catch_up()
        row = metrics(services, world.program)
        return tuple(row[s] for s in ("proposed", "active", "paused", "completed"))

    mentorship = world.one_on_one(start=False)
    assert counts() == (1, 0, 0, 0)
    app.start_mentorship(mentorship, actor=SYSTEM)
    assert counts() == (0, 1, 0, 0)
    app.pause_mentorship(mentorship, actor=SYSTEM, reason="Leave")
    assert counts() == (0, 0, 1, 0)
    app.resume_mentorship(mentorship, actor=SYSTEM)
    assert counts() == (0, 1, 0, 0)
    app.complete_mentorship(mentorship, actor=SYSTEM)
    assert counts() == (0, 0, 0, 1)


def test_ratio_has_no_value_without_a_whole() -> None:
    """Nothing closed yet is no completion rate, not a rate of zero."""
    assert ratio(0, 0) is None
    assert ratio(0, 4) == 0.0
    assert ratio(3, 4) == 0.75


# -- activity --------------------------------------------------------------------


def test_activity_names_the_last_interaction(
    services: Services, app: Mentoring, scenario: Scenario
) -> None:
    """Kind, time and actor of the last interaction, and how many there were."""
    done = activity(services, scenario.completed)
    assert done["status"] == "completed"
    assert (done["last_kind"], done["last_by"]) == ("feedback", SYSTEM)
    # 1 progress, 1 achieved, 2 meetings held, 2 reviews, 3 feedback.
    assert done["interactions"] == 9
    assert done["last_at"] == done["quiet_since"]
    ended = activity(services, scenario.ended)
    assert (ended["status"], ended["last_kind"]) == ("ended", "review")
    assert ended["last_at"] < ended["updated_at"]  # the end is no interaction
    active = activity(services, scenario.active)
    assert (active["last_kind"], active["interactions"]) == ("feedback", 1)
    assert active["last_at"] == last_timestamp(app, scenario.active)


def test_a_quiet_mentorship_counts_from_its_start(
    services: Services, scenario: Scenario
) -> None:
    """No interaction yet: quiet since the proposal, then since the start."""
    proposal = activity(services, scenario.proposed)
    assert (proposal["status"], proposal["last_kind"]) == ("proposed", None)
    assert (proposal["last_at"], proposal["interactions"]) == (None, 0)
    assert proposal["quiet_since"] == proposal["updated_at"]
    paused = activity(services, scenario.paused)
    assert paused["status"] == "paused"
    assert paused["last_kind"] is None
    assert paused["quiet_since"] < paused["updated_at"]  # the pause restarts nothing


def test_resuming_restarts_the_quiet_clock(
    services: Services, app: Mentoring, world: World
) -> None:
    """After a pause, days count from the resumption, not the last interaction."""
    mentorship = world.one_on_one()
    app.record_review(mentorship, actor=world.mentor_actor, progress_rating=3)
    app.pause_mentorship(mentorship, actor=SYSTEM, reason="Leave")
    app.resume_mentorship(mentorship, actor=SYSTEM)
    services.runner.catch_up()
    row = activity(services, mentorship)
    assert row["last_kind"] == "review"
    assert row["quiet_since"] == last_timestamp(app, mentorship) > row["last_at"]


def test_days_since_count_whole_days_when_read(
    services: Services, scenario: Scenario
) -> None:
    """Days since grow without events; the quietest open mentorship comes first."""
    quiet = rows(
        services,
        "SELECT mentorship_id, quiet_since FROM activity "
        "WHERE status = 'active' ORDER BY quiet_since",
    )
    assert [r["mentorship_id"] for r in quiet] == [scenario.active]
    since = datetime.fromisoformat(quiet[0]["quiet_since"])
    assert days_since(quiet[0]["quiet_since"], since + timedelta(days=10)) == 10
    assert days_since(quiet[0]["quiet_since"], since + timedelta(hours=47)) == 1
    assert days_since(quiet[0]["quiet_since"], since - timedelta(days=1)) == 0


# -- rebuild ---------------------------------------------------------------------


def test_a_rebuild_equals_the_incremental_read_models(
    services: Services, scenario: Scenario
) -> None:
    """Caught up in steps while the scenario ran; rebuilt in one go: the same."""
    tables = ("activity", "program_metrics", "program_metrics_mentorships")
    incremental = dump_read_models(services)
    assert all(incremental[t] for t in tables)
    services.runner.rebuild()
    rebuilt = dump_read_models(services)
    for table in tables:
        assert rebuilt[table] == incremental[table], table
