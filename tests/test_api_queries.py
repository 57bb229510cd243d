"""Queries through HTTP: nodes, filtered keyset pages, the catalog, batching."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.conftest import SYSTEM, World
from tests.test_api_support import Api, api_fixture, gid  # noqa: F401

PAGE = """query($first: Int, $after: String, $last: Int, $before: String,
                $filter: MentorshipFilter) {
  mentorships(first: $first, after: $after, last: $last, before: $before,
              filter: $filter) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def _ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def _page(api: Api, **variables: Any) -> dict[str, Any]:
    return (await api.gql(PAGE, variables))["mentorships"]


async def _errors(api: Api, query: str, variables: dict[str, Any]) -> list[str]:
    response = await api.post(query, variables)
    body = response.json()
    assert body.get("errors"), body
    return [e["message"] for e in body["errors"]]


def _populate(world: World) -> dict[str, str]:
    """A started mentorship with one of everything, recorded through the service."""
    app = world.app
    mentorship = world.one_on_one()
    goal = app.set_goal(
        mentorship,
        actor=world.mentee_actor,
        title="Ship a feature",
        framework="plain",
        fields={"description": "End to end"},
    ).id
    milestone = app.reach_milestone(
        mentorship, actor=world.mentee_actor, title="Design done", goal_id=goal
    ).id
    meeting = app.schedule_meeting(
        mentorship, actor=SYSTEM, scheduled_for="2026-02-02T09:00:00+00:00"
    ).id
    review = app.record_review(mentorship, actor=SYSTEM, progress_rating=3).id
    feedback = app.give_feedback(
        mentorship, actor=world.mentee_actor, text="Thanks", about_id=world.mentor
    ).id
    app.record_agreement(
        mentorship,
        actor=SYSTEM,
        communication="Chat",
        confidentiality="Private",
        schedule="Weekly",
        outcomes=["Growth"],
    )
    app.sign_agreement(mentorship, actor=world.mentor_actor)
    scoped = {"Goal": goal, "Milestone": milestone, "Meeting": meeting}
    scoped |= {"Review": review, "Feedback": feedback}
    ids = {name: gid(name, f"{mentorship}:{own}") for name, own in scoped.items()}
    ids["Mentorship"] = gid("Mentorship", mentorship)
    ids["Program"] = gid("Program", world.program)
    ids["Person"] = gid("Person", world.mentee)
    return ids


async def test_every_node_type_resolves_by_global_id(api: Api, world: World) -> None:
    ids = _populate(world)
    await api.settle()
    for type_name, value in ids.items():
        data = await api.gql(
            "query($id: ID!) { node(id: $id) { __typename id } }", {"id": value}
        )
        assert data["node"] == {"__typename": type_name, "id": value}
    data = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [ids["Goal"], "garbage", ids["Person"]]},
    )
    assert data["nodes"] == [{"id": ids["Goal"]}, None, {"id": ids["Person"]}]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        gid("Person", "not-a-uuid"),
        gid("Goal", "no-colon"),
        gid("Nope", "x"),
    ],
)
async def test_unknown_or_malformed_ids_give_null(
    api: Api, world: World, value: str
) -> None:
    data = await api.gql(
        "query($id: ID!) { node(id: $id) { id } mentorship(id: $id) { id } }",
        {"id": value},
    )
    assert data == {"node": None, "mentorship": None}


async def test_typed_lookups_refuse_ids_of_other_types(api: Api, world: World) -> None:
    await api.settle()
    person = gid("Person", world.mentee)
    data = await api.gql(
        "query($id: ID!) { program(id: $id) { id } person(id: $id) { displayName } }",
        {"id": person},
    )
    assert data == {"program": None, "person": {"displayName": "Milo Mentee"}}


async def test_mentorship_with_everything_in_it(api: Api, world: World) -> None:
    ids = _populate(world)
    await api.settle()
    data = await api.gql(
        """query($id: ID!) { mentorship(id: $id) {
          id status formatName format { name roles { name side min max } }
          program { id name eligibility { mentorMinYearsExperience } }
          participants { role side person { id displayName careerStage } }
          agreement { communication outcomes recordedBy { system person { id } }
                      signatures { person { displayName } } }
          goals { id title framework fields term status progress owner { id }
                  setBy { person { displayName } } mentorship { id } }
          milestones { id title goal { id } celebrated reachedBy { person { id } } }
          meetings { id status scheduledFor durationMinutes agenda mentorship { id } }
          reviews { id progressRating support recordedBy { system } }
          feedback { id text source about { displayName } }
        } }""",
        {"id": ids["Mentorship"]},
    )
    m = data["mentorship"]
    assert m["status"] == "ACTIVE"
    assert m["format"]["roles"][0] == {
        "name": "mentor",
        "side": "MENTOR",
        "min": 1,
        "max": 1,
    }
    assert m["program"]["id"] == ids["Program"]
    assert m["program"]["eligibility"] == {"mentorMinYearsExperience": 5.0}
    assert [(p["role"], p["person"]["displayName"]) for p in m["participants"]] == [
        ("mentor", "Maya Mentor"),
        ("mentee", "Milo Mentee"),
    ]
    assert m["agreement"]["recordedBy"] == {"system": "tests", "person": None}
    assert m["agreement"]["signatures"] == [{"person": {"displayName": "Maya Mentor"}}]
    (goal,) = m["goals"]
    assert goal["id"] == ids["Goal"]
    assert goal["fields"] == {"description": "End to end"}
    assert (goal["term"], goal["status"], goal["progress"]) == ("SHORT", "OPEN", 0.0)
    assert goal["owner"] == {"id": ids["Person"]}
    assert goal["setBy"] == {"person": {"displayName": "Milo Mentee"}}
    assert goal["mentorship"] == {"id": ids["Mentorship"]}
    assert m["milestones"][0]["goal"] == {"id": ids["Goal"]}
    assert m["meetings"][0]["scheduledFor"] == "2026-02-02T09:00:00+00:00"
    assert m["meetings"][0]["status"] == "SCHEDULED"
    assert m["reviews"][0]["recordedBy"] == {"system": "tests"}
    assert m["feedback"][0]["about"] == {"displayName": "Maya Mentor"}


async def test_programs_people_and_the_catalog(api: Api, world: World) -> None:
    world.app.add_starter_goal(
        world.program, actor=SYSTEM, title="Know each other", framework="plain"
    )
    world.app.set_connection_plan(
        world.program,
        actor=SYSTEM,
        meetings=[{"title": "Kick-off", "week_start": 1, "week_end": 2}],
    )
    mentorship = world.one_on_one()
    await api.settle()
    data = await api.gql(
        """{
          programs { edges { node { id name formatNames formats { name }
            defaultFramework admins { displayName }
            starterGoals { title framework locked }
            connectionPlan { number title weekStart weekEnd }
            mentorships(status: ACTIVE) { edges { node { id } } } } } }
          people(careerStage: LATE) { edges { node { displayName careerStage
            activeMentorships mentorships { id } } } }
          formats { name title roles { name } connectionPlan { number } }
          goalFrameworks { name fields { name type required description } }
        }"""
    )
    (program,) = [e["node"] for e in data["programs"]["edges"]]
    assert program["name"] == "Engineering mentoring"
    assert len(program["formats"]) == 5
    assert program["admins"] == [{"displayName": "Ada Admin"}]
    assert program["starterGoals"] == [
        {"title": "Know each other", "framework": "plain", "locked": False}
    ]
    assert program["connectionPlan"] == [
        {"number": 1, "title": "Kick-off", "weekStart": 1, "weekEnd": 2}
    ]
    assert _ids(program["mentorships"]) == [gid("Mentorship", mentorship)]
    people = [e["node"] for e in data["people"]["edges"]]
    assert [p["displayName"] for p in people] == ["Ada Admin", "Maya Mentor"]
    assert people[1]["activeMentorships"] == 1
    assert people[1]["mentorships"] == [{"id": gid("Mentorship", mentorship)}]
    assert {f["name"] for f in data["formats"]} >= {"one_on_one", "circle", "peer"}
    smart = next(f for f in data["goalFrameworks"] if f["name"] == "smart")
    assert {k: v for k, v in smart["fields"][-1].items() if k != "description"} == {
        "name": "due",
        "type": "DATE",
        "required": True,
    }


async def test_filters(api: Api, world: World) -> None:
    active = world.one_on_one()
    proposed = world.one_on_one(start=False)
    other = world.person("Nia Newcomer", "early", 4, 3)
    peers = world.app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="peer",
        participants=[
            {"person_id": other, "role": "peer"},
            {"person_id": world.mentee, "role": "peer"},
        ],
    ).id
    second_program = world.app.create_program(actor=SYSTEM, name="Other program").id
    await api.settle()
    g = {m: gid("Mentorship", m) for m in (active, proposed, peers)}

    async def ids(where: dict[str, Any]) -> list[str]:
        return _ids(await _page(api, filter=where))

    assert await ids({}) == [g[active], g[proposed], g[peers]]
    assert await ids({"status": "ACTIVE"}) == [g[active]]
    assert await ids({"format": "peer"}) == [g[peers]]
    assert await ids({"participantId": gid("Person", other)}) == [g[peers]]
    assert await ids({"participantId": gid("Person", world.mentor)}) == [
        g[active],
        g[proposed],
    ]
    assert await ids(
        {"programId": gid("Program", world.program), "status": "PROPOSED"}
    ) == [
        g[proposed],
        g[peers],
    ]
    assert await ids({"programId": gid("Program", second_program)}) == []
    messages = await _errors(api, PAGE, {"filter": {"programId": "bogus"}})
    assert "programId" in messages[0]


async def test_keyset_pages_forwards_and_backwards(api: Api, world: World) -> None:
    made = [gid("Mentorship", world.one_on_one(start=False)) for _ in range(7)]
    await api.settle()

    seen: list[str] = []
    after = None
    flags = []
    while True:
        page = await _page(api, first=3, after=after)
        seen += _ids(page)
        info = page["pageInfo"]
        flags.append((info["hasPreviousPage"], info["hasNextPage"]))
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == made
    assert flags == [(False, True), (True, True), (True, False)]

    last = await _page(api, last=2)
    assert _ids(last) == made[-2:]
    assert (last["pageInfo"]["hasPreviousPage"], last["pageInfo"]["hasNextPage"]) == (
        True,
        False,
    )
    before = await _page(api, last=3, before=last["pageInfo"]["startCursor"])
    assert _ids(before) == made[2:5]
    assert before["pageInfo"]["hasNextPage"] is True
    cursor = before["edges"][0]["cursor"]
    between = await _page(
        api, first=10, after=cursor, before=last["edges"][-1]["cursor"]
    )
    assert _ids(between) == made[3:6]
    assert (await _page(api, first=0))["edges"] == []


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"first": 101}, "first must be between 0 and 100"),
        ({"last": 500}, "last must be between 0 and 100"),
        ({"first": -1}, "first must be between 0 and 100"),
        ({"first": 1, "last": 1}, "either first or last"),
        ({"after": "bm90IGEgY3Vyc29y"}, "not a valid cursor"),
        ({"before": "%%%"}, "not a valid cursor"),
    ],
)
async def test_bad_page_arguments_are_clear_errors(
    api: Api, variables: dict[str, Any], expected: str
) -> None:
    messages = await _errors(api, PAGE, variables)
    assert expected in messages[0]


async def test_a_page_of_100_mentorships_is_a_handful_of_queries(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.app
    for n in range(100):
        mentorship = app.propose_mentorship(
            actor=SYSTEM,
            program_id=world.program,
            format="one_on_one",
            participants=[
                {"person_id": world.mentor, "role": "mentor"},
                {"person_id": world.mentee, "role": "mentee"},
            ],
        ).id
        for title in ("First", "Second"):
            app.set_goal(
                mentorship,
                actor=world.mentee_actor,
                title=f"{title} goal {n}",
                framework="plain",
            )
    await api.settle()

    read_db = api.app.state.read_db
    statements: list[str] = []
    fetch = read_db.fetch

    async def counting(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        statements.append(sql)
        return await fetch(sql, params)

    monkeypatch.setattr(read_db, "fetch", counting)
    data = await api.gql(
        """{ mentorships(first: 100) { edges { node {
            id status program { name admins { displayName } }
            participants { role person { displayName } }
            goals { title owner { displayName } setBy { person { displayName } } }
        } } } }"""
    )
    nodes = [e["node"] for e in data["mentorships"]["edges"]]
    assert len(nodes) == 100
    assert all(len(n["goals"]) == 2 for n in nodes)
    assert nodes[99]["participants"][1]["person"] == {"displayName": "Milo Mentee"}
    assert nodes[0]["goals"][0]["owner"] == {"displayName": "Milo Mentee"}
    # One page, one IN query per loader (participants, goals, program, people...).
    assert len(statements) <= 7, statements
    assert all(" IN (" in sql for sql in statements[1:])


async def test_an_erased_person_reads_as_erased(api: Api, world: World) -> None:
    world.app.erase_person(world.mentee, actor=SYSTEM, reason="Asked to be forgotten")
    await api.settle()
    data = await api.gql(
        "query($id: ID!) { person(id: $id) { displayName erased } }",
        {"id": gid("Person", world.mentee)},
    )
    assert data["person"]["erased"] is True
    assert data["person"]["displayName"] != "Milo Mentee"
