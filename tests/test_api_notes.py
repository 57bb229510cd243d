"""Notes and sharing over HTTP: private by default, readable by whom the author shares
them with, never changed by anyone but the author; refusals record nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    demo_fixture,
    gid,
)

NOTES = """query($id: ID!) { mentorship(id: $id) { notes {
  id private contentHidden text author { id } meeting { id } sharedWith { id }
} } }"""
NOTE = "note { id private contentHidden text sharedWith { id } }"
GOAL_FIELDS = "id contentHidden title fields statusNote sharedWith { id }"
GOAL = f"goal {{ {GOAL_FIELDS} }}"
HISTORY = """query($id: ID!) { mentorship(id: $id) { history(first: 100) { edges {
  node { __typename contentHidden
    ... on NoteWritten { noteId authorId meetingId private text }
    ... on NoteRevised { noteId text }
    ... on NoteSharingChanged { noteId sharedWith }
    ... on GoalSet { goalId title }
    ... on GoalProgressRecorded { goalId note }
    ... on GoalSharingChanged { goalId sharedWith }
  } } } } }"""
READERS = ("participant", "partner", "admin", "auditor")


def _m(demo: Demo) -> str:
    return demo.node("Mentorship", "one_on_one")


def _note(demo: Demo, key: str = "private_note") -> str:
    return demo.scoped("Note", "one_on_one", key)


def _goal(demo: Demo) -> str:
    return demo.scoped("Goal", "one_on_one", "private_goal")


async def _notes(api: Api, demo: Demo, role: str) -> dict[str, dict[str, Any]]:
    data = await api.gql(NOTES, {"id": _m(demo)}, demo.tokens[role])
    return {n["id"]: n for n in data["mentorship"]["notes"]}


async def _events(api: Api, demo: Demo, role: str, kind: str) -> list[dict[str, Any]]:
    data = await api.gql(HISTORY, {"id": _m(demo)}, demo.tokens[role])
    nodes = [e["node"] for e in data["mentorship"]["history"]["edges"]]
    return [n for n in nodes if n["__typename"] == kind]


async def _share(
    api: Api, demo: Demo, what: str, target: str, people: list[str], role: str
) -> dict[str, Any]:
    kind = "Goal" if what == "shareGoal" else "Note"
    key = f"{kind.lower()}Id"
    selection = GOAL if kind == "Goal" else NOTE
    return await api.mutate(
        what, {key: target, "sharedWith": people}, selection, demo.tokens[role]
    )


async def test_a_private_note_is_for_its_author_alone(api: Api, demo: Demo) -> None:
    await api.settle()
    note = _note(demo)
    for role in READERS:
        seen = (await _notes(api, demo, role))[note]
        mine = role == "participant"
        assert seen["private"] is True
        assert seen["contentHidden"] is not mine, role
        assert seen["text"] == (
            "Ask Grace about the team lead opening" if mine else None
        )
        assert seen["author"] == {"id": demo.node("Person", "sam")}
        assert seen["meeting"] == {
            "id": demo.scoped("Meeting", "one_on_one", "meeting")
        }
        (written,) = [
            e
            for e in await _events(api, demo, role, "NoteWritten")
            if e["noteId"] == note
        ]
        assert written["contentHidden"] is not mine, role
        assert (written["text"] is not None) is mine, role
        assert written["authorId"] == demo.node("Person", "sam")
    public = (await _notes(api, demo, "admin"))[_note(demo, "note")]
    assert (public["private"], public["text"]) == (False, "Bring the roadmap")


async def test_the_author_shares_a_note_and_takes_it_back(api: Api, demo: Demo) -> None:
    await api.settle()
    note = _note(demo)
    grace = demo.node("Person", "grace")
    shared = await _share(api, demo, "shareNote", note, [grace], "participant")
    assert shared["userErrors"] == []
    assert shared["note"]["sharedWith"] == [{"id": grace}]
    revised = await api.mutate(
        "reviseNote",
        {"noteId": note, "text": "Ask Grace about the lead role"},
        NOTE,
        demo.tokens["participant"],
    )
    assert revised["userErrors"] == [] and revised["note"]["text"].endswith("role")

    seen = (await _notes(api, demo, "partner"))[note]
    assert (seen["contentHidden"], seen["text"]) == (
        False,
        "Ask Grace about the lead role",
    )
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Note { text } } }",
        {"id": note},
        demo.tokens["partner"],
    )
    assert node["node"] == {"text": "Ask Grace about the lead role"}
    for kind in ("NoteWritten", "NoteRevised"):
        (event,) = [
            e for e in await _events(api, demo, "partner", kind) if e["noteId"] == note
        ]
        assert event["contentHidden"] is False and event["text"], kind
    (change,) = [
        e
        for e in await _events(api, demo, "auditor", "NoteSharingChanged")
        if e["noteId"] == note
    ]
    assert change["sharedWith"] == [grace] and change["contentHidden"] is False
    for role in ("admin", "auditor"):
        assert (await _notes(api, demo, role))[note]["text"] is None, role

    withdrawn = await _share(api, demo, "shareNote", note, [], "participant")
    assert withdrawn["userErrors"] == [] and withdrawn["note"]["sharedWith"] == []
    seen = (await _notes(api, demo, "partner"))[note]
    assert (seen["contentHidden"], seen["text"]) == (True, None)
    written = await _events(api, demo, "partner", "NoteWritten")
    assert [e["text"] for e in written if e["noteId"] == note] == [None]


async def test_a_shared_private_goal_is_read_not_changed_by_the_partner(
    api: Api, demo: Demo
) -> None:
    await api.settle()
    goal = _goal(demo)
    grace = demo.node("Person", "grace")
    achieved = await api.mutate(
        "achieveGoal",
        {"goalId": goal, "note": "Got it, quietly"},
        GOAL,
        demo.tokens["participant"],
    )
    assert achieved["userErrors"] == []
    shared = await _share(api, demo, "shareGoal", goal, [grace], "participant")
    assert shared["userErrors"] == []
    assert shared["goal"]["sharedWith"] == [{"id": grace}]

    data = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Goal { " + GOAL_FIELDS + " } } }",
        {"id": goal},
        demo.tokens["partner"],
    )
    assert data["node"]["contentHidden"] is False
    assert data["node"]["title"] == "Negotiate a raise"
    assert data["node"]["statusNote"] == "Got it, quietly"
    (progress,) = [
        e
        for e in await _events(api, demo, "partner", "GoalProgressRecorded")
        if e["goalId"] == goal
    ]
    assert progress["note"] == "Collected salary data, secretly"
    for role in ("admin", "auditor"):
        hidden = await api.gql(
            "query($id: ID!) { node(id: $id) { ... on Goal { title statusNote } } }",
            {"id": goal},
            demo.tokens[role],
        )
        assert hidden["node"] == {"title": None, "statusNote": None}, role

    head = api.head()
    refused = await api.mutate(
        "abandonGoal",
        {"goalId": goal, "reason": "Mine now"},
        GOAL,
        demo.tokens["partner"],
    )
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("FORBIDDEN", "goalId")
    ]
    again = await _share(api, demo, "shareGoal", goal, [], "partner")
    assert [e["code"] for e in again["userErrors"]] == ["FORBIDDEN"]
    assert api.head() == head


async def test_time_travel_reads_private_content_as_it_is_shared_now(
    api: Api, demo: Demo
) -> None:
    """A share that was withdrawn does not come back by asking about the past."""
    await api.settle()
    note = _note(demo)
    grace = demo.node("Person", "grace")
    assert (await _share(api, demo, "shareNote", note, [grace], "participant"))[
        "userErrors"
    ] == []
    while_shared = datetime.now(UTC).isoformat()
    assert (await _share(api, demo, "shareNote", note, [], "participant"))[
        "userErrors"
    ] == []
    query = """query($id: ID!, $at: DateTime) { mentorship(id: $id, asOf: $at) {
      notes { id text sharedWith { id } }
      history(first: 100) { edges { node { ... on NoteWritten { noteId text } } } }
    } }"""
    past = await api.gql(
        query, {"id": _m(demo), "at": while_shared}, demo.tokens["partner"]
    )
    (then,) = [n for n in past["mentorship"]["notes"] if n["id"] == note]
    assert then == {"id": note, "text": None, "sharedWith": [{"id": grace}]}
    written = [
        e["node"]
        for e in past["mentorship"]["history"]["edges"]
        if e["node"].get("noteId") == note
    ]
    assert written == [{"noteId": note, "text": None}]
    mine = await api.gql(
        query, {"id": _m(demo), "at": while_shared}, demo.tokens["participant"]
    )
    (own,) = [n for n in mine["mentorship"]["notes"] if n["id"] == note]
    assert own["text"] == "Ask Grace about the team lead opening"


async def test_a_hidden_note_is_refused_like_a_missing_one(
    api: Api, demo: Demo
) -> None:
    await api.settle()
    head = api.head()
    unknown = gid("Note", f"{demo.ids['one_on_one']}:{uuid.uuid4().hex[:12]}")
    answers = []
    for target in (_note(demo), unknown):
        payload = await api.mutate(
            "reviseNote",
            {"noteId": target, "text": "Mine"},
            NOTE,
            demo.tokens["partner"],
        )
        answers.append(
            [
                (e["code"], e["field"], e["message"].split()[0])
                for e in payload["userErrors"]
            ]
        )
    assert answers[0] == answers[1] == [("NOT_FOUND", "noteId", "no")]
    public = await api.mutate(
        "reviseNote",
        {"noteId": _note(demo, "note"), "text": "Mine"},
        NOTE,
        demo.tokens["partner"],
    )
    assert [(e["code"], e["field"]) for e in public["userErrors"]] == [
        ("FORBIDDEN", "noteId")
    ]
    assert api.head() == head


@pytest.mark.parametrize(
    ("name", "input", "code", "field"),
    [
        ("writeNote", {"text": ""}, "INVALID_INPUT", "text"),
        ("writeNote", {"text": "x" * 20001}, "INVALID_INPUT", "text"),
        (
            "writeNote",
            {"text": "On it", "meetingId": "other"},
            "NOT_FOUND",
            "meetingId",
        ),
        ("writeNote", {"text": "On it", "meetingId": "bad"}, "NOT_FOUND", "meetingId"),
        ("shareGoal", {"sharedWith": ["stranger"]}, "NOT_A_PARTICIPANT", "sharedWith"),
        ("shareGoal", {"sharedWith": ["sam"]}, "INVALID_INPUT", "sharedWith"),
        (
            "shareGoal",
            {"goalId": "public", "sharedWith": []},
            "INVALID_INPUT",
            "goalId",
        ),
        ("shareNote", {"sharedWith": ["kofi"]}, "NOT_A_PARTICIPANT", "sharedWith"),
        ("shareNote", {"sharedWith": []}, "INVALID_TRANSITION", "noteId"),
        (
            "shareNote",
            {"noteId": "public", "sharedWith": []},
            "INVALID_INPUT",
            "noteId",
        ),
        ("shareNote", {"sharedWith": ["bad"]}, "NOT_FOUND", "sharedWith"),
    ],
)
async def test_bad_notes_and_shares_are_refused_and_record_nothing(
    api: Api, demo: Demo, name: str, input: dict[str, Any], code: str, field: str
) -> None:
    await api.settle()
    head = api.head()
    values = dict(input)
    if name == "writeNote":
        values["mentorshipId"] = _m(demo)
        meeting = {
            "other": gid(
                "Meeting", f"{demo.ids['other_mentorship']}:{demo.ids['meeting']}"
            ),
            "bad": "not-an-id",
        }
        if "meetingId" in values:
            values["meetingId"] = meeting[values["meetingId"]]
    elif name == "shareGoal":
        public = demo.scoped("Goal", "one_on_one", "goal")
        values["goalId"] = public if values.get("goalId") == "public" else _goal(demo)
    else:
        public = _note(demo, "note")
        values["noteId"] = public if values.get("noteId") == "public" else _note(demo)
    people = {
        "stranger": demo.node("Person", "kofi"),
        "kofi": demo.node("Person", "kofi"),
        "sam": demo.node("Person", "sam"),
        "bad": "nope",
    }
    values["sharedWith"] = [people[p] for p in values.get("sharedWith", [])]
    if name == "writeNote":
        values.pop("sharedWith")
    payload = await api.mutate(name, values, "__typename", demo.tokens["participant"])
    errors = payload["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [(code, field)], errors
    assert api.head() == head


async def test_admins_and_auditors_write_no_notes(api: Api, demo: Demo) -> None:
    await api.settle()
    head = api.head()
    for role in ("admin", "auditor"):
        payload = await api.mutate(
            "writeNote",
            {"mentorshipId": _m(demo), "text": "Hello"},
            NOTE,
            demo.tokens[role],
        )
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], role
    assert api.head() == head


async def test_erasing_the_author_erases_their_private_notes(
    api: Api, demo: Demo
) -> None:
    """Shared or not, a private note's text goes with its author's key; the history
    still verifies."""
    await api.settle()
    note = _note(demo)
    grace = demo.node("Person", "grace")
    assert (await _share(api, demo, "shareNote", note, [grace], "participant"))[
        "userErrors"
    ] == []
    before = await api.gql(
        "query($id: ID!) { verify(mentorshipId: $id) { ok digest } }",
        {"id": _m(demo)},
        demo.tokens["auditor"],
    )
    erased = await api.mutate(
        "erasePerson",
        {"personId": demo.node("Person", "sam"), "reason": "Asked to"},
        "person { erased }",
        demo.tokens["admin"],
    )
    assert erased["userErrors"] == []
    seen = (await _notes(api, demo, "partner"))[note]
    assert seen["text"] == "[erased]"
    public = (await _notes(api, demo, "partner"))[_note(demo, "note")]
    assert public["text"] == "Bring the roadmap"  # not marked private: not personal
    written = [
        e
        for e in await _events(api, demo, "partner", "NoteWritten")
        if e["noteId"] == note
    ]
    assert [e["text"] for e in written] == ["[erased]"]
    after = await api.gql(
        "query($id: ID!) { verify(mentorshipId: $id) { ok digest } }",
        {"id": _m(demo)},
        demo.tokens["auditor"],
    )
    assert before["verify"]["ok"] is after["verify"]["ok"] is True
    assert after["verify"]["digest"] == before["verify"]["digest"]


async def test_only_a_participant_token_reads_what_is_shared(
    api: Api, demo: Demo
) -> None:
    """Grace reads Sam's shared note as a participant, not with an auditor token."""
    await api.settle()
    note = _note(demo)
    grace = demo.node("Person", "grace")
    assert (await _share(api, demo, "shareNote", note, [grace], "participant"))[
        "userErrors"
    ] == []
    as_auditor = api.token(demo.ids["grace"], "auditor")
    query = "query($n: ID!) { node(id: $n) { ... on Note { contentHidden text } } }"
    seen = await api.gql(query, {"n": note}, as_auditor)
    assert seen["node"] == {"contentHidden": True, "text": None}
    seen = await api.gql(query, {"n": note}, demo.tokens["partner"])
    assert seen["node"]["contentHidden"] is False


async def test_text_an_erased_owner_wrote_in_clear_goes_with_them(
    api: Api, demo: Demo
) -> None:
    """A private goal's note recorded before such notes were sealed (written here
    straight through the aggregate) is erased in history and time travel too."""
    await api.settle()
    app = api.services.app
    goal = _goal(demo)
    one = app.get_mentorship(demo.ids["one_on_one"])
    one.achieve_goal(
        actor=f"person:{demo.ids['sam']}",
        goal_id=demo.ids["private_goal"],
        note="Legacy secret",
    )
    app.save(one)
    grace = demo.node("Person", "grace")
    assert (await _share(api, demo, "shareGoal", goal, [grace], "participant"))[
        "userErrors"
    ] == []
    erased = await api.mutate(
        "erasePerson",
        {"personId": demo.node("Person", "sam")},
        "person { erased }",
        demo.tokens["admin"],
    )
    assert erased["userErrors"] == []
    query = """query($id: ID!, $at: DateTime) { mentorship(id: $id, asOf: $at) {
      goals { id statusNote }
      history(first: 100) { edges { node {
        ... on GoalAchieved { goalId note } ... on GoalProgressRecorded { goalId note }
      } } } } }"""
    now = datetime.now(UTC).isoformat()
    for at in (None, now):
        data = await api.gql(query, {"id": _m(demo), "at": at}, demo.tokens["partner"])
        (row,) = [g for g in data["mentorship"]["goals"] if g["id"] == goal]
        assert row["statusNote"] == "[erased]", at
        notes = [
            e["node"]["note"]
            for e in data["mentorship"]["history"]["edges"]
            if e["node"].get("goalId") == goal
        ]
        assert notes == ["[erased]", "[erased]"], at
