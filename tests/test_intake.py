"""A program's intake: enrolment, waitlist, requests, suggestions and bulk matching."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.clock import simulated
from mentorlog.core.matching import greedy, optimal, total
from mentorlog.plugins.manager import Scorer

from mentorlog.services import Services
from tests.conftest import SYSTEM, ReadRows, World
from tests.test_rules import refused

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "mentorlog-grow" / "src"
pytestmark = pytest.mark.sqlite_only("domain rules, the same on every store")


def person(
    app: Mentoring,
    name: str,
    stage: str = "late",
    years: float = 15,
    tenure: float = 5,
    capacity: int = 1,
    skills: tuple[str, ...] = (),
    interests: tuple[str, ...] = (),
) -> str:
    """Register someone and return their ID."""
    return app.register_person(
        actor=SYSTEM,
        display_name=name,
        career_stage=stage,
        years_experience=years,
        tenure_years=tenure,
        capacity=capacity,
        skills=list(skills),
        interests=list(interests),
    ).id


def open_intake(app: Mentoring, world: World, **settings: object) -> None:
    """Open the world's program's intake."""
    app.configure_intake(world.program, actor=SYSTEM, is_open=True, **settings)  # type: ignore[arg-type]


def enrol(
    app: Mentoring, world: World, person_id: str, side: str, **answers: object
) -> str:
    """Apply and approve; return the status the approval left."""
    app.apply_to_program(
        world.program, actor=SYSTEM, person_id=person_id, side=side, answers=answers
    )
    app.approve_application(world.program, actor=SYSTEM, person_id=person_id)
    return str(app.get_intake(world.program).applications[person_id]["status"])


def test_applications_are_approved_until_full_then_waitlisted_first_come(
    app: Mentoring, world: World
) -> None:
    open_intake(app, world, mentee_places=1)
    first, second, third = (person(app, n, "early", 3, 3) for n in ("Ann", "Bob", "Cy"))
    assert enrol(app, world, first, "mentee", skills=["sql"]) == "enrolled"
    assert enrol(app, world, second, "mentee") == "waitlisted"
    assert enrol(app, world, third, "mentee") == "waitlisted"
    intake = app.get_intake(world.program)
    assert intake.waitlist("mentee") == [second, third]
    # Stored sealed with the applicant's key; the service opens them.
    assert "skills" not in intake.applications[first]["answers"]
    assert app.answers_of(intake, first) == {"skills": ["sql"]}

    # A freed place goes to the first who waited.
    app.withdraw_application(world.program, actor=SYSTEM, person_id=first)
    intake = app.get_intake(world.program)
    assert intake.enrolled("mentee") == [second]
    assert intake.waitlist("mentee") == [third]
    # Raising the places serves the rest.
    open_intake(app, world, mentee_places=5)
    assert app.get_intake(world.program).enrolled("mentee") == [second, third]


def test_refusals_of_enrolment_record_nothing(app: Mentoring, world: World) -> None:
    mentee = person(app, "Ann", "early", 3, 3)
    with refused(app, "INTAKE_CLOSED", "programId"):
        app.apply_to_program(
            world.program, actor=SYSTEM, person_id=mentee, side="mentee"
        )
    app.configure_intake(world.program, actor=SYSTEM, is_open=False)
    with refused(app, "INTAKE_CLOSED", "programId"):
        app.apply_to_program(
            world.program, actor=SYSTEM, person_id=mentee, side="mentee"
        )
    open_intake(app, world, mentee_places=0, questions=["skills", "about"])
    with refused(app, "INVALID_INPUT", "answers.goals"):
        app.apply_to_program(
            world.program,
            actor=SYSTEM,
            person_id=mentee,
            side="mentee",
            answers={"goals": ["lead"]},
        )
    with refused(app, "INVALID_INPUT", "side"):
        app.apply_to_program(world.program, actor=SYSTEM, person_id=mentee, side="x")
    newcomer = person(app, "New", "early", 1, 1)
    with refused(app, "NOT_ELIGIBLE", "participants"):
        app.apply_to_program(
            world.program, actor=SYSTEM, person_id=newcomer, side="mentee"
        )
    app.apply_to_program(world.program, actor=SYSTEM, person_id=mentee, side="mentee")
    with refused(app, "ALREADY_APPLIED", "personId"):
        app.apply_to_program(
            world.program, actor=SYSTEM, person_id=mentee, side="mentor"
        )
    with refused(app, "INTAKE_FULL", "personId"):
        app.approve_application(
            world.program, actor=SYSTEM, person_id=mentee, waitlist=False
        )
    with refused(app, "INVALID_INPUT", "reason"):
        app.decline_application(
            world.program, actor=SYSTEM, person_id=mentee, reason=" "
        )
    with refused(app, "INVALID_INPUT", "cohortEnd"):
        app.configure_intake(
            world.program,
            actor=SYSTEM,
            is_open=True,
            cohort_start="2027-02-01",
            cohort_end="2027-01-01",
        )
    app.decline_application(
        world.program, actor=SYSTEM, person_id=mentee, reason="Not this cohort."
    )
    open_intake(app, world, cohort_end="2030-01-31")
    late = person(app, "Late", "early", 3, 3)
    with (
        simulated(lambda: datetime(2030, 2, 1, tzinfo=UTC)),
        refused(app, "INTAKE_CLOSED", "programId"),
    ):
        app.apply_to_program(world.program, actor=SYSTEM, person_id=late, side="mentee")
    found = app.get_intake(world.program).applications[mentee]
    reason = app.sealer.open(found["reason"])
    assert (found["status"], reason) == ("declined", "Not this cohort.")


@pytest.fixture
def enrolled(app: Mentoring, world: World) -> tuple[str, str, str]:
    """An open intake with two mentors (one full) and a mentee, all enrolled."""
    open_intake(app, world, request_days=7)
    mentor = person(app, "Maya", capacity=2, skills=("Python", "Leadership"))
    busy = person(app, "Bo", capacity=0, skills=("Python",))
    mentee = person(app, "Milo", "early", 3, 3, interests=("python", "leadership"))
    for someone, side in ((mentor, "mentor"), (busy, "mentor"), (mentee, "mentee")):
        assert enrol(app, world, someone, side, availability=["mon-am"]) == "enrolled"
    return mentor, busy, mentee


def test_a_request_accepted_proposes_and_starts_the_mentorship_with_its_score(
    app: Mentoring, world: World, enrolled: tuple[str, str, str]
) -> None:
    mentor, _, mentee = enrolled
    request = app.request_mentor(
        world.program,
        actor=person_actor(mentee),
        mentee_id=mentee,
        mentor_id=mentor,
        message="Help me lead?",
    ).id
    mentorship_id = app.accept_request(
        world.program, request, actor=person_actor(mentor)
    ).id
    mentorship = app.get_mentorship(mentorship_id)
    assert mentorship.status == "active"
    # The purpose quotes the mentee's message, sealed with their key.
    assert app.sealer.open(mentorship.purpose) == "Help me lead?"
    assert mentorship.match is not None
    names = [c["name"] for c in mentorship.match["contributions"]]
    assert {"interests", "availability", "career_stage"} <= set(names)
    assert app.get_person(mentor).mentorships == [mentorship_id]
    assert app.get_intake(world.program).requests[request]["status"] == "accepted"


def test_refusals_of_requests_record_nothing(
    app: Mentoring, world: World, enrolled: tuple[str, str, str]
) -> None:
    mentor, busy, mentee = enrolled
    stranger = person(app, "Stranger")
    with refused(app, "NOT_ENROLLED", "mentorId"):
        app.request_mentor(
            world.program, actor=SYSTEM, mentee_id=mentee, mentor_id=stranger
        )
    with refused(app, "NOT_ENROLLED", "menteeId"):
        app.request_mentor(
            world.program, actor=SYSTEM, mentee_id=mentor, mentor_id=mentor
        )
    with refused(app, "OVER_CAPACITY", "mentorId"):
        app.request_mentor(
            world.program, actor=SYSTEM, mentee_id=mentee, mentor_id=busy
        )
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with simulated(lambda: start):
        request = app.request_mentor(
            world.program, actor=SYSTEM, mentee_id=mentee, mentor_id=mentor
        ).id
    with refused(app, "NOT_THE_MENTOR", "requestId"):
        app.accept_request(world.program, request, actor=person_actor(mentee))
    with refused(app, "NOT_THE_MENTOR", "requestId"):
        app.accept_request(world.program, request, actor=SYSTEM)
    with refused(app, "NOT_FOUND", "requestId"):
        app.accept_request(world.program, "nope", actor=person_actor(mentor))
    # Seven days later the request has expired.
    with (
        simulated(lambda: start + timedelta(days=7)),
        refused(app, "REQUEST_EXPIRED", "requestId"),
    ):
        app.accept_request(world.program, request, actor=person_actor(mentor))
    with simulated(lambda: start + timedelta(days=6)):
        app.decline_request(
            world.program, request, actor=person_actor(mentor), reason="Full term."
        )
        with refused(app, "INVALID_TRANSITION", "requestId"):
            app.accept_request(world.program, request, actor=person_actor(mentor))
    reason = app.get_intake(world.program).requests[request]["reason"]
    assert app.sealer.open(reason) == "Full term."


def test_a_proposal_is_withdrawn_or_declined_without_ending(
    app: Mentoring, world: World
) -> None:
    first = world.one_on_one(start=False)
    app.withdraw_proposal(first, actor=SYSTEM, reason="Wrong pair.")
    assert app.get_mentorship(first).status == "withdrawn"
    second = world.one_on_one(start=False)
    with refused(app, "NOT_A_PARTICIPANT"):
        app.decline_proposal(second, actor=person_actor(world.admin), reason="No.")
    app.decline_proposal(second, actor=world.mentee_actor, reason="Not now.")
    assert app.get_mentorship(second).status == "declined"
    with refused(app, "INVALID_TRANSITION"):
        app.withdraw_proposal(second, actor=SYSTEM)
    started = world.one_on_one()
    with refused(app, "INVALID_TRANSITION"):
        app.decline_proposal(started, actor=world.mentee_actor, reason="Late.")


def test_suggestions_rank_eligible_mentors_with_places_and_explain_them(
    app: Mentoring, world: World, enrolled: tuple[str, str, str]
) -> None:
    mentor, busy, mentee = enrolled
    other = person(app, "Otto", skills=("Cooking",))
    enrol(app, world, other, "mentor", availability=["fri-pm"])
    found = app.match_suggestions(world.program, mentee)
    assert [s.person_id for s in found] == [mentor, other]  # busy has no place
    best = found[0].pairing
    assert (best.format, best.mentor_role, best.mentee_role) == (
        "one_on_one",
        "mentor",
        "mentee",
    )
    assert best.match.total > found[1].pairing.match.total
    explained = {c.name: c.explanation for c in best.match.contributions}
    assert (
        explained["availability"]
        == "Both can meet at 1 of the mentee's 1 times: mon-am."
    )
    assert "Shares 2 of the mentee's 2 interests" in explained["interests"]
    # For a mentor: the mentees.
    assert [s.person_id for s in app.match_suggestions(world.program, mentor)] == [
        mentee
    ]
    with refused(app, "NOT_ENROLLED", "personId"):
        app.match_suggestions(world.program, world.admin)


def test_bulk_matching_proposes_the_optimal_assignment_once(
    app: Mentoring, world: World
) -> None:
    open_intake(app, world)
    python = person(app, "Py", capacity=1, skills=("python",))
    general = person(app, "Gen", capacity=1, skills=("python", "design"))
    both = person(app, "Both", "early", 3, 3, interests=("python", "design"))
    one = person(app, "One", "early", 3, 3, interests=("python",))
    for someone, side in ((python, "mentor"), (general, "mentor")):
        enrol(app, world, someone, side)
    for someone in (one, both):
        enrol(app, world, someone, "mentee")
    preview = app.bulk_match_preview(world.program)
    assert {(p.mentee_id, p.mentor_id) for p in preview} == {
        (both, general),
        (one, python),
    }
    app.apply_bulk_match(world.program, actor=SYSTEM)
    proposals = app.get_intake(world.program).proposals
    assert sorted(p["mentee_id"] for p in proposals.values()) == sorted([one, both])
    for mentorship_id in proposals:
        mentorship = app.get_mentorship(mentorship_id)
        assert mentorship.status == "proposed"
        assert mentorship.match is not None and mentorship.match["contributions"]
    # Everyone waiting has a proposal now: nothing more to propose.
    assert app.bulk_match_preview(world.program) == []


def test_the_optimal_assignment_beats_greedy_under_capacity() -> None:
    # Greedy takes the best pair (0, 0) first and leaves mentee 1 with nothing.
    scores = [[0.9, 0.8], [0.85, 0.0]]
    assert greedy(scores, [1, 1]) == [(0, 0)]
    assert optimal(scores, [1, 1]) == [(0, 1), (1, 0)]
    assert total(scores, optimal(scores, [1, 1])) == pytest.approx(1.65)
    # A mentor with two places is two columns.
    assert optimal(scores, [2, 0]) == [(0, 0), (1, 0)]
    assert optimal([], [1]) == [] and optimal(scores, [0, 0]) == []


def test_metrics_count_withdrawn_declined_and_rematched_apart(
    services: Services, world: World, read_rows: ReadRows
) -> None:
    app = services.app
    app.withdraw_proposal(world.one_on_one(start=False), actor=SYSTEM)
    app.decline_proposal(
        world.one_on_one(start=False), actor=world.mentee_actor, reason="Not now."
    )
    app.end_mentorship(world.one_on_one(), actor=SYSTEM, reason="Rematch")
    services.runner.catch_up()
    row = read_rows(
        "SELECT proposed, withdrawn, declined, rematched, ended, completion_rate "
        "FROM program_metrics WHERE program_id = ?",
        world.program,
    )
    assert row == [(0, 1, 1, 1, 0, None)]
    # Both people are back in the pool: their places are free again.
    assert app.get_person(world.mentee).mentorships == []


@pytest.fixture
def grow(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The example plugin's module, imported from its source and forgotten after."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    try:
        yield importlib.import_module("mentorlog_grow")
    finally:
        for name in [n for n in sys.modules if n.startswith("mentorlog_grow")]:
            del sys.modules[name]


def test_a_plugins_score_shows_in_suggestions_without_code_changes(
    app: Mentoring, world: World, grow: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example plugin's coach score, as its entry point would load it."""
    monkeypatch.setattr(
        app.catalog,
        "scorers",
        [
            *app.catalog.scorers,
            Scorer("grow", "mentorlog-grow", grow.match_score, ("mentor", "mentee")),
        ],
    )
    open_intake(app, world)
    coach = person(app, "Cleo", skills=("coaching",))
    other = person(app, "Otto", skills=("python",))
    learner = person(app, "Lee", "early", 3, 3, interests=("python", "coaching"))
    for someone, side in ((coach, "mentor"), (other, "mentor"), (learner, "mentee")):
        enrol(app, world, someone, side)
    found = app.match_suggestions(world.program, learner)
    parts = {s.person_id: s.pairing.match.contribution("coach") for s in found}
    assert parts[coach] is not None and parts[coach].score == 1.0
    assert parts[other] is not None and parts[other].explanation == (
        "The mentee wants a coach, but the mentor lists no coaching skill."
    )
    assert found[0].person_id == coach
