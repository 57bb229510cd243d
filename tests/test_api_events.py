"""The log's feed: `events` in recorded order, and subscriptions resumed `after` it.

The query runs over the ASGI transport on SQLite (it reads the store's
notifications, the same on both backends); resuming a subscription at the seam
between a read and live events is the point of the last tests, run on both
backends over a real WebSocket.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from mentorlog.core.access import person_actor
from mentorlog.schema.events import encode_position

from tests.processes import wait_until
from tests.test_api_subscriptions import (  # noqa: F401
    EVENT,
    Served,
    _goal,
    connected,
    record,
    served_fixture,
)
from tests.test_api_support import Api, Demo, api_fixture, demo_fixture, gid  # noqa: F401

ALIKE = "the query reads the store's notifications, alike on both backends"

FEED = (
    """query($after: String, $first: Int, $types: [MentorshipEventType!],
         $programId: ID, $mentorshipId: ID) {
  events(after: $after, first: $first, types: $types, programId: $programId,
         mentorshipId: $mentorshipId) {
    cursor pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { position mentorship { id } """
    + EVENT
    + """ } }
  }
}"""
)
HISTORY = (
    "query($id: ID!, $after: String) { mentorship(id: $id) { "
    "history(first: 100, after: $after) { "
    "pageInfo { hasNextPage endCursor } edges { node { " + EVENT + " } } } } }"
)


async def _all(api: Api, token: str, first: int = 100, **filters: Any) -> list[Any]:
    """Every event of the feed for a token, page by page."""
    nodes: list[Any] = []
    after = None
    while True:
        variables = {"after": after, "first": first, **filters}
        page = (await api.gql(FEED, variables, token))["events"]
        nodes += [edge["node"] for edge in page["edges"]]
        assert [e["cursor"] for e in page["edges"]] == [
            encode_position(e["node"]["position"]) for e in page["edges"]
        ]
        after = page["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes


async def _history(api: Api, token: str, mentorship: str) -> list[Any]:
    """A mentorship's whole history, page by page."""
    nodes: list[Any] = []
    after = None
    while True:
        page = (await api.gql(HISTORY, {"id": mentorship, "after": after}, token))[
            "mentorship"
        ]["history"]
        nodes += [edge["node"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes


def _without_log(node: dict[str, Any]) -> dict[str, Any]:
    """An event as its mentorship's history gives it."""
    return {k: v for k, v in node.items() if k not in ("position", "mentorship")}


@pytest.mark.sqlite_only(ALIKE)
async def test_the_feed_is_the_log_in_order_as_each_token_may_read_it(
    api: Api, demo: Demo
) -> None:
    await api.settle()  # each event's mentorship is read from the read models
    every = await _all(api, demo.tokens["auditor"])
    mentorships = {n["mentorship"]["id"]: n["mentorship"]["id"] for n in every}
    assert demo.node("Mentorship", "other_mentorship") in mentorships
    for role in ("auditor", "admin", "participant", "partner"):
        token = demo.tokens[role]
        nodes = await _all(api, token, first=7)
        positions = [n["position"] for n in nodes]
        assert positions == sorted(set(positions)), role
        by_mentorship: dict[str, list[Any]] = {}
        for node in nodes:
            by_mentorship.setdefault(node["mentorship"]["id"], []).append(node)
        for key, mentorship in mentorships.items():
            readable = (await api.gql(HISTORY, {"id": mentorship}, token))["mentorship"]
            history = await _history(api, token, mentorship) if readable else []
            # Exactly the history, hidden alike: nothing of what the token may not read.
            shown = [_without_log(n) for n in by_mentorship.get(mentorship, [])]
            assert shown == history, (role, key)
        assert set(by_mentorship) <= set(mentorships.values())
    sams = await _all(api, demo.tokens["participant"])
    own = {n["mentorship"]["id"] for n in sams}
    assert demo.node("Mentorship", "one_on_one") in own
    assert demo.node("Mentorship", "peer") not in own < set(mentorships)
    assert any(n["contentHidden"] for n in await _all(api, demo.tokens["admin"]))


@pytest.mark.sqlite_only(ALIKE)
async def test_the_feed_filters_by_type_program_and_mentorship(
    api: Api, demo: Demo
) -> None:
    await api.settle()
    auditor = demo.tokens["auditor"]
    everything = await _all(api, auditor)
    one_on_one = demo.node("Mentorship", "one_on_one")
    program = demo.node("Program", "program")
    assert await _all(api, auditor, mentorshipId=one_on_one) == [
        n for n in everything if n["mentorship"]["id"] == one_on_one
    ]
    in_program = await _all(api, auditor, programId=program)
    other = demo.node("Mentorship", "other_mentorship")
    assert in_program and other not in {n["mentorship"]["id"] for n in in_program}
    assert len(in_program) == sum(n["mentorship"]["id"] != other for n in everything)
    goals = await _all(api, auditor, types=["GOAL_SET", "NOTE_WRITTEN"])
    assert goals == [
        n for n in everything if n["__typename"] in ("GoalSet", "NoteWritten")
    ]
    # What the token may not read is an empty page, as for an unknown mentorship.
    sam = demo.tokens["participant"]
    assert await _all(api, sam, mentorshipId=other) == []
    unknown = gid("Mentorship", "00000000-0000-4000-8000-000000000000")
    assert await _all(api, sam, mentorshipId=unknown) == []
    # The page's cursor moves past what did not match: resuming reads on from there.
    page = (await api.gql(FEED, {"mentorshipId": unknown}, sam))["events"]
    assert page["edges"] == [] and page["pageInfo"]["hasNextPage"] is False
    assert page["cursor"] == encode_position(api.head())


@pytest.mark.sqlite_only(ALIKE)
async def test_bad_arguments_are_refused(api: Api, demo: Demo) -> None:
    cases = [
        ({"after": "nope"}, "after"),
        ({"after": gid("Mentorship", demo.ids["peer"])}, "after"),
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"programId": demo.node("Mentorship", "peer")}, "programId"),
        ({"mentorshipId": "x"}, "mentorshipId"),
    ]
    for variables, argument in cases:
        response = await api.post(FEED, variables, demo.tokens["admin"])
        body = response.json()
        assert response.status_code == 200, body
        error = body["errors"][0]
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT",
            "argument": argument,
        }, variables
        assert body["data"] is None


# -- resuming a subscription where a read ended -------------------------------------

SUBSCRIBE = (
    "subscription($id: ID!, $after: String) { "
    "mentorshipEvents(mentorshipId: $id, after: $after) { position "
    "mentorship { id } " + EVENT + " } }"
)
ACTIVITY = (
    "subscription($id: ID!, $after: String) { "
    "programActivity(programId: $id, after: $after) { position "
    "mentorship { id } " + EVENT + " } }"
)


async def test_events_between_a_read_and_a_subscribe_arrive_exactly_once(
    served: Served, demo: Demo
) -> None:
    """A writer records all along: before the read, between it and the subscribe,
    while the subscription catches up and after it joins the live feed."""
    app = served.services.app
    sam = person_actor(demo.ids["sam"])
    mentorship = demo.ids["one_on_one"]
    node = demo.node("Mentorship", "one_on_one")
    token = demo.tokens["participant"]
    stop = threading.Event()
    recorded: list[int] = []

    def write() -> None:
        while not stop.is_set() and len(recorded) < 40:
            goal = _goal(app, mentorship, sam, f"Goal {len(recorded)}")
            recorded.append(goal.position)

    async with connected(served.base, demo.tokens["auditor"]) as live:
        # Another subscription keeps the feed reading on while ours catches up.
        await live.subscribe("live", SUBSCRIBE, id=node)
        served.wait_for_subscribers(1)
        writer = threading.Thread(target=write)
        writer.start()
        try:
            page = (
                await served.gql(
                    "query($id: ID!) { events(mentorshipId: $id, first: 100) "
                    "{ cursor edges { node { sequence } } } }",
                    token,
                    id=node,
                )
            )["events"]
            last_read = page["edges"][-1]["node"]["sequence"]
            async with connected(served.base, token) as socket:
                await socket.subscribe("1", SUBSCRIBE, id=node, after=page["cursor"])
                served.wait_for_subscribers(2)
                await record(wait_until, lambda: len(recorded) >= 10, "10 writes")
                stop.set()
                await asyncio.to_thread(writer.join)
                marker = await record(_goal, app, mentorship, sam, "The marker")
                received = []
                while not received or received[-1]["title"] != "The marker":
                    received.append(await socket.event("1"))
        finally:
            stop.set()
            writer.join()
    sequences = [e["sequence"] for e in received]
    stream = app.get_mentorship(mentorship)
    assert sequences == list(range(last_read + 1, stream.version + 1))
    assert received[-1]["position"] == marker.position
    positions = [e["position"] for e in received]
    assert positions == sorted(set(positions))
    assert {e["mentorship"]["id"] for e in received} == {node}


@pytest.mark.sqlite_only(ALIKE)
async def test_program_activity_resumes_and_names_each_mentorship(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    ids = demo.ids
    head = app.recorder.max_notification_id() or 0
    await record(_goal, app, ids["peer"], "system:tests", "In the peer mentorship")
    await record(_goal, app, ids["other_mentorship"], "system:tests", "Elsewhere")
    await record(
        _goal, app, ids["one_on_one"], person_actor(ids["sam"]), "In Sam's mentorship"
    )
    async with connected(served.base, demo.tokens["admin"]) as socket:
        program = demo.node("Program", "program")
        await socket.subscribe("a", ACTIVITY, id=program, after=encode_position(head))
        seen = [await socket.event("a") for _ in range(2)]
        served.wait_for_subscribers(1)
        await record(_goal, app, ids["peer"], "system:tests", "Live")
        seen.append(await socket.event("a"))
    assert [(e["title"], e["mentorship"]["id"]) for e in seen] == [
        ("In the peer mentorship", demo.node("Mentorship", "peer")),
        ("In Sam's mentorship", demo.node("Mentorship", "one_on_one")),
        ("Live", demo.node("Mentorship", "peer")),
    ]


@pytest.mark.sqlite_only(ALIKE)
async def test_a_cursor_the_log_never_gave_is_refused(
    served: Served, demo: Demo
) -> None:
    head = served.services.app.recorder.max_notification_id() or 0
    node = demo.node("Mentorship", "one_on_one")
    async with connected(served.base, demo.tokens["participant"]) as socket:
        for after in ("nope", encode_position(head + 1000)):
            await socket.subscribe("1", SUBSCRIBE, id=node, after=after)
            message = await socket.receive()
            assert message["type"] in ("next", "error"), message
            errors = (
                message["payload"]["errors"]
                if message["type"] == "next"
                else message["payload"]
            )
            assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", message
            if message["type"] == "next":
                assert (await socket.receive()) == {"id": "1", "type": "complete"}
