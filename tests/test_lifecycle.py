"""A mentorship's whole life through the service, every fact attributed and timed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring

from tests.conftest import SYSTEM, World

SMART = {
    "specific": "Meet everyone on the team one-on-one",
    "measurable": "Eight conversations held",
    "achievable": "Two a week",
    "relevant": "Knowing the team speeds everything up",
    "due": "2099-06-30",
}
SMARTY = {**SMART, "specific": "Lead a design review", "yours": True}
OKR = {
    "objective": "Become a confident reviewer",
    "key_results": [
        {"description": "Design reviews led", "target": 4},
        {"description": "Talks given", "target": 2, "unit": "talks"},
    ],
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PLAN = [
    {
        "title": "Set goals",
        "week_start": 1,
        "week_end": 1,
        "agenda": ["Get to know each other", "Agree expectations", "Set goals"],
    },
    {"title": "Check-in", "week_start": 4, "week_end": 20, "agenda": ["Review"]},
]


def stream(app: Mentoring, aggregate_id: str) -> list[Any]:
    """Every stored event of one aggregate, oldest first."""
    return list(app.events.get(UUID(aggregate_id)))


def check_attribution(
    app: Mentoring,
    aggregate_id: str,
    expected: list[tuple[str, str]],
    since: datetime = EPOCH,
) -> None:
    """The stream holds exactly these (event type, actor) facts, timed, in order."""
    events = stream(app, aggregate_id)
    assert [(type(e).__name__, e.actor) for e in events] == expected
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    now = datetime.now(UTC)
    for event in events:
        assert event.timestamp.tzinfo is not None
        assert since <= event.timestamp <= now
    stamps = [e.timestamp for e in events]
    assert stamps == sorted(stamps)


def live_a_mentorship(app: Mentoring, world: World) -> str:
    """Run a one-on-one mentorship from proposal to completion; return its ID."""
    since = datetime.now(UTC)
    admin = person_actor(world.admin)
    mentee, mentor = world.mentee_actor, world.mentor_actor
    facts: list[tuple[str, str]] = []

    # The program: a co-admin, a connection plan and two starter goals.
    co_admin = world.person("Cy Co-admin", "late", 15, 9, capacity=0)
    app.add_program_admin(world.program, actor=admin, person_id=co_admin)
    app.set_connection_plan(world.program, actor=admin, meetings=PLAN)
    locked_starter = app.add_starter_goal(
        world.program,
        actor=admin,
        title="Complete the onboarding plan",
        framework="plain",
        fields={"description": "Every step of the onboarding checklist"},
        locked=True,
    ).id
    open_starter = app.add_starter_goal(
        world.program, actor=admin, title="Meet the team", fields=SMART, term="long"
    ).id
    program = app.get_program(world.program)
    assert program.admins == [world.admin, co_admin]
    assert [p["number"] for p in program.connection_plan] == [1, 2]

    # Proposed, then started: starter goals are copied in, with origin and lock.
    mentorship = app.propose_mentorship(
        actor=admin,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": world.mentor, "role": "mentor"},
            {"person_id": world.mentee, "role": "mentee"},
        ],
        purpose="Grow into a tech lead",
    ).id
    facts.append(("Proposed", admin))
    m = app.get_mentorship(mentorship)
    assert (m.status, m.purpose, m.goals) == ("proposed", "Grow into a tech lead", {})
    assert [(p["role"], p["side"]) for p in m.participants] == [
        ("mentor", "mentor"),
        ("mentee", "mentee"),
    ]
    app.start_mentorship(mentorship, actor=admin)
    facts += [("Started", admin), ("GoalSet", admin), ("GoalSet", admin)]
    m = app.get_mentorship(mentorship)
    assert m.status == "active"
    starters = {g["starter_goal_id"]: g for g in m.goals.values()}
    assert set(starters) == {locked_starter, open_starter}
    assert starters[locked_starter]["locked"] is True
    assert starters[locked_starter]["fields"] == {
        "description": "Every step of the onboarding checklist"
    }
    assert starters[open_starter]["locked"] is False
    assert starters[open_starter]["term"] == "long"
    assert starters[open_starter]["fields"] == SMART
    assert {g["set_by"] for g in starters.values()} == {admin}
    assert app.get_person(world.mentee).mentorships == [mentorship]
    assert app.get_person(world.mentor).mentorships == [mentorship]

    # The expectations agreement, signed by each participant.
    app.record_agreement(
        mentorship,
        actor=mentee,
        communication="Chat for quick things, a call for the rest",
        confidentiality="What we say stays between us",
        schedule="Every other Tuesday, 45 minutes",
        outcomes=["Lead a design review", "Give a talk"],
    )
    app.sign_agreement(mentorship, actor=mentee)
    app.sign_agreement(mentorship, actor=mentor)
    facts += [("AgreementRecorded", mentee)]
    facts += [("AgreementSigned", mentee), ("AgreementSigned", mentor)]
    agreement = app.get_mentorship(mentorship).agreement
    assert agreement is not None
    assert agreement["signatures"] == [world.mentee, world.mentor]
    assert agreement["outcomes"] == ["Lead a design review", "Give a talk"]
    assert agreement["recorded_by"] == mentee

    # Goals: set in three frameworks, revised, progressed, achieved, abandoned.
    review_goal = app.set_goal(
        mentorship,
        actor=mentee,
        title="Lead a design review",
        framework="smarty",
        fields=SMARTY,
    ).id
    okr_goal = app.set_goal(
        mentorship,
        actor=mentee,
        title="Review with confidence",
        framework="okr",
        fields=OKR,
        term="long",
    ).id
    private_goal = app.set_goal(
        mentorship, actor=mentee, title="Speak up more", framework="plain", private=True
    ).id
    facts += [("GoalSet", mentee)] * 3
    revised = {**SMARTY, "measurable": "Two reviews led"}
    app.revise_goal(
        mentorship,
        review_goal,
        actor=mentee,
        title="Lead two design reviews",
        fields=revised,
        reason="One felt too easy",
    )
    app.record_goal_progress(
        mentorship, review_goal, actor=mentee, percent=40, note="First one done"
    )
    app.record_goal_progress(mentorship, okr_goal, actor=mentee, key_results=[2, 5])
    app.achieve_goal(mentorship, okr_goal, actor=mentee, note="Reviewed four designs")
    app.abandon_goal(mentorship, private_goal, actor=mentee, reason="Not a priority")
    facts += [("GoalRevised", mentee)]
    facts += [("GoalProgressRecorded", mentee)] * 2
    facts += [("GoalAchieved", mentee), ("GoalAbandoned", mentee)]
    goals = app.get_mentorship(mentorship).goals
    assert goals[review_goal]["title"] == "Lead two design reviews"
    assert goals[review_goal]["fields"] == revised
    assert goals[review_goal]["progress"] == 40.0
    assert goals[review_goal]["owner_id"] == world.mentee
    assert goals[review_goal]["starter_goal_id"] is None
    assert (goals[okr_goal]["status"], goals[okr_goal]["progress"]) == ("achieved", 100)
    assert goals[private_goal]["private"] is True
    assert goals[private_goal]["status"] == "abandoned"

    # A milestone reached and celebrated.
    milestone = app.reach_milestone(
        mentorship, actor=mentee, title="First review led", goal_id=review_goal
    ).id
    app.celebrate_milestone(mentorship, milestone, actor=mentor, how="Team lunch")
    facts += [("MilestoneReached", mentee), ("MilestoneCelebrated", mentor)]
    reached = app.get_mentorship(mentorship).milestones[milestone]
    assert (reached["goal_id"], reached["reached_by"]) == (review_goal, mentee)
    assert (reached["celebrated"], reached["celebration"]) == (True, "Team lunch")

    # Meetings: one from the connection plan, one ad hoc; held and cancelled.
    planned = app.schedule_meeting(
        mentorship, actor=mentor, scheduled_for="2030-01-07T10:00:00Z", plan_number=1
    ).id
    ad_hoc = app.schedule_meeting(
        mentorship,
        actor=mentor,
        scheduled_for="2030-01-21T10:00:00+01:00",
        agenda=["Mock interview"],
        duration_minutes=45,
    ).id
    app.hold_meeting(
        mentorship, planned, actor=mentor, notes="Agreed goals", duration_minutes=50
    )
    app.cancel_meeting(mentorship, ad_hoc, actor=mentee, reason="Sick")
    facts += [("MeetingScheduled", mentor)] * 2
    facts += [("MeetingHeld", mentor), ("MeetingCancelled", mentee)]
    meetings = app.get_mentorship(mentorship).meetings
    assert meetings[planned]["agenda"] == PLAN[0]["agenda"]
    assert meetings[planned]["plan_number"] == 1
    assert (meetings[planned]["status"], meetings[planned]["notes"]) == (
        "held",
        "Agreed goals",
    )
    assert meetings[planned]["duration_minutes"] == 50
    assert meetings[ad_hoc]["agenda"] == ["Mock interview"]
    assert (meetings[ad_hoc]["status"], meetings[ad_hoc]["reason"]) == (
        "cancelled",
        "Sick",
    )

    # A periodic review and feedback from two sources.
    app.record_review(
        mentorship,
        actor=mentor,
        progress_rating=4,
        went_well="Reviews",
        challenges="Time",
        support=["instrumental", "psychosocial", "instrumental"],
        next_steps="Pick the next design",
    )
    app.give_feedback(
        mentorship,
        actor=mentee,
        text="Always prepared",
        about_id=world.mentor,
        rating=5,
    )
    app.give_feedback(
        mentorship, actor=admin, text="On track", source="program", rating=4
    )
    facts += [("ReviewRecorded", mentor), ("FeedbackGiven", mentee)]
    facts += [("FeedbackGiven", admin)]
    m = app.get_mentorship(mentorship)
    assert [(r["progress_rating"], r["support"], r["by"]) for r in m.reviews] == [
        (4, ["instrumental", "psychosocial"], mentor)
    ]
    assert [(f["source"], f["about_id"], f["rating"]) for f in m.feedback] == [
        ("participant", world.mentor, 5),
        ("program", None, 4),
    ]

    # Paused and resumed, then completed: capacity is freed.
    app.pause_mentorship(mentorship, actor=mentor, reason="Parental leave")
    m = app.get_mentorship(mentorship)
    assert (m.status, m.status_reason) == ("paused", "Parental leave")
    app.resume_mentorship(mentorship, actor=mentee)
    m = app.get_mentorship(mentorship)
    assert (m.status, m.status_reason) == ("active", "")
    app.complete_mentorship(mentorship, actor=admin, note="Both goals met")
    facts += [("Paused", mentor), ("Resumed", mentee), ("Completed", admin)]
    m = app.get_mentorship(mentorship)
    assert (m.status, m.status_reason) == ("completed", "Both goals met")
    assert app.get_person(world.mentee).mentorships == []
    assert app.get_person(world.mentor).mentorships == []

    check_attribution(app, mentorship, facts, since)
    joined_and_left = [("MentorshipJoined", admin), ("MentorshipLeft", admin)]
    check_attribution(app, world.mentee, [("Registered", SYSTEM), *joined_and_left])
    check_attribution(
        app,
        world.program,
        [
            ("Created", SYSTEM),
            ("AdminAdded", admin),
            ("ConnectionPlanSet", admin),
            ("StarterGoalAdded", admin),
            ("StarterGoalAdded", admin),
        ],
    )
    return mentorship


def test_a_mentorship_lives_from_proposal_to_completion(
    app: Mentoring, world: World
) -> None:
    """Propose, start, agree, set goals, meet, review, pause, resume, complete."""
    live_a_mentorship(app, world)


def test_a_mentorship_ends_early_with_a_reason(app: Mentoring, world: World) -> None:
    """Ending records who ended it and why, and frees both participants."""
    since = datetime.now(UTC)
    mentorship = world.one_on_one()
    app.end_mentorship(mentorship, actor=world.mentee_actor, reason="Changed teams")
    m = app.get_mentorship(mentorship)
    assert (m.status, m.status_reason) == ("ended", "Changed teams")
    check_attribution(
        app,
        mentorship,
        [("Proposed", SYSTEM), ("Started", SYSTEM), ("Ended", world.mentee_actor)],
        since,
    )
    ended = stream(app, mentorship)[-1]
    assert ended.reason == "Changed teams"
    for person in (world.mentee, world.mentor):
        assert app.get_person(person).mentorships == []
        kinds = [type(e).__name__ for e in stream(app, person)]
        assert kinds == ["Registered", "MentorshipJoined", "MentorshipLeft"]


def test_a_proposal_ends_without_touching_capacity(
    app: Mentoring, world: World
) -> None:
    """A proposal that never started ends without join or leave events."""
    mentorship = world.one_on_one(start=False)
    app.end_mentorship(mentorship, actor=SYSTEM, reason="No longer needed")
    assert app.get_mentorship(mentorship).status == "ended"
    for person in (world.mentee, world.mentor):
        assert [type(e).__name__ for e in stream(app, person)] == ["Registered"]
