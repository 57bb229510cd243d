"""Every business rule refuses with its typed error code, and stores nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import MentorlogError

from tests.conftest import SYSTEM, World

# Domain rules, checked in the service before anything is stored: one backend is
# enough (test_replay, test_lifecycle and the API tests run on both).
pytestmark = pytest.mark.sqlite_only("domain rules, the same on every store")

FUTURE = "2099-12-31"
SMART = {
    "specific": "Lead one design review",
    "measurable": "One review held",
    "achievable": "Reviews happen monthly",
    "relevant": "Needed for promotion",
    "due": FUTURE,
}


@contextmanager
def refused(
    app: Mentoring, code: str, field: str | None = None
) -> Iterator[pytest.ExceptionInfo[MentorlogError]]:
    """Expect a domain error with this code (and field), and no event stored."""
    before = app.recorder.max_notification_id()
    with pytest.raises(MentorlogError) as info:
        yield info
    assert info.value.code == code, f"{info.value.code}: {info.value}"
    if field is not None:
        assert info.value.field == field, info.value
    assert app.recorder.max_notification_id() == before


def plain_goal(app: Mentoring, mentorship: str, actor: str, title: str) -> str:
    """Set a plain goal and return its ID."""
    return app.set_goal(mentorship, actor=actor, title=title, framework="plain").id


def test_refused_helper_fails_on_a_wrong_code(app: Mentoring, world: World) -> None:
    """The helper itself is not vacuous: a different code fails the check."""
    with pytest.raises(AssertionError), refused(app, "NOT_ELIGIBLE"):
        app.set_goal("not-an-id", actor=SYSTEM, title="x", framework="plain")


# -- eligibility -----------------------------------------------------------


def test_mentor_without_enough_experience_is_not_eligible(
    app: Mentoring, world: World
) -> None:
    """The program wants mentors with 5+ years; 4.5 is refused at start."""
    junior = world.person("Jo Junior", "mid", 4.5, 3)
    proposal = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": junior, "role": "mentor"},
            {"person_id": world.mentee, "role": "mentee"},
        ],
    ).id
    with refused(app, "NOT_ELIGIBLE", "participants") as info:
        app.start_mentorship(proposal, actor=SYSTEM)
    assert "Jo Junior" in info.value.message
    assert app.get_mentorship(proposal).status == "proposed"
    assert app.get_person(world.mentee).mentorships == []


def test_mentee_without_enough_tenure_is_not_eligible(
    app: Mentoring, world: World
) -> None:
    """The program wants mentees with 2+ years of tenure; 1 is refused at start."""
    newcomer = world.person("Nia Newcomer", "early", 4, 1)
    proposal = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": world.mentor, "role": "mentor"},
            {"person_id": newcomer, "role": "mentee"},
        ],
    ).id
    with refused(app, "NOT_ELIGIBLE", "participants") as info:
        app.start_mentorship(proposal, actor=SYSTEM)
    assert "Nia Newcomer" in info.value.message
    assert app.get_person(world.mentor).mentorships == []


def test_eligibility_minimums_are_inclusive(app: Mentoring, world: World) -> None:
    """Exactly 5 years of experience and exactly 2 years of tenure qualify."""
    mentor = world.person("Exactly Five", "mid", 5, 5)
    mentee = world.person("Exactly Two", "early", 2, 2)
    proposal = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": mentor, "role": "mentor"},
            {"person_id": mentee, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(proposal, actor=SYSTEM)
    assert app.get_mentorship(proposal).status == "active"


# -- formats and frameworks -------------------------------------------------


def test_format_not_enabled_by_the_program_is_refused(
    app: Mentoring, world: World
) -> None:
    """A known format the program does not enable is UNKNOWN_FORMAT."""
    program = app.create_program(
        actor=SYSTEM, name="One-on-one only", formats=["one_on_one"]
    ).id
    peer = world.person("Pat Peer", "early", 3, 3)
    with refused(app, "UNKNOWN_FORMAT", "format") as info:
        app.propose_mentorship(
            actor=SYSTEM,
            program_id=program,
            format="peer",
            participants=[
                {"person_id": world.mentee, "role": "peer"},
                {"person_id": peer, "role": "peer"},
            ],
        )
    assert "does not enable" in info.value.message


def test_unknown_format_is_refused(app: Mentoring, world: World) -> None:
    """A format no plugin provides is UNKNOWN_FORMAT, on proposal and on creation."""
    with refused(app, "UNKNOWN_FORMAT", "format"):
        app.propose_mentorship(
            actor=SYSTEM,
            program_id=world.program,
            format="speed_dating",
            participants=[
                {"person_id": world.mentor, "role": "mentor"},
                {"person_id": world.mentee, "role": "mentee"},
            ],
        )
    with refused(app, "UNKNOWN_FORMAT", "formats"):
        app.create_program(actor=SYSTEM, name="Odd", formats=["speed_dating"])


def test_unknown_framework_is_refused(app: Mentoring, world: World) -> None:
    """A goal framework no plugin provides is UNKNOWN_FRAMEWORK wherever named."""
    mentorship = world.one_on_one()
    with refused(app, "UNKNOWN_FRAMEWORK", "framework"):
        app.set_goal(
            mentorship, actor=world.mentee_actor, title="Grow", framework="bogus"
        )
    with refused(app, "UNKNOWN_FRAMEWORK", "framework"):
        app.add_starter_goal(
            world.program, actor=SYSTEM, title="Onboard", framework="bogus"
        )
    with refused(app, "UNKNOWN_FRAMEWORK", "framework"):
        app.create_program(actor=SYSTEM, name="Odd", default_framework="bogus")


# -- locked starter goals ---------------------------------------------------


@pytest.fixture
def starter_goals(app: Mentoring, world: World) -> tuple[str, dict[str, str]]:
    """A started mentorship with a locked and an unlocked starter goal."""
    app.add_starter_goal(
        world.program,
        actor=SYSTEM,
        title="Complete the onboarding plan",
        framework="plain",
        locked=True,
    )
    app.add_starter_goal(
        world.program, actor=SYSTEM, title="Meet the team", fields=SMART
    )
    mentorship = world.one_on_one()
    goals = {g["title"]: g["id"] for g in app.get_mentorship(mentorship).goals.values()}
    return mentorship, goals


@pytest.mark.parametrize("who", ["mentee", "mentor"])
def test_participant_cannot_revise_or_abandon_a_locked_starter_goal(
    app: Mentoring, world: World, starter_goals: tuple[str, dict[str, str]], who: str
) -> None:
    """Neither participant may change a goal the program locked."""
    mentorship, goals = starter_goals
    locked = goals["Complete the onboarding plan"]
    actor = world.mentee_actor if who == "mentee" else world.mentor_actor
    with refused(app, "GOAL_LOCKED", "goalId"):
        app.revise_goal(mentorship, locked, actor=actor, title="Skip onboarding")
    with refused(app, "GOAL_LOCKED", "goalId"):
        app.abandon_goal(mentorship, locked, actor=actor, reason="Not needed")
    goal = app.get_mentorship(mentorship).goal(locked)
    assert (goal["title"], goal["status"]) == ("Complete the onboarding plan", "open")


def test_unlocked_starter_goal_can_be_revised_by_a_participant(
    app: Mentoring, world: World, starter_goals: tuple[str, dict[str, str]]
) -> None:
    """Only the lock protects a starter goal: an unlocked one is the pair's."""
    mentorship, goals = starter_goals
    unlocked = goals["Meet the team"]
    app.revise_goal(
        mentorship, unlocked, actor=world.mentee_actor, title="Meet the whole team"
    )
    assert app.get_mentorship(mentorship).goal(unlocked)["title"] == (
        "Meet the whole team"
    )


def test_program_admin_can_revise_and_abandon_a_locked_starter_goal(
    app: Mentoring, world: World, starter_goals: tuple[str, dict[str, str]]
) -> None:
    """A program admin changes a locked goal; the change is recorded as theirs."""
    mentorship, goals = starter_goals
    locked = goals["Complete the onboarding plan"]
    admin = person_actor(world.admin)
    app.revise_goal(
        mentorship, locked, actor=admin, title="Complete onboarding", reason="Renamed"
    )
    app.abandon_goal(mentorship, locked, actor=admin, reason="Replaced")
    goal = app.get_mentorship(mentorship).goal(locked)
    assert (goal["title"], goal["status"]) == ("Complete onboarding", "abandoned")
    last = list(app.events.get(uuid.UUID(mentorship)))[-2:]
    assert [type(e).__name__ for e in last] == ["GoalRevised", "GoalAbandoned"]
    assert {e.actor for e in last} == {admin}


def test_admin_of_another_program_cannot_change_a_locked_goal(
    app: Mentoring, world: World, starter_goals: tuple[str, dict[str, str]]
) -> None:
    """Being an admin somewhere else does not unlock this program's goals."""
    mentorship, goals = starter_goals
    other_admin = world.person("Otto Other", "late", 20, 10, capacity=0)
    app.create_program(actor=SYSTEM, name="Other program", admins=[other_admin])
    with refused(app, "GOAL_LOCKED", "goalId"):
        app.abandon_goal(
            mentorship,
            goals["Complete the onboarding plan"],
            actor=person_actor(other_admin),
            reason="Mine now",
        )


# -- closed mentorships ------------------------------------------------------

CLOSERS: dict[str, Callable[[Mentoring, str], object]] = {
    "completed": lambda app, m: app.complete_mentorship(m, actor=SYSTEM, note="Done"),
    "ended": lambda app, m: app.end_mentorship(m, actor=SYSTEM, reason="Moved on"),
}


@pytest.mark.parametrize("closed", sorted(CLOSERS))
def test_no_new_goal_or_meeting_on_a_closed_mentorship(
    app: Mentoring, world: World, closed: str
) -> None:
    """A completed or ended mentorship takes no new goal, meeting or review."""
    mentorship = world.one_on_one()
    goal = plain_goal(app, mentorship, world.mentee_actor, "Grow")
    CLOSERS[closed](app, mentorship)
    assert app.get_mentorship(mentorship).status == closed
    with refused(app, "MENTORSHIP_CLOSED") as info:
        plain_goal(app, mentorship, world.mentee_actor, "One more goal")
    assert closed in info.value.message
    with refused(app, "MENTORSHIP_CLOSED"):
        app.schedule_meeting(
            mentorship, actor=world.mentor_actor, scheduled_for="2030-01-01T10:00:00Z"
        )
    with refused(app, "MENTORSHIP_CLOSED"):
        app.record_review(mentorship, actor=world.mentor_actor, progress_rating=3)
    with refused(app, "MENTORSHIP_CLOSED"):
        app.record_goal_progress(mentorship, goal, actor=world.mentee_actor, percent=50)


def test_proposed_mentorship_still_takes_goals(app: Mentoring, world: World) -> None:
    """Only completed and ended mentorships are closed; a proposal is open."""
    mentorship = world.one_on_one(start=False)
    plain_goal(app, mentorship, world.mentee_actor, "Prepare for the first meeting")
    assert len(app.get_mentorship(mentorship).goals) == 1


# -- capacity ------------------------------------------------------------------


@pytest.mark.parametrize("closed", sorted(CLOSERS))
def test_over_capacity_then_freed_when_the_mentorship_closes(
    app: Mentoring, world: World, closed: str
) -> None:
    """A mentee with capacity 1 cannot join a second mentorship until the first ends."""
    first = world.one_on_one()
    other_mentor = world.person("Omar Other", "late", 12, 6)
    second = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": other_mentor, "role": "mentor"},
            {"person_id": world.mentee, "role": "mentee"},
        ],
    ).id
    with refused(app, "OVER_CAPACITY", "participants") as info:
        app.start_mentorship(second, actor=SYSTEM)
    assert "Milo Mentee" in info.value.message
    assert app.get_person(other_mentor).mentorships == []

    CLOSERS[closed](app, first)
    assert app.get_person(world.mentee).mentorships == []
    app.start_mentorship(second, actor=SYSTEM)
    assert app.get_person(world.mentee).mentorships == [second]
    assert app.get_person(other_mentor).mentorships == [second]


def test_mentor_capacity_counts_every_mentorship(app: Mentoring, world: World) -> None:
    """The mentor has capacity 2: a third mentee is refused."""
    world.one_on_one()
    for i in range(2):
        mentee = world.person(f"Mentee {i}", "early", 3, 3)
        proposal = app.propose_mentorship(
            actor=SYSTEM,
            program_id=world.program,
            format="one_on_one",
            participants=[
                {"person_id": world.mentor, "role": "mentor"},
                {"person_id": mentee, "role": "mentee"},
            ],
        ).id
        if i == 0:
            app.start_mentorship(proposal, actor=SYSTEM)
        else:
            with refused(app, "OVER_CAPACITY", "participants"):
                app.start_mentorship(proposal, actor=SYSTEM)
    assert len(app.get_person(world.mentor).mentorships) == 2


# -- unknown and malformed IDs -------------------------------------------------

Command = Callable[[Mentoring, World, str], object]
MISSING = str(uuid.UUID(int=42))

NOT_FOUND: dict[str, tuple[str, Command]] = {
    "malformed mentorship ID": (
        "mentorshipId",
        lambda app, w, m: plain_goal(app, "not-a-uuid", w.mentee_actor, "x"),
    ),
    "unknown mentorship ID": (
        "mentorshipId",
        lambda app, w, m: plain_goal(app, MISSING, w.mentee_actor, "x"),
    ),
    "a program's ID used as a mentorship's": (
        "mentorshipId",
        lambda app, w, m: plain_goal(app, w.program, w.mentee_actor, "x"),
    ),
    "unknown program": (
        "programId",
        lambda app, w, m: app.propose_mentorship(
            actor=SYSTEM,
            program_id=MISSING,
            format="one_on_one",
            participants=[
                {"person_id": w.mentor, "role": "mentor"},
                {"person_id": w.mentee, "role": "mentee"},
            ],
        ),
    ),
    "unknown participant": (
        "participants",
        lambda app, w, m: app.propose_mentorship(
            actor=SYSTEM,
            program_id=w.program,
            format="one_on_one",
            participants=[
                {"person_id": w.mentor, "role": "mentor"},
                {"person_id": "nobody", "role": "mentee"},
            ],
        ),
    ),
    "unknown admin": (
        "admins",
        lambda app, w, m: app.create_program(
            actor=SYSTEM, name="Ghost-run", admins=[MISSING]
        ),
    ),
    "unknown goal": (
        "goalId",
        lambda app, w, m: app.revise_goal(m, "nogoal", actor=w.mentee_actor, title="x"),
    ),
    "unknown milestone": (
        "milestoneId",
        lambda app, w, m: app.celebrate_milestone(
            m, "nomilestone", actor=w.mentee_actor, how="Cake"
        ),
    ),
    "unknown meeting": (
        "meetingId",
        lambda app, w, m: app.hold_meeting(m, "nomeeting", actor=w.mentor_actor),
    ),
    "unknown plan meeting": (
        "planNumber",
        lambda app, w, m: app.schedule_meeting(
            m,
            actor=w.mentor_actor,
            scheduled_for="2030-01-01T10:00:00Z",
            plan_number=99,
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_FOUND))
def test_unknown_or_malformed_id_is_not_found(
    app: Mentoring, world: World, case: str
) -> None:
    """Each kind of missing object is NOT_FOUND, naming the field at fault."""
    field, command = NOT_FOUND[case]
    mentorship = world.one_on_one()
    with refused(app, "NOT_FOUND", field):
        command(app, world, mentorship)


# -- bad input values ----------------------------------------------------------

INVALID: dict[str, tuple[str, Command]] = {
    "empty goal title": (
        "title",
        lambda app, w, m: plain_goal(app, m, w.mentee_actor, "   "),
    ),
    "review rating above 5": (
        "progressRating",
        lambda app, w, m: app.record_review(m, actor=w.mentor_actor, progress_rating=6),
    ),
    "review rating below 1": (
        "progressRating",
        lambda app, w, m: app.record_review(m, actor=w.mentor_actor, progress_rating=0),
    ),
    "feedback rating out of range": (
        "rating",
        lambda app, w, m: app.give_feedback(
            m, actor=w.mentee_actor, text="Great", rating=9
        ),
    ),
    "naive meeting time": (
        "scheduledFor",
        lambda app, w, m: app.schedule_meeting(
            m, actor=w.mentor_actor, scheduled_for="2030-01-01T10:00:00"
        ),
    ),
    "unknown support kind": (
        "support",
        lambda app, w, m: app.record_review(
            m, actor=w.mentor_actor, progress_rating=4, support=["financial"]
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_bad_input_is_invalid_input(app: Mentoring, world: World, case: str) -> None:
    """Malformed or out-of-range values are INVALID_INPUT and never reach the store."""
    field, command = INVALID[case]
    mentorship = world.one_on_one()
    with refused(app, "INVALID_INPUT", field) as info:
        command(app, world, mentorship)
    assert [p.field for p in info.value.problems] == [field]


def test_abandoning_needs_a_reason(app: Mentoring, world: World) -> None:
    """A goal is abandoned with a reason; a blank one is INVALID_INPUT."""
    mentorship = world.one_on_one()
    goal = plain_goal(app, mentorship, world.mentee_actor, "Grow")
    with refused(app, "INVALID_INPUT", "reason"):
        app.abandon_goal(mentorship, goal, actor=world.mentee_actor, reason=" ")
    assert app.get_mentorship(mentorship).goal(goal)["status"] == "open"


# -- invalid transitions -------------------------------------------------------


def test_resuming_an_active_mentorship_is_an_invalid_transition(
    app: Mentoring, world: World
) -> None:
    """Only a paused mentorship resumes; pausing twice and restarting fail too."""
    mentorship = world.one_on_one()
    with refused(app, "INVALID_TRANSITION"):
        app.resume_mentorship(mentorship, actor=SYSTEM)
    with refused(app, "INVALID_TRANSITION"):
        app.start_mentorship(mentorship, actor=SYSTEM)
    app.pause_mentorship(mentorship, actor=SYSTEM, reason="Holidays")
    with refused(app, "INVALID_TRANSITION"):
        app.pause_mentorship(mentorship, actor=SYSTEM, reason="Again")


def test_completing_a_proposal_is_an_invalid_transition(
    app: Mentoring, world: World
) -> None:
    """A mentorship that never started cannot complete (it can only end)."""
    mentorship = world.one_on_one(start=False)
    with refused(app, "INVALID_TRANSITION"):
        app.complete_mentorship(mentorship, actor=SYSTEM)


def test_holding_a_cancelled_meeting_is_an_invalid_transition(
    app: Mentoring, world: World
) -> None:
    """A cancelled meeting can be neither held nor cancelled again."""
    mentorship = world.one_on_one()
    meeting = app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for="2030-01-01T10:00:00Z"
    ).id
    app.cancel_meeting(mentorship, meeting, actor=world.mentor_actor, reason="Ill")
    with refused(app, "INVALID_TRANSITION", "meetingId"):
        app.hold_meeting(mentorship, meeting, actor=world.mentor_actor, notes="Met")
    with refused(app, "INVALID_TRANSITION", "meetingId"):
        app.cancel_meeting(mentorship, meeting, actor=world.mentor_actor)


def test_signing_twice_is_an_invalid_transition(app: Mentoring, world: World) -> None:
    """Each participant signs the agreement once; signing before one exists fails."""
    mentorship = world.one_on_one()
    with refused(app, "INVALID_TRANSITION"):
        app.sign_agreement(mentorship, actor=world.mentee_actor)
    app.record_agreement(
        mentorship,
        actor=world.mentee_actor,
        communication="Chat, weekly",
        confidentiality="What is said stays between us",
        schedule="Every other Tuesday",
        outcomes=["Lead a design review"],
    )
    app.sign_agreement(mentorship, actor=world.mentee_actor)
    with refused(app, "INVALID_TRANSITION"):
        app.sign_agreement(mentorship, actor=world.mentee_actor)
    signatures = app.get_mentorship(mentorship).agreement["signatures"]  # type: ignore[index]
    assert signatures == [world.mentee]


def test_achieving_an_achieved_goal_is_an_invalid_transition(
    app: Mentoring, world: World
) -> None:
    """A goal closes once: it cannot be achieved again, or abandoned after."""
    mentorship = world.one_on_one()
    goal = plain_goal(app, mentorship, world.mentee_actor, "Grow")
    app.achieve_goal(mentorship, goal, actor=world.mentee_actor)
    with refused(app, "INVALID_TRANSITION", "goalId"):
        app.achieve_goal(mentorship, goal, actor=world.mentee_actor)
    with refused(app, "INVALID_TRANSITION", "goalId"):
        app.abandon_goal(mentorship, goal, actor=world.mentee_actor, reason="Late")


def test_outsider_cannot_sign_the_agreement(app: Mentoring, world: World) -> None:
    """Only participants sign: an outsider is NOT_A_PARTICIPANT."""
    mentorship = world.one_on_one()
    app.record_agreement(
        mentorship,
        actor=world.mentee_actor,
        communication="Chat",
        confidentiality="Private",
        schedule="Weekly",
        outcomes=["Grow"],
    )
    outsider = world.person("Olga Outsider", "mid", 8, 4)
    with refused(app, "NOT_A_PARTICIPANT"):
        app.sign_agreement(mentorship, actor=person_actor(outsider))
