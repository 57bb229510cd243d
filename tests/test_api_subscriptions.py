"""Subscriptions over a real WebSocket (graphql-transport-ws), on both backends.

The app is served by uvicorn in a thread, or by `python -m mentorlog serve` in a
process of its own; a client from the `websockets` library (uvicorn's WebSocket
implementation, installed with it) subscribes, and events are recorded by another
`Mentoring` instance or thread. Each test waits for what it expects with a bound,
never asserting how long anything took.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.schema.feed import EventFeed
from mentorlog.schema.http import NO_TOKEN
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from mentorlog.app import create_app
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.backends import cli_args
from tests.processes import WAIT, Process, free_port, wait_healthy, wait_until
from tests.test_api_support import Demo, build_demo, demo_fixture, gid  # noqa: F401

PROTOCOL = "graphql-transport-ws"
EVENT = """
  __typename sequence occurredAt hash contentHidden
  actor { system person { id displayName } }
  ... on GoalSet { goalId title framework fields term private ownerId }
  ... on GoalProgressRecorded { goalId progress measurement note }
  ... on MeetingScheduled { meetingId scheduledFor durationMinutes agenda }
  ... on NoteWritten { noteId text }
  ... on NoteRevised { noteId text }
  ... on NoteSharingChanged { noteId sharedWith }
"""
EVENTS = (
    "subscription($id: ID!) { mentorshipEvents(mentorshipId: $id) { " + EVENT + " } }"
)
ACTIVITY = (
    "subscription($id: ID!) { programActivity(programId: $id) { " + EVENT + " } }"
)
HISTORY = (
    "query($id: ID!) { mentorship(id: $id) { history(first: 100) { edges { node { "
    + EVENT
    + " } } } } }"
)
SYSTEM = "system:tests"


class Socket:
    """A graphql-transport-ws client on one WebSocket connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message."""
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next protocol message (fails the test if none comes within WAIT)."""
        message: dict[str, Any] = json.loads(
            await asyncio.wait_for(self.ws.recv(), WAIT)
        )
        return message

    async def subscribe(self, operation_id: str, query: str, **variables: Any) -> None:
        """Start an operation."""
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )

    async def event(self, operation_id: str) -> dict[str, Any]:
        """The next event of an operation (no other operation may send first)."""
        message = await self.receive()
        assert message["id"] == operation_id and message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return next(iter(data.values()))  # type: ignore[no-any-return]

    async def closed(self) -> tuple[int, str]:
        """Wait until the server closes the socket; its close code and reason."""
        with pytest.raises(ConnectionClosed) as caught:
            await asyncio.wait_for(self.ws.recv(), WAIT)
        received = caught.value.rcvd
        assert received is not None
        return received.code, received.reason


@asynccontextmanager
async def connected(
    base: str, token: str | None = None, init: bool = True
) -> AsyncIterator[Socket]:
    """A socket to /graphql; with init, acknowledged for the token."""
    url = base.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        socket = Socket(ws)
        if init:
            payload = {"Authorization": f"Bearer {token}"} if token else {}
            await socket.send({"type": "connection_init", "payload": payload})
            if token:
                assert (await socket.receive())["type"] == "connection_ack"
        yield socket


class Served:
    """The app served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self.services = services
        self.app: Starlette = create_app(settings, services)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=port, log_level="warning", ws="auto"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def feed(self) -> EventFeed:
        """The process's one event feed."""
        feed: EventFeed = self.app.state.feed
        return feed

    def wait_for_subscribers(self, count: int) -> None:
        """Wait until the feed delivers to exactly this many subscriptions."""
        wait_until(lambda: len(self.feed.subscribers) == count, f"{count} subscribers")

    async def gql(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        """A query over HTTP that must succeed; its data."""
        async with httpx.AsyncClient(base_url=self.base) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
                timeout=WAIT,
            )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return dict(body["data"])


@pytest.fixture(name="served")
def served_fixture(settings: Settings, services: Services) -> Iterator[Served]:
    """The app on the test's store, served over real sockets until the test ends."""
    running = Served(settings, services)
    running.thread.start()
    wait_until(lambda: running.server.started, "uvicorn to start")
    yield running
    running.server.should_exit = True
    running.thread.join(WAIT)


async def record(run: Any, *args: Any, **kwargs: Any) -> Any:
    """Record through core in a worker thread (as another writer would)."""
    return await asyncio.to_thread(run, *args, **kwargs)


def _goal(app: Mentoring, mentorship: str, actor: str, title: str) -> Any:
    return app.set_goal(
        mentorship,
        actor=actor,
        title=title,
        framework="plain",
        fields={"description": f"About {title}"},
    )


# -- what a subscriber sees ---------------------------------------------------------


async def test_each_new_event_arrives_typed_as_in_the_history(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    sam = person_actor(demo.ids["sam"])
    mentorship = demo.node("Mentorship", "one_on_one")
    token = demo.tokens["participant"]
    async with connected(served.base, token) as socket:
        await socket.subscribe("1", EVENTS, id=mentorship)
        served.wait_for_subscribers(1)
        goal = await record(_goal, app, demo.ids["one_on_one"], sam, "Ship the API")
        await record(
            app.record_goal_progress,
            demo.ids["one_on_one"],
            goal.id,
            actor=sam,
            percent=40,
            note="Halfway",
        )
        received = [await socket.event("1"), await socket.event("1")]
    assert [e["__typename"] for e in received] == ["GoalSet", "GoalProgressRecorded"]
    assert received[0]["title"] == "Ship the API"
    assert received[1]["note"] == "Halfway"
    history = (await served.gql(HISTORY, token, id=mentorship))["mentorship"]
    by_sequence = {
        e["node"]["sequence"]: e["node"] for e in history["history"]["edges"]
    }
    assert received == [by_sequence[e["sequence"]] for e in received]
    assert received[1]["sequence"] == received[0]["sequence"] + 1


async def test_private_goal_content_is_hidden_from_all_but_its_owner(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    mentorship = demo.node("Mentorship", "one_on_one")
    async with (
        connected(served.base, demo.tokens["participant"]) as owner,
        connected(served.base, demo.tokens["partner"]) as partner,
        connected(served.base, demo.tokens["admin"]) as admin,
    ):
        await owner.subscribe("mine", EVENTS, id=mentorship)
        await partner.subscribe("theirs", EVENTS, id=mentorship)
        await admin.subscribe("program", ACTIVITY, id=demo.node("Program", "program"))
        served.wait_for_subscribers(3)
        await record(
            app.record_goal_progress,
            demo.ids["one_on_one"],
            demo.ids["private_goal"],
            actor=person_actor(demo.ids["sam"]),
            percent=60,
            note="Got an offer elsewhere, secretly",
        )
        seen = await owner.event("mine")
        hidden = [await partner.event("theirs"), await admin.event("program")]
    assert seen["contentHidden"] is False
    assert seen["note"] == "Got an offer elsewhere, secretly"
    for event in hidden:
        assert event["contentHidden"] is True
        assert event["note"] is None and event["measurement"] is None
        assert event["progress"] == 60  # metadata stays visible
        assert {k: v for k, v in event.items() if k not in ("note", "measurement")} == {
            k: v
            for k, v in seen.items()
            if k not in ("note", "measurement", "contentHidden")
        } | {"contentHidden": True}


async def test_a_note_reaches_the_partner_once_it_is_shared(
    served: Served, demo: Demo
) -> None:
    """The feed follows the sharing as it changes, event by event."""
    app = served.services.app
    sam = person_actor(demo.ids["sam"])
    mentorship = demo.ids["one_on_one"]
    async with connected(served.base, demo.tokens["partner"]) as partner:
        await partner.subscribe("1", EVENTS, id=demo.node("Mentorship", "one_on_one"))
        served.wait_for_subscribers(1)
        note = await record(app.write_note, mentorship, actor=sam, text="Draft one")
        await record(
            app.share_note,
            mentorship,
            note.id,
            actor=sam,
            shared_with=[demo.ids["grace"]],
        )
        await record(app.revise_note, mentorship, note.id, actor=sam, text="Draft two")
        await record(app.share_note, mentorship, note.id, actor=sam, shared_with=[])
        await record(
            app.revise_note, mentorship, note.id, actor=sam, text="Draft three"
        )
        received = [await partner.event("1") for _ in range(5)]
    assert [(e["__typename"], e["contentHidden"], e.get("text")) for e in received] == [
        ("NoteWritten", True, None),
        ("NoteSharingChanged", False, None),
        ("NoteRevised", False, "Draft two"),
        ("NoteSharingChanged", False, None),
        ("NoteRevised", True, None),
    ]


async def test_a_share_withdrawn_while_nobody_followed_is_not_forgotten(
    served: Served, demo: Demo
) -> None:
    """The feed reads on for others' subscriptions; what it knew of a mentorship it
    stopped following does not outlive the events it skipped."""
    app = served.services.app
    sam = person_actor(demo.ids["sam"])
    mentorship = demo.ids["one_on_one"]
    one_on_one = demo.node("Mentorship", "one_on_one")
    grace = [demo.ids["grace"]]
    async with connected(served.base, demo.tokens["other_participant"]) as other:
        await other.subscribe(
            "o", EVENTS, id=demo.node("Mentorship", "other_mentorship")
        )
        async with connected(served.base, demo.tokens["partner"]) as partner:
            await partner.subscribe("1", EVENTS, id=one_on_one)
            served.wait_for_subscribers(2)
            note = await record(app.write_note, mentorship, actor=sam, text="One")
            await record(
                app.share_note, mentorship, note.id, actor=sam, shared_with=grace
            )
            assert [(await partner.event("1"))["__typename"] for _ in range(2)] == [
                "NoteWritten",
                "NoteSharingChanged",
            ]
        served.wait_for_subscribers(1)
        withdrawn = await record(
            app.share_note, mentorship, note.id, actor=sam, shared_with=[]
        )
        wait_until(lambda: served.feed.position >= withdrawn.position, "the feed")
        async with connected(served.base, demo.tokens["partner"]) as partner:
            await partner.subscribe("2", EVENTS, id=one_on_one)
            served.wait_for_subscribers(2)
            await record(app.revise_note, mentorship, note.id, actor=sam, text="Two")
            revised = await partner.event("2")
    assert (revised["__typename"], revised["contentHidden"], revised["text"]) == (
        "NoteRevised",
        True,
        None,
    )


async def test_program_activity_shows_the_mentorships_the_token_may_read(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    ids = demo.ids
    program = demo.node("Program", "program")
    async with (
        connected(served.base, demo.tokens["admin"]) as admin,
        connected(served.base, demo.tokens["participant"]) as sam,
    ):
        await admin.subscribe("a", ACTIVITY, id=program)
        await sam.subscribe("s", ACTIVITY, id=program)
        served.wait_for_subscribers(2)
        sams = person_actor(ids["sam"])
        await record(_goal, app, ids["one_on_one"], sams, "In Sam's mentorship")
        await record(_goal, app, ids["peer"], SYSTEM, "In a peer mentorship")
        await record(_goal, app, ids["other_mentorship"], SYSTEM, "In another program")
        await record(_goal, app, ids["one_on_one"], sams, "Last")
        admin_saw = [(await admin.event("a"))["title"] for _ in range(3)]
        sam_saw = [(await sam.event("s"))["title"] for _ in range(2)]
    # Nothing from another program; for Sam, nothing from mentorships not his.
    assert admin_saw == ["In Sam's mentorship", "In a peer mentorship", "Last"]
    assert sam_saw == ["In Sam's mentorship", "Last"]


async def test_one_feed_serves_every_subscription_of_the_process(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    mentorship = demo.node("Mentorship", "one_on_one")
    async with (
        connected(served.base, demo.tokens["participant"]) as first,
        connected(served.base, demo.tokens["auditor"]) as second,
    ):
        await first.subscribe("1", EVENTS, id=mentorship)
        await second.subscribe("2", EVENTS, id=mentorship)
        await second.subscribe("3", ACTIVITY, id=demo.node("Program", "program"))
        served.wait_for_subscribers(3)
        feed = served.feed
        await record(
            _goal, app, demo.ids["one_on_one"], person_actor(demo.ids["sam"]), "One"
        )
        assert (await first.event("1"))["title"] == "One"
        second_got = {}
        for _ in range(2):
            message = await second.receive()
            second_got[message["id"]] = next(iter(message["payload"]["data"].values()))
        assert {e["title"] for e in second_got.values()} == {"One"}
        assert served.feed is feed
        await first.send({"id": "1", "type": "complete"})
        served.wait_for_subscribers(2)
    served.wait_for_subscribers(0)  # closing the sockets ends their subscriptions


# -- refusals -----------------------------------------------------------------------


def _shape(message: dict[str, Any], node_id: str) -> Any:
    """A refusal's payload with the ID it names taken out."""
    return json.loads(json.dumps(message["payload"]).replace(node_id, "<id>"))


async def _refusal(socket: Socket, query: str, value: str) -> dict[str, Any]:
    await socket.subscribe("r", query, id=value)
    message = await socket.receive()
    assert message["id"] == "r" and message["type"] in ("next", "error"), message
    if message["type"] == "next":
        assert (await socket.receive()) == {"id": "r", "type": "complete"}
    return message


async def test_what_the_token_may_not_read_is_refused_as_an_unknown_id(
    served: Served, demo: Demo
) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    cases = [
        # (token, query, readable but forbidden object, its node ID, its field)
        ("participant", EVENTS, "Mentorship", demo.ids["peer"], "mentorshipId"),
        ("other_admin", EVENTS, "Mentorship", demo.ids["one_on_one"], "mentorshipId"),
        ("other_participant", ACTIVITY, "Program", demo.ids["program"], "programId"),
        ("admin", ACTIVITY, "Program", demo.ids["other_program"], "programId"),
    ]
    for role, query, type_name, node_id, field in cases:
        async with connected(served.base, demo.tokens[role]) as socket:
            forbidden = await _refusal(socket, query, gid(type_name, node_id))
            missing = await _refusal(socket, query, gid(type_name, unknown))
        assert _shape(forbidden, node_id) == _shape(missing, unknown), role
        error = forbidden["payload"]["errors"][0]
        assert error["extensions"] == {"code": "NOT_FOUND", "field": field}
        assert "data" not in forbidden["payload"] or not forbidden["payload"]["data"]
    served.wait_for_subscribers(0)


async def test_the_socket_needs_a_token_and_carries_subscriptions_only(
    served: Served, demo: Demo
) -> None:
    # Refused with the reason an HTTP request with the same token gets in its 401.
    for payload, reason in (
        ({}, NO_TOKEN),
        ({"Authorization": "Bearer mlg_unknown"}, "the token is unknown"),
        ({"Authorization": 3}, NO_TOKEN),
    ):
        async with connected(served.base, init=False) as socket:
            await socket.send({"type": "connection_init", "payload": payload})
            assert await socket.closed() == (4403, reason)
    async with connected(served.base, init=False) as socket:
        await socket.subscribe("1", EVENTS, id=demo.node("Mentorship", "one_on_one"))
        assert await socket.closed() == (4401, "Unauthorized")
    async with connected(served.base, demo.tokens["admin"]) as socket:
        await socket.subscribe("q", "{ viewer { role } }")
        message = await socket.receive()
        assert message["type"] == "error"
        assert "subscriptions only" in message["payload"][0]["message"]
    async with httpx.AsyncClient(base_url=served.base) as client:
        response = await client.post(
            "/graphql",
            json={"query": EVENTS, "variables": {"id": "x"}},
            headers={"Authorization": f"Bearer {demo.tokens['admin']}"},
        )
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_revoking_the_token_ends_its_subscriptions(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    token, credential = await record(
        app.issue_token, actor=SYSTEM, person_id=demo.ids["sam"], role="participant"
    )
    async with connected(served.base, token) as socket:
        await socket.subscribe("1", EVENTS, id=demo.node("Mentorship", "one_on_one"))
        served.wait_for_subscribers(1)
        await record(app.revoke_token, credential.id, actor=SYSTEM)
        message = await socket.receive()
        assert message["type"] == "next", message
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await socket.receive()) == {"id": "1", "type": "complete"}
    served.wait_for_subscribers(0)


@pytest.mark.parametrize("first", ["revoked", "erased"])
async def test_nothing_after_access_ends_reaches_the_subscription(
    served: Served, demo: Demo, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """Events recorded after a token was revoked or its person erased, read in the
    same page, stay away; the first of the two ends the subscription."""
    app = served.services.app
    grace = person_actor(demo.ids["grace"])
    token, credential = await record(
        app.issue_token, actor=SYSTEM, person_id=demo.ids["sam"], role="participant"
    )
    gate = threading.Event()
    read = served.feed._read

    def gated(*args: Any) -> Any:
        gate.wait(WAIT)
        return read(*args)

    async def revoke() -> None:
        await record(app.revoke_token, credential.id, actor=SYSTEM)

    async def erase() -> None:
        await record(app.erase_person, demo.ids["sam"], actor=SYSTEM)

    endings = [revoke, erase] if first == "revoked" else [erase, revoke]
    async with connected(served.base, token) as socket:
        await socket.subscribe("1", EVENTS, id=demo.node("Mentorship", "one_on_one"))
        served.wait_for_subscribers(1)
        monkeypatch.setattr(served.feed, "_read", gated)
        await record(_goal, app, demo.ids["one_on_one"], grace, "Before")
        await endings[0]()
        await record(_goal, app, demo.ids["one_on_one"], grace, "After")
        await endings[1]()
        gate.set()  # the feed now reads them all in one page
        before = await socket.event("1")
        message = await socket.receive()
        assert message["type"] == "next", message
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert first in error["message"]
        assert (await socket.receive()) == {"id": "1", "type": "complete"}
    assert before["title"] == "Before"


async def test_a_token_revoked_after_the_socket_opened_cannot_subscribe(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    token, credential = await record(
        app.issue_token, actor=SYSTEM, person_id=demo.ids["sam"], role="participant"
    )
    async with connected(served.base, token) as socket:
        await record(app.revoke_token, credential.id, actor=SYSTEM)
        await socket.subscribe("1", EVENTS, id=demo.node("Mentorship", "one_on_one"))
        message = await socket.receive()
        assert message["type"] == "next", message
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED", message
        assert (await socket.receive()) == {"id": "1", "type": "complete"}
    served.wait_for_subscribers(0)


async def test_erasing_the_person_ends_their_subscriptions(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    mentorship = demo.node("Mentorship", "one_on_one")
    async with (
        connected(served.base, demo.tokens["participant"]) as sam,
        connected(served.base, demo.tokens["partner"]) as grace,
    ):
        await sam.subscribe("1", EVENTS, id=mentorship)
        await sam.subscribe("2", ACTIVITY, id=demo.node("Program", "program"))
        await grace.subscribe("g", EVENTS, id=mentorship)
        served.wait_for_subscribers(3)
        await record(app.erase_person, demo.ids["sam"], actor=SYSTEM, reason="asked")
        ended: dict[str, list[dict[str, Any]]] = {"1": [], "2": []}
        for _ in range(4):
            message = await sam.receive()
            ended[message["id"]].append(message)
        for operation_id, (error, complete) in ended.items():
            assert error["type"] == "next", error
            (reason,) = error["payload"]["errors"]
            assert reason["extensions"]["code"] == "UNAUTHENTICATED"
            assert "erased" in reason["message"]
            assert complete == {"id": operation_id, "type": "complete"}
        served.wait_for_subscribers(1)
        # His mentor's subscription to the same mentorship goes on.
        await record(
            _goal,
            app,
            demo.ids["one_on_one"],
            person_actor(demo.ids["grace"]),
            "After the erasure",
        )
        assert (await grace.event("g"))["title"] == "After the erasure"
    served.wait_for_subscribers(0)


# -- another process ----------------------------------------------------------------


async def test_an_event_recorded_by_another_process_reaches_a_subscriber(
    settings: Settings, tmp_path: Path
) -> None:
    """`mentorlog serve` in a process of its own; this process records the events."""
    writer = open_services(settings)
    server: Process | None = None
    try:
        demo = build_demo(writer.app)
        port = free_port()
        server = Process(
            ["serve", *cli_args(writer), "--port", str(port)], tmp_path / "serve.log"
        )
        wait_healthy(server, port)
        base = f"http://127.0.0.1:{port}"
        sam = person_actor(demo.ids["sam"])
        async with connected(base, demo.tokens["participant"]) as socket:
            await socket.subscribe(
                "1", EVENTS, id=demo.node("Mentorship", "one_on_one")
            )
            # The server takes the subscription in its own time: record until one
            # arrives; from then on every event must follow, in the order recorded.
            titles: list[str] = []
            first: dict[str, Any] | None = None
            for attempt in range(int(WAIT)):
                titles.append(f"Recorded by another process ({attempt})")
                await record(_goal, writer.app, demo.ids["one_on_one"], sam, titles[-1])
                try:
                    message = json.loads(await asyncio.wait_for(socket.ws.recv(), 1))
                except TimeoutError:
                    continue
                first = message["payload"]["data"]["mentorshipEvents"]
                break
            assert first is not None, server.output
            assert first["__typename"] == "GoalSet" and first["title"] in titles
            titles.append("And one more")
            await record(_goal, writer.app, demo.ids["one_on_one"], sam, titles[-1])
            expected = titles[titles.index(first["title"]) + 1 :]
            following = [await socket.event("1") for _ in expected]
            assert [e["title"] for e in following] == expected
            sequences = [first["sequence"]] + [e["sequence"] for e in following]
            assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    finally:
        if server is not None:
            server.stop()
        writer.close()
