"""Replay and time travel over GraphQL: typed history, asOf views, verification."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mentorlog.core.chain import store_digest, verify
from mentorlog.core.history import history
from mentorlog.schema.history import EVENT_TYPES, event_classes, type_name

from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    demo_fixture,
    gid,
    node_id,
)

HISTORY = """query($id: ID!, $first: Int, $after: String,
               $types: [MentorshipEventType!]) {
  mentorship(id: $id) { history(first: $first, after: $after, types: $types) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node {
      __typename sequence occurredAt hash contentHidden
      actor { system person { id } }
      ... on GoalSet { goalId title fields private ownerId term }
      ... on GoalProgressRecorded { goalId progress note measurement }
      ... on MeetingHeld { meetingId notes absent durationMinutes }
      ... on MentorshipProposed { programId format participants { role side } }
      ... on ReviewRecorded { reviewId progressRating support }
    } }
  } }
}"""

# Every field of the mentorship and what is inside it, for comparing two views.
EVERYTHING = """
  id formatName purpose status statusReason version createdAt startedAt closedAt
  updatedAt program { id } format { name }
  participants { role side person { id } }
  agreement { communication confidentiality schedule outcomes recordedAt
              recordedBy { system person { id } }
              signatures { signedAt person { id } } }
  goals { id title framework fields term private contentHidden locked
          starterGoalId status progress statusNote createdAt updatedAt
          owner { id } setBy { system person { id } } mentorship { id }
          sharedWith { id } }
  notes { id private contentHidden text createdAt updatedAt author { id }
          meeting { id status } sharedWith { id } mentorship { id } }
  milestones { id title note reachedAt celebration celebratedAt celebrated
               reachedBy { person { id } } goal { id title } mentorship { id } }
  meetings { id scheduledFor durationMinutes agenda planNumber status notes reason
             createdAt updatedAt scheduledBy { person { id } } attended { id } }
  reviews { id progressRating wentWell challenges support nextSteps recordedAt
            recordedBy { person { id } } }
  feedback { id source rating text givenAt givenBy { system person { id } }
             about { id } }
  activity { lastKind lastAt lastBy { person { id } } quietSince quietDays
             interactions }
"""
VIEW = (
    "query($id: ID!, $at: DateTime) { mentorship(id: $id, asOf: $at) { asOf "
    + EVERYTHING
    + " } }"
)
DEMO_MENTORSHIPS = ("one_on_one", "reverse", "circle", "peer", "group", "completed")


async def _view(api: Api, mentorship: str, at: str | None, token: str) -> Any:
    data = await api.gql(VIEW, {"id": mentorship, "at": at}, token)
    return data["mentorship"]


async def test_replaying_every_event_gives_the_read_models_state(
    api: Api, demo: Demo
) -> None:
    """For each demo mentorship: the asOf view (replayed) equals the current one."""
    await api.settle()
    for key in DEMO_MENTORSHIPS:
        mentorship = demo.node("Mentorship", key)
        for role in ("participant", "auditor"):  # Sam sees his private goal opened
            token = demo.tokens[role]
            current = await _view(api, mentorship, None, token)
            if current is None:
                continue  # a mentorship Sam does not take part in
            now = datetime.now(UTC).isoformat()
            replayed = await _view(api, mentorship, now, token)
            assert current.pop("asOf") is None
            assert replayed.pop("asOf") == now
            # Quiet days count up to each view's moment; compare the rest.
            current["activity"].pop("quietDays")
            replayed["activity"].pop("quietDays")
            assert replayed == current, key
    full = await _view(api, demo.node("Mentorship", "one_on_one"), None, token)
    assert len(full["goals"]) == 5 and full["meetings"] and full["feedback"]
    assert {n["contentHidden"] for n in full["notes"]} == {False, True}


async def test_a_past_moment_shows_the_state_then(api: Api, demo: Demo) -> None:
    await api.settle()
    mentorship = demo.node("Mentorship", "one_on_one")
    token = demo.tokens["participant"]
    entries = history(api.services.app, demo.ids["one_on_one"])
    started = next(e for e in entries if e.type == "Started")
    # Starting copied the program's two starter goals: the two events after it.
    copied = entries[started.sequence + 1]
    assert [e.type for e in entries[started.sequence : copied.sequence]] == [
        "GoalSet",
        "GoalSet",
    ]
    at = copied.occurred_at.isoformat()
    view = await _view(api, mentorship, at, token)
    assert view["status"] == "ACTIVE"
    assert view["version"] == started.sequence
    assert view["agreement"] is None and view["meetings"] == []
    assert [g["title"] for g in view["goals"]] == [
        "Write a personal development plan",
        "Meet three people outside my team",
    ]
    just_started = await _view(api, mentorship, started.occurred_at.isoformat(), token)
    assert just_started["status"] == "ACTIVE" and just_started["goals"] == []
    before = (entries[0].occurred_at - timedelta(seconds=1)).isoformat()
    assert await _view(api, mentorship, before, token) is None
    proposed = await _view(api, mentorship, entries[0].occurred_at.isoformat(), token)
    assert proposed["status"] == "PROPOSED" and proposed["startedAt"] is None
    history_then = await api.gql(
        "query($id: ID!, $at: DateTime) { mentorship(id: $id, asOf: $at) { history "
        "{ totalCount } } }",
        {"id": mentorship, "at": at},
        token,
    )
    assert history_then["mentorship"]["history"]["totalCount"] == copied.sequence


async def test_as_of_needs_a_time_zone(api: Api, demo: Demo) -> None:
    await api.settle()
    mentorship = demo.node("Mentorship", "one_on_one")
    response = await api.post(VIEW, {"id": mentorship, "at": "2026-01-01T00:00:00"})
    body = response.json()
    assert "time zone" in body["errors"][0]["message"]


async def test_history_is_typed_hashed_and_paged(api: Api, demo: Demo) -> None:
    await api.settle()
    mentorship = demo.node("Mentorship", "one_on_one")
    token = demo.tokens["participant"]
    stored = history(api.services.app, demo.ids["one_on_one"])
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        data = await api.gql(
            HISTORY, {"id": mentorship, "first": 10, "after": after}, token
        )
        page = data["mentorship"]["history"]
        seen += [edge["node"] for edge in page["edges"]]
        assert page["totalCount"] == len(stored)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [e["sequence"] for e in seen] == [e.sequence for e in stored]
    assert [e["hash"] for e in seen] == [e.hash for e in stored]
    assert [e["__typename"] for e in seen] == [type_name(e.type) for e in stored]
    assert [e["occurredAt"] for e in seen] == [
        e.occurred_at.isoformat() for e in stored
    ]
    proposed = seen[0]
    assert proposed["__typename"] == "MentorshipProposed"
    assert proposed["programId"] == demo.node("Program", "program")
    assert proposed["participants"] == [
        {"role": "mentor", "side": "MENTOR"},
        {"role": "mentee", "side": "MENTEE"},
    ]
    assert proposed["actor"] == {"system": "demo", "person": None}
    held = next(e for e in seen if e["__typename"] == "MeetingHeld")
    assert held["absent"] == [] and held["meetingId"].startswith("TWVldGluZz")
    review = next(e for e in seen if e["__typename"] == "ReviewRecorded")
    assert review["support"] == ["INSTRUMENTAL", "PSYCHOSOCIAL"]
    assert review["actor"]["person"] == {"id": demo.node("Person", "grace")}

    only = await api.gql(
        HISTORY, {"id": mentorship, "first": 100, "types": ["GOAL_SET"]}, token
    )
    kinds = {e["node"]["__typename"] for e in only["mentorship"]["history"]["edges"]}
    assert kinds == {"GoalSet"}
    assert only["mentorship"]["history"]["totalCount"] == sum(
        1 for e in stored if e.type == "GoalSet"
    )


def test_every_event_class_has_a_described_type() -> None:
    from mentorlog.schema import sdl

    text = sdl()
    for name in event_classes():
        assert name in EVENT_TYPES
        assert f"type {type_name(name)} implements MentorshipEvent {{" in text


async def test_history_hides_private_content_and_never_sends_sealed_values(
    api: Api, demo: Demo
) -> None:
    await api.settle()
    mentorship = demo.node("Mentorship", "one_on_one")
    private = demo.scoped("Goal", "one_on_one", "private_goal")
    variables = {
        "id": mentorship,
        "first": 100,
        "types": ["GOAL_SET", "GOAL_PROGRESS_RECORDED"],
    }
    for role in ("partner", "admin", "auditor", "participant"):
        response = await api.post(HISTORY, variables, demo.tokens[role])
        assert '"nonce"' not in response.text and '"sealed"' not in response.text
        edges = response.json()["data"]["mentorship"]["history"]["edges"]
        mine = [e["node"] for e in edges if e["node"]["goalId"] == private]
        assert [e["__typename"] for e in mine] == ["GoalSet", "GoalProgressRecorded"]
        goal_set, progress = mine
        assert goal_set["private"] is True and progress["progress"] == 10.0
        if role == "participant":  # Sam owns it
            assert goal_set["contentHidden"] is False
            assert goal_set["title"] == "Negotiate a raise"
            assert progress["note"] == "Collected salary data, secretly"
        else:
            assert goal_set["contentHidden"] is progress["contentHidden"] is True
            assert (goal_set["title"], goal_set["fields"]) == (None, None)
            assert (progress["note"], progress["measurement"]) == (None, None)
            assert "secretly" not in response.text
        public = [e["node"] for e in edges if e["node"]["goalId"] != private]
        assert public and not any(e["contentHidden"] for e in public)


async def test_verify_one_mentorship_and_the_whole_store(api: Api, demo: Demo) -> None:
    await api.settle()
    recorder = api.services.app.recorder
    auditor = demo.tokens["auditor"]
    mentorship = demo.node("Mentorship", "one_on_one")
    query = """query($id: ID!) {
      verify(mentorshipId: $id) { streamId events ok digest brokenAt reason }
      verifyAll { ok digest streamCount broken { streamId } streams { streamId } }
    }"""
    data = await api.gql(query, {"id": mentorship}, auditor)
    stored = history(api.services.app, demo.ids["one_on_one"])
    assert data["verify"] == {
        "streamId": node_id(mentorship).replace("-", ""),
        "events": len(stored),
        "ok": True,
        "digest": stored[-1].hash,
        "brokenAt": None,
        "reason": None,
    }
    verdicts = verify(recorder)  # type: ignore[arg-type]
    assert data["verifyAll"]["ok"] is True
    assert data["verifyAll"]["digest"] == store_digest(verdicts)
    assert data["verifyAll"]["streamCount"] == len(verdicts)
    assert data["verifyAll"]["broken"] == []
    for other in (str(uuid.uuid4()), demo.ids["program"]):  # none, not a mentorship
        unknown = await api.gql(query, {"id": gid("Mentorship", other)}, auditor)
        assert unknown["verify"] is None


@pytest.mark.sqlite_only("flips a byte in the SQLite event store")
async def test_verify_names_the_broken_event(api: Api, demo: Demo) -> None:
    await api.settle()
    auditor = demo.tokens["auditor"]
    mentorship = demo.node("Mentorship", "one_on_one")
    query = """query($id: ID!) {
      verify(mentorshipId: $id) { streamId ok brokenAt reason }
      verifyAll { ok broken { streamId } }
    }"""
    intact = await api.gql(query, {"id": mentorship}, auditor)
    assert intact["verify"]["ok"] is intact["verifyAll"]["ok"] is True
    # Flip a byte of the fourth stored event: verification names it.
    stream = node_id(mentorship).replace("-", "")
    with sqlite3.connect(api.services.settings.events_db) as con:
        where = "WHERE originator_id = ? AND originator_version = 4"
        (state,) = con.execute(f"SELECT state FROM stored_events {where}", (stream,))
        edited = bytearray(state[0])
        edited[len(edited) // 2] ^= 0x01
        con.execute(f"UPDATE stored_events SET state = ? {where}", (edited, stream))
    broken = await api.gql(query, {"id": mentorship}, auditor)
    assert broken["verify"]["ok"] is False
    assert broken["verify"]["brokenAt"] == 4
    assert broken["verify"]["reason"] == "hash mismatch"
    assert broken["verifyAll"]["ok"] is False
    assert [s["streamId"] for s in broken["verifyAll"]["broken"]] == [
        broken["verify"]["streamId"]
    ]


async def test_activity_metrics_and_quiet_mentorships(api: Api, demo: Demo) -> None:
    """The activity and program_metrics read models, as the demo left them."""
    await api.settle()
    admin = demo.tokens["admin"]
    data = await api.gql(
        """query($id: ID!, $m: ID!) {
          program(id: $id) { metrics { proposed active paused completed ended
            goalsSet goalsAchieved meetingsHeld reviews completionRate } }
          mentorship(id: $m) { activity { lastKind interactions quietDays
            lastBy { person { id } } } }
        }""",
        {"id": demo.node("Program", "program"), "m": _m(demo)},
        admin,
    )
    metrics = data["program"]["metrics"]
    assert (metrics["active"], metrics["completed"], metrics["proposed"]) == (5, 1, 0)
    assert metrics["completionRate"] == 1.0
    assert metrics["goalsAchieved"] == 1 and metrics["meetingsHeld"] == 3
    activity = data["mentorship"]["activity"]
    # The last interaction: Sam's progress on his private goal (recorded last).
    assert activity["lastKind"] == "GOAL_PROGRESS"
    assert activity["lastBy"]["person"] == {"id": demo.node("Person", "sam")}
    assert activity["quietDays"] == 0
    quiet = """query($days: Int!) { mentorships(filter: {quietForDays: $days})
      { edges { node { id status } } } }"""
    now = await api.gql(quiet, {"days": 0}, admin)
    statuses = {e["node"]["status"] for e in now["mentorships"]["edges"]}
    assert statuses == {"ACTIVE"} and len(now["mentorships"]["edges"]) == 5
    # The demo's months are simulated: all but the one-on-one went quiet, the peer
    # and group ones right after they started, the circle after day 60 of 180.
    later = await api.gql(quiet, {"days": 1}, admin)
    quiet_ids = {e["node"]["id"] for e in later["mentorships"]["edges"]}
    assert quiet_ids == {
        demo.node("Mentorship", key) for key in ("reverse", "circle", "peer", "group")
    }
    long_quiet = await api.gql(quiet, {"days": 135}, admin)
    assert {e["node"]["id"] for e in long_quiet["mentorships"]["edges"]} == {
        demo.node("Mentorship", key) for key in ("reverse", "peer", "group")
    }
    participant = await api.gql(quiet, {"days": 0}, demo.tokens["participant"])
    assert len(participant["mentorships"]["edges"]) == 2  # his own only
    metrics_hidden = await api.gql(
        "query($id: ID!) { program(id: $id) { metrics { active } } }",
        {"id": demo.node("Program", "program")},
        demo.tokens["participant"],
    )
    assert metrics_hidden["program"] == {"metrics": None}


def _m(demo: Demo) -> str:
    return demo.node("Mentorship", "one_on_one")
