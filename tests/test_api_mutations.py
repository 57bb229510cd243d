"""Mutations through HTTP: every command once, and refusals that record nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.conftest import SYSTEM, World
from tests.test_api_support import Api, api_fixture, gid, node_id  # noqa: F401

SMART = {
    "specific": "Lead a design review",
    "measurable": "One review led, feedback collected",
    "achievable": "With mentor support",
    "relevant": "Needed for promotion",
    "due": "2099-06-30",
}
MENTORSHIP = "mentorship { id status statusReason }"
GOAL = "goal { id title status progress fields locked statusNote }"


async def _person(
    api: Api, name: str, stage: str, years: float, tenure: float, token: str
) -> str:
    payload = await api.mutate(
        "registerPerson",
        {
            "displayName": name,
            "careerStage": stage,
            "yearsExperience": years,
            "tenureYears": tenure,
            "skills": ["python"],
            "capacity": 2,
            "email": f"{name.split()[0].lower()}@example.org",
        },
        "person { id displayName careerStage skills activeMentorships erased }",
        token,
    )
    assert payload["userErrors"] == []
    assert payload["person"]["displayName"] == name
    return payload["person"]["id"]


async def test_every_command_through_the_api(api: Api, world: World) -> None:
    admin = gid("Person", world.admin)
    # An admin of the world's program registers people and creates a program.
    ada = api.token(world.admin, "admin", world.program)
    mentor = await _person(api, "Rita Mentor", "LATE", 15, 6, ada)
    mentee = await _person(api, "Sam Mentee", "EARLY", 2, 1, ada)
    as_mentor = api.token(node_id(mentor))
    as_mentee = api.token(node_id(mentee))

    created = await api.mutate(
        "createProgram",
        {
            "name": "Design mentoring",
            "description": "Grow designers.",
            "durationMonths": 6,
            "cadenceDays": 14,
            "formats": ["one_on_one", "peer"],
            "defaultFramework": "smart",
            "admins": [admin],
        },
        "program { id name formatNames admins { displayName } durationMonths }",
        ada,
    )
    assert created["userErrors"] == []
    program = created["program"]
    assert program["formatNames"] == ["one_on_one", "peer"]
    assert program["admins"] == [{"displayName": "Ada Admin"}]
    # Her token is bound to the first program; the new one needs a token of its own.
    design = api.token(world.admin, "admin", node_id(program["id"]))

    other_admin = await _person(api, "Olu Organiser", "MID", 10, 4, ada)
    added = await api.mutate(
        "addProgramAdmin",
        {"programId": program["id"], "personId": other_admin},
        "program { admins { id } }",
        design,
    )
    assert added["userErrors"] == []
    assert added["program"]["admins"] == [{"id": admin}, {"id": other_admin}]

    starter = await api.mutate(
        "addStarterGoal",
        {
            "programId": program["id"],
            "title": "Agree how you work together",
            "framework": "plain",
            "fields": {"description": "Talk about expectations."},
            "locked": True,
        },
        "program { starterGoals { id title locked } } starterGoal { title locked }",
        design,
    )
    assert starter["userErrors"] == []
    assert starter["starterGoal"] == {
        "title": "Agree how you work together",
        "locked": True,
    }

    plan = await api.mutate(
        "setConnectionPlan",
        {
            "programId": program["id"],
            "meetings": [
                {"title": "Kick-off", "weekStart": 1, "weekEnd": 1, "agenda": ["Meet"]},
                {"title": "Check-in", "weekStart": 2, "weekEnd": 8},
            ],
        },
        "program { connectionPlan { number title weekStart weekEnd agenda } }",
        design,
    )
    assert plan["userErrors"] == []
    assert [m["number"] for m in plan["program"]["connectionPlan"]] == [1, 2]

    proposed = await api.mutate(
        "proposeMentorship",
        {
            "programId": program["id"],
            "format": "one_on_one",
            "participants": [
                {"personId": mentor, "role": "mentor"},
                {"personId": mentee, "role": "mentee"},
            ],
            "purpose": "Design leadership",
        },
        f"{MENTORSHIP[:-1]} purpose participants {{ role side person {{ id }} }} }}",
        design,
    )
    assert proposed["userErrors"] == []
    mentorship = proposed["mentorship"]["id"]
    assert proposed["mentorship"]["status"] == "PROPOSED"
    assert [p["person"]["id"] for p in proposed["mentorship"]["participants"]] == [
        mentor,
        mentee,
    ]

    started = await api.mutate(
        "startMentorship",
        {"mentorshipId": mentorship},
        "mentorship { status startedAt goals { title locked } }",
        design,
    )
    assert started["userErrors"] == []
    assert started["mentorship"]["status"] == "ACTIVE"
    assert started["mentorship"]["goals"] == [
        {"title": "Agree how you work together", "locked": True}
    ]

    agreement = await api.mutate(
        "recordAgreement",
        {
            "mentorshipId": mentorship,
            "communication": "Chat, weekly",
            "confidentiality": "What is said stays",
            "schedule": "Every other Tuesday",
            "outcomes": ["Lead a review"],
        },
        "mentorship { agreement { outcomes signatures { person { id } } } }",
        as_mentee,
    )
    assert agreement["userErrors"] == []
    assert agreement["mentorship"]["agreement"]["signatures"] == []

    signed = await api.mutate(
        "signAgreement",
        {"mentorshipId": mentorship},
        "mentorship { agreement { signatures { signedAt person { id } } } }",
        as_mentee,
    )
    assert signed["userErrors"] == []
    signatures = signed["mentorship"]["agreement"]["signatures"]
    assert [s["person"]["id"] for s in signatures] == [mentee]

    goal_set = await api.mutate(
        "setGoal",
        {"mentorshipId": mentorship, "title": "Lead a review", "fields": SMART},
        f"{GOAL[:-1]} owner {{ id }} setBy {{ person {{ id }} system }} }}",
        as_mentee,
    )
    assert goal_set["userErrors"] == []
    goal = goal_set["goal"]
    assert goal["fields"] == SMART
    assert goal["owner"] == {"id": mentee}
    assert goal["setBy"] == {"person": {"id": mentee}, "system": None}

    revised = await api.mutate(
        "reviseGoal",
        {"goalId": goal["id"], "title": "Lead two reviews", "reason": "Too easy"},
        GOAL,
        as_mentee,
    )
    assert revised["userErrors"] == []
    assert revised["goal"]["title"] == "Lead two reviews"

    progress = await api.mutate(
        "recordGoalProgress",
        {"goalId": goal["id"], "percent": 40, "note": "First review done"},
        GOAL,
        as_mentee,
    )
    assert progress["userErrors"] == []
    assert progress["goal"]["progress"] == 40

    reached = await api.mutate(
        "reachMilestone",
        {"mentorshipId": mentorship, "title": "First review", "goalId": goal["id"]},
        "milestone { id title celebrated goal { id } }",
        as_mentee,
    )
    assert reached["userErrors"] == []
    milestone = reached["milestone"]
    assert milestone["goal"] == {"id": goal["id"]}
    assert milestone["celebrated"] is False

    celebrated = await api.mutate(
        "celebrateMilestone",
        {"milestoneId": milestone["id"], "how": "Cake"},
        "milestone { celebrated celebration celebratedAt }",
        as_mentor,
    )
    assert celebrated["userErrors"] == []
    assert celebrated["milestone"]["celebration"] == "Cake"

    achieved = await api.mutate(
        "achieveGoal", {"goalId": goal["id"], "note": "Done"}, GOAL, as_mentee
    )
    assert achieved["userErrors"] == []
    assert achieved["goal"]["status"] == "ACHIEVED"
    assert achieved["goal"]["progress"] == 100

    second = await api.mutate(
        "setGoal",
        {
            "mentorshipId": mentorship,
            "title": "Write a blog post",
            "framework": "plain",
            "term": "LONG",
            "private": True,
        },
        "goal { id term private }",
        as_mentee,
    )
    assert second["goal"]["term"] == "LONG"
    abandoned = await api.mutate(
        "abandonGoal",
        {"goalId": second["goal"]["id"], "reason": "No time"},
        GOAL,
        as_mentee,
    )
    assert abandoned["userErrors"] == []
    assert abandoned["goal"]["status"] == "ABANDONED"
    assert abandoned["goal"]["statusNote"] == "No time"

    scheduled = await api.mutate(
        "scheduleMeeting",
        {
            "mentorshipId": mentorship,
            "scheduledFor": "2026-03-02T10:00:00+00:00",
            "planNumber": 1,
        },
        "meeting { id status agenda planNumber scheduledFor }",
        as_mentor,
    )
    assert scheduled["userErrors"] == []
    meeting = scheduled["meeting"]
    assert meeting["agenda"] == ["Meet"]
    assert meeting["status"] == "SCHEDULED"

    held = await api.mutate(
        "holdMeeting",
        {
            "meetingId": meeting["id"],
            "notes": "Good start",
            "durationMinutes": 45,
            "attended": [mentee],
        },
        "meeting { status notes durationMinutes attended { id } }",
        as_mentor,
    )
    assert held["userErrors"] == []
    assert held["meeting"] == {
        "status": "HELD",
        "notes": "Good start",
        "durationMinutes": 45,
        "attended": [{"id": mentee}],
    }

    other = await api.mutate(
        "scheduleMeeting",
        {
            "mentorshipId": mentorship,
            "scheduledFor": "2026-03-16T10:00:00Z",
            "agenda": ["Review"],
        },
        "meeting { id }",
        as_mentor,
    )
    cancelled = await api.mutate(
        "cancelMeeting",
        {"meetingId": other["meeting"]["id"], "reason": "Holiday"},
        "meeting { status reason }",
        as_mentor,
    )
    assert cancelled["meeting"] == {"status": "CANCELLED", "reason": "Holiday"}

    review = await api.mutate(
        "recordReview",
        {
            "mentorshipId": mentorship,
            "progressRating": 4,
            "wentWell": "Reviews",
            "support": ["INSTRUMENTAL", "PSYCHOSOCIAL"],
        },
        "review { id progressRating support recordedBy { person { id } } }",
        as_mentee,
    )
    assert review["userErrors"] == []
    assert review["review"]["support"] == ["INSTRUMENTAL", "PSYCHOSOCIAL"]

    feedback = await api.mutate(
        "giveFeedback",
        {
            "mentorshipId": mentorship,
            "text": "Very helpful",
            "aboutId": mentor,
            "rating": 5,
        },
        "feedback { id source rating about { id } givenBy { person { id } } }",
        as_mentee,
    )
    assert feedback["userErrors"] == []
    assert feedback["feedback"]["about"] == {"id": mentor}
    assert feedback["feedback"]["source"] == "PARTICIPANT"

    paused = await api.mutate(
        "pauseMentorship",
        {"mentorshipId": mentorship, "reason": "Leave"},
        MENTORSHIP,
        as_mentor,
    )
    assert paused["mentorship"]["status"] == "PAUSED"
    assert paused["mentorship"]["statusReason"] == "Leave"
    resumed = await api.mutate(
        "resumeMentorship", {"mentorshipId": mentorship}, MENTORSHIP, design
    )
    assert resumed["mentorship"]["status"] == "ACTIVE"
    completed = await api.mutate(
        "completeMentorship",
        {"mentorshipId": mentorship, "note": "Well done"},
        MENTORSHIP,
        design,
    )
    assert completed["userErrors"] == []
    assert completed["mentorship"]["status"] == "COMPLETED"

    peers = await api.mutate(
        "proposeMentorship",
        {
            "programId": program["id"],
            "format": "peer",
            "participants": [
                {"personId": mentor, "role": "peer"},
                {"personId": mentee, "role": "peer"},
            ],
        },
        MENTORSHIP,
        design,
    )
    ended = await api.mutate(
        "endMentorship",
        {"mentorshipId": peers["mentorship"]["id"], "reason": "Changed teams"},
        MENTORSHIP,
        as_mentee,
    )
    assert ended["userErrors"] == []
    assert ended["mentorship"]["status"] == "ENDED"

    # The whole story reads back in one query.
    data = await api.gql(
        """query($id: ID!) { mentorship(id: $id) {
            status goals { status } milestones { celebrated } meetings { status }
            reviews { progressRating } feedback { rating }
            agreement { signatures { person { displayName } } } } }""",
        {"id": mentorship},
    )
    story = data["mentorship"]
    assert story["status"] == "COMPLETED"
    assert [g["status"] for g in story["goals"]] == ["OPEN", "ACHIEVED", "ABANDONED"]
    assert [m["status"] for m in story["meetings"]] == ["HELD", "CANCELLED"]
    assert story["reviews"] == [{"progressRating": 4}]
    assert story["feedback"] == [{"rating": 5}]


# -- refusals ------------------------------------------------------------------------


async def _started(api: Api, world: World) -> str:
    mentorship = world.one_on_one()
    await api.settle()
    return gid("Mentorship", mentorship)


async def _refused(
    api: Api, name: str, input: dict[str, Any], selection: str, token: str
) -> list[dict[str, Any]]:
    """Run a mutation that must be refused; check nothing was recorded."""
    before = api.head()
    payload = await api.mutate(name, input, selection, token)
    assert api.head() == before
    obj = next(v for k, v in payload.items() if k != "userErrors")
    assert obj is None
    assert payload["userErrors"]
    return payload["userErrors"]


async def test_invalid_goal_lists_every_problem(api: Api, world: World) -> None:
    mentorship = await _started(api, world)
    errors = await _refused(
        api,
        "setGoal",
        {
            "mentorshipId": mentorship,
            "title": "Vague",
            "fields": {"specific": "Something", "due": "2001-01-01", "colour": "red"},
        },
        GOAL,
        api.token(world.mentee),
    )
    assert {e["code"] for e in errors} == {"GOAL_INVALID"}
    fields = {e["field"] for e in errors}
    assert {"fields.colour", "fields.measurable", "fields.achievable"} <= fields
    data = await api.gql(
        "query($id: ID!) { mentorship(id: $id) { goals { id } } }", {"id": mentorship}
    )
    assert data["mentorship"]["goals"] == []


async def test_wrong_ids_are_not_found_with_the_field_named(
    api: Api, world: World
) -> None:
    mentorship = world.one_on_one()
    await api.settle()
    admin = api.token(world.admin, "admin", world.program)
    mentee = api.token(world.mentee)
    cases = [
        ("not-base64!", "mentorshipId"),
        (gid("Person", world.mentee), "mentorshipId"),  # a well-formed ID of a person
        (gid("Mentorship", world.mentee), "mentorshipId"),  # no such mentorship
        (gid("Mentorship", "not-a-uuid"), "mentorshipId"),
    ]
    for value, field in cases:
        errors = await _refused(
            api,
            "pauseMentorship",
            {"mentorshipId": value, "reason": "x"},
            MENTORSHIP,
            admin,
        )
        assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", field)]
    errors = await _refused(
        api,
        "achieveGoal",
        {"goalId": gid("Goal", f"{mentorship}:nosuchgoal")},
        GOAL,
        mentee,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "goalId")]
    errors = await _refused(
        api,
        "giveFeedback",
        {"mentorshipId": gid("Mentorship", mentorship), "text": "Hi", "aboutId": "??"},
        "feedback { id }",
        mentee,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "aboutId")]


async def test_locked_starter_goal_needs_an_admin(api: Api, world: World) -> None:
    world.app.add_starter_goal(
        world.program,
        actor=SYSTEM,
        title="Agree expectations",
        framework="plain",
        locked=True,
    )
    mentorship = await _started(api, world)
    data = await api.gql(
        "query($id: ID!) { mentorship(id: $id) { goals { id locked } } }",
        {"id": mentorship},
    )
    goal = data["mentorship"]["goals"][0]
    assert goal["locked"] is True
    errors = await _refused(
        api,
        "abandonGoal",
        {"goalId": goal["id"], "reason": "Not needed"},
        GOAL,
        api.token(world.mentee),
    )
    assert [(e["code"], e["field"]) for e in errors] == [("GOAL_LOCKED", "goalId")]
    # The program's admin may.
    payload = await api.mutate(
        "abandonGoal",
        {"goalId": goal["id"], "reason": "Not needed"},
        GOAL,
        api.token(world.admin, "admin", world.program),
    )
    assert payload["userErrors"] == []
    assert payload["goal"]["status"] == "ABANDONED"


async def test_closed_mentorship_takes_nothing_new(api: Api, world: World) -> None:
    mentorship = world.one_on_one()
    world.app.end_mentorship(mentorship, actor=SYSTEM, reason="Moved on")
    await api.settle()
    errors = await _refused(
        api,
        "recordReview",
        {"mentorshipId": gid("Mentorship", mentorship), "progressRating": 3},
        "review { id }",
        api.token(world.mentor),
    )
    assert [e["code"] for e in errors] == ["MENTORSHIP_CLOSED"]
    errors = await _refused(
        api,
        "startMentorship",
        {"mentorshipId": gid("Mentorship", mentorship)},
        MENTORSHIP,
        api.token(world.admin, "admin", world.program),
    )
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"]


async def test_input_problems_come_back_together(api: Api, world: World) -> None:
    errors = await _refused(
        api,
        "registerPerson",
        {
            "displayName": " ",
            "careerStage": "MID",
            "yearsExperience": 3,
            "tenureYears": 200,
            "capacity": -1,
        },
        "person { id }",
        api.token(world.admin, "admin", world.program),
    )
    assert {e["code"] for e in errors} == {"INVALID_INPUT"}
    assert {e["field"] for e in errors} == {"displayName", "tenureYears", "capacity"}


async def test_projection_timeout_says_the_fact_was_recorded(
    api: Api, world: World
) -> None:
    mentorship = gid("Mentorship", world.one_on_one(start=False))
    await api.settle()
    api.services.settings = replace(api.services.settings, write_timeout=0.2)
    api.services.runner.stop()  # nothing follows the log now
    before = api.head()
    payload = await api.mutate(
        "startMentorship",
        {"mentorshipId": mentorship},
        MENTORSHIP,
        api.token(world.admin, "admin", world.program),
    )
    assert payload["mentorship"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["PROJECTION_TIMEOUT"]
    assert api.head() > before
    api.services.runner.start()
    await api.settle()
    data = await api.gql(
        "query($id: ID!) { mentorship(id: $id) { status } }", {"id": mentorship}
    )
    assert data["mentorship"]["status"] == "ACTIVE"


async def test_a_retried_mutation_records_once(api: Api, world: World) -> None:
    mentorship = await _started(api, world)
    review = {"mentorshipId": mentorship, "progressRating": 4, "idempotencyKey": "r-1"}
    mentor = api.token(world.mentor)
    first = await api.mutate("recordReview", review, "review { id }", mentor)
    head = api.head()
    again = await api.mutate("recordReview", review, "review { id }", mentor)
    assert again == first
    assert first["userErrors"] == []
    assert api.head() == head
    errors = await _refused(
        api,
        "recordReview",
        {**review, "progressRating": 2},
        "review { id }",
        mentor,
    )
    assert [(e["code"], e["field"]) for e in errors] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
