"""Webhook deliveries to a real HTTP receiver: signed, retried, bounded, resumed."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.webhooks import new_secret
from mentorlog.projections.webhooks import DELIVERED, FAILED
from standardwebhooks import Webhook

from mentorlog.services import Services
from mentorlog.settings import Settings
from mentorlog.webhooks import WebhookSender, outbox, sign
from tests.conftest import World
from tests.processes import free_port
from tests.test_api_support import Api, api_fixture, gid

__all__ = ["api_fixture"]
SQLITE_ONLY = pytest.mark.sqlite_only("sending is the point; both stores run the next")

SECRET_TEXT = "Ask about the team lead opening, secretly"
TIMEOUT = 0.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Fast retries, short timeouts and small answers, so the tests are quick."""
    return replace(
        settings,
        webhooks_interval=0.05,
        webhooks_timeout=TIMEOUT,
        webhooks_backoff=0.02,
        webhooks_max_backoff=0.1,
        webhooks_max_attempts=8,
        webhooks_max_response_bytes=4096,
    )


class Receiver:
    """An HTTP server on a free port; each request takes the next planned answer."""

    def __init__(self, plan: list[str] | None = None) -> None:
        self.plan = list(plan or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.acknowledged: dict[str, bytes] = {}  # by webhook-id: deduped
        self.port = free_port()
        self.server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        """Listen (again)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.requests.append((headers, body))
                    mode = receiver.plan.pop(0) if receiver.plan else "ok"
                if mode == "slow":
                    time.sleep(TIMEOUT * 2)
                if mode == "500":
                    self._answer(500, b"broken")
                elif mode == "redirect":
                    self.send_response(307)
                    self.send_header("location", "http://169.254.169.254/")
                    self.send_header("content-length", "0")
                    self.end_headers()
                elif mode == "huge":
                    self._answer(200, b"x" * 1_000_000)
                else:
                    with receiver.lock:
                        receiver.acknowledged.setdefault(headers["webhook-id"], body)
                    self._answer(204, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the sender stopped reading
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: tries meet a refused connection."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver, not yet listening."""
    made = Receiver()
    yield made
    made.stop()


def endpoint(app: Mentoring, world: World, url: str, secret: str) -> str:
    """An endpoint of the world's program, every event type."""
    app.env["WEBHOOKS_ALLOW_PRIVATE"] = "on"  # the receiver is on 127.0.0.1
    return app.register_webhook(
        world.program, actor=person_actor(world.admin), url=url, secret=secret
    ).id


def rows(services: Services, endpoint_id: str) -> list[tuple[Any, ...]]:
    """The endpoint's outbox rows: position, status, attempts, last error."""
    with outbox(services.read_models) as c:
        c.execute(
            "SELECT position, status, attempts, last_error FROM webhook_deliveries "
            "WHERE endpoint_id = ? ORDER BY position",
            (endpoint_id,),
        )
        return [tuple(r) for r in c.fetchall()]


def settle(services: Services, sender: WebhookSender, endpoint_id: str) -> None:
    """Apply the log, then send until nothing of the endpoint is pending (bounded)."""
    services.runner.catch_up()
    for _ in range(400):
        sender.send_due()
        if all(r[1] != "pending" for r in rows(services, endpoint_id)):
            return
        time.sleep(0.02)
    raise AssertionError(rows(services, endpoint_id))


def activity(app: Mentoring, world: World) -> str:
    """A mentorship with public and private goals and notes; its ID."""
    mentorship = world.one_on_one()
    mentee = world.mentee_actor
    app.set_goal(mentorship, actor=mentee, title="Ship the export", framework="plain")
    app.set_goal(
        mentorship,
        actor=mentee,
        title=SECRET_TEXT,
        framework="plain",
        fields={"description": SECRET_TEXT},
        private=True,
    )
    app.write_note(mentorship, actor=mentee, text=SECRET_TEXT, private=True)
    app.write_note(mentorship, actor=mentee, text="Bring the roadmap", private=False)
    return mentorship


@SQLITE_ONLY
def test_deliveries_survive_a_receiver_down_slow_redirecting_failing_and_huge(
    services: Services, world: World, receiver: Receiver
) -> None:
    app = services.app
    secret = new_secret()
    endpoint_id = endpoint(app, world, receiver.url, secret)
    mentorship = activity(app, world)
    sender = WebhookSender(services)
    services.runner.catch_up()
    sender.send_due()  # the receiver is down: the first try is refused
    queued = rows(services, endpoint_id)
    assert queued[0][1:3] == ("pending", 1) and "ConnectError" in queued[0][3]
    # The endpoint's other deliveries wait for the next round, untried.
    assert len(queued) > 1 and all(r[1:3] == ("pending", 0) for r in queued[1:])
    receiver.plan = ["500", "redirect", "slow", "huge", "500"]
    receiver.start()
    settle(services, sender, endpoint_id)

    # Each event exactly once after dedupe by webhook-id, each signed and verifying.
    log = [
        (n.id, n.topic.rsplit(".", 1)[-1])
        for n in app.recorder.select_notifications(1, 1000)
        if "Mentorship." in n.topic
    ]
    received = {
        json.loads(body)["data"]["position"]: json.loads(body)
        for body in receiver.acknowledged.values()
    }
    assert sorted(received) == [position for position, _ in log]
    for position, topic in log:
        assert received[position]["type"] == topic
        assert received[position]["data"]["mentorshipId"] == mentorship
        assert received[position]["data"]["programId"] == world.program
    verifier = Webhook(secret)
    for headers, body in receiver.requests:
        verifier.verify(body, headers)  # raises unless signed with the secret
    assert all(r[1:3] != (FAILED, 8) for r in rows(services, endpoint_id))
    assert {r[1] for r in rows(services, endpoint_id)} == {DELIVERED}
    # A private goal's or note's text is in no body, tried or acknowledged.
    assert not any(SECRET_TEXT.encode() in body for _, body in receiver.requests)
    public = [b for b in receiver.acknowledged.values() if b"Ship the export" in b]
    assert len(public) == 1

    # A restart resumes: a new sender sends only what was not acknowledged.
    before = len(receiver.requests)
    restarted = WebhookSender(services)
    app.write_note(
        mentorship, actor=world.mentee_actor, text="After the restart", private=False
    )
    settle(services, restarted, endpoint_id)
    sent = [json.loads(body) for _, body in receiver.requests[before:]]
    assert [b["data"].get("text") for b in sent] == ["After the restart"]
    restarted.stop()
    sender.stop()


def test_an_endpoint_that_keeps_failing_is_disabled_then_redelivered(  # both stores
    services: Services, world: World, receiver: Receiver
) -> None:
    app = services.app
    services = replace(
        services, settings=replace(services.settings, webhooks_max_attempts=2)
    )
    receiver.plan = ["500"] * 4
    receiver.start()
    endpoint_id = endpoint(app, world, receiver.url, new_secret())
    world.one_on_one(start=False)
    sender = WebhookSender(services)
    settle(services, sender, endpoint_id)
    assert [r[1:] for r in rows(services, endpoint_id)] == [(FAILED, 2, "HTTP 500")]
    found = app.get_webhook(endpoint_id)
    assert not found.enabled and "failed 2 times" in found.disabled_reason
    admin = person_actor(world.admin)
    app.enable_webhook(endpoint_id, actor=admin)
    position = rows(services, endpoint_id)[0][0]
    app.redeliver_webhook(endpoint_id, actor=admin, positions=[position])
    receiver.plan = []
    settle(services, sender, endpoint_id)
    assert [r[1] for r in rows(services, endpoint_id)] == [DELIVERED]
    assert len(receiver.acknowledged) == 1
    sender.stop()


def test_signatures_match_the_specifications_example() -> None:
    """The Standard Webhooks example: its secret, id, timestamp, body and signature."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    message_id, timestamp = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    body = '{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    at = datetime.fromtimestamp(timestamp, UTC)
    assert sign(secret, message_id, at, body)["webhook-signature"] == expected
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    by_hand = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    assert f"v1,{by_hand.decode()}" == expected


DELIVERIES = """query($program: ID!) { webhookEndpoints(programId: $program) {
  url deliveries(first: 10) { edges { node { eventType status attempts messageId } }
  pageInfo { hasNextPage } } } }"""


@SQLITE_ONLY
async def test_the_served_app_delivers_and_admins_read_the_log(
    api: Api, world: World, receiver: Receiver
) -> None:
    receiver.start()
    app = api.services.app
    endpoint(app, world, receiver.url, new_secret())
    world.one_on_one(start=False)
    for _ in range(500):  # the app's own sender thread delivers it
        if receiver.acknowledged:
            break
        time.sleep(0.02)
    assert len(receiver.acknowledged) == 1
    program = gid("Program", world.program)
    admin = api.token(world.admin, "admin", world.program)
    for _ in range(100):  # the acknowledgement is recorded just after the answer
        got = await api.gql(DELIVERIES, {"program": program}, admin)
        edges = got["webhookEndpoints"][0]["deliveries"]["edges"]
        if edges and edges[0]["node"]["status"] == DELIVERED:
            break
        time.sleep(0.02)
    assert [e["node"]["eventType"] for e in edges] == ["MENTORSHIP_PROPOSED"]
    assert edges[0]["node"]["status"] == DELIVERED
    assert edges[0]["node"]["messageId"] in receiver.acknowledged
    mentee = api.token(world.mentee, "participant", world.program)
    assert (await api.gql(DELIVERIES, {"program": program}, mentee)) == {
        "webhookEndpoints": []
    }


@SQLITE_ONLY
def test_the_projections_wake_the_sender_before_its_timer(
    services: Services, world: World, receiver: Receiver
) -> None:
    """With a minute between the sender's rounds, a new event's delivery still goes
    out as soon as the projections queue it (they wake the sender)."""
    receiver.start()
    endpoint(services.app, world, receiver.url, new_secret())
    services.runner.catch_up()
    sender = WebhookSender(
        replace(services, settings=replace(services.settings, webhooks_interval=60.0))
    )
    services.runner.start()
    sender.start()  # its first round finds nothing due; the next is a minute away
    try:
        time.sleep(0.2)
        world.one_on_one(start=False)
        for _ in range(250):
            if receiver.acknowledged:
                break
            time.sleep(0.02)
        assert len(receiver.acknowledged) == 1
    finally:
        sender.stop()


@SQLITE_ONLY
def test_a_host_that_turned_private_is_not_reached(
    services: Services, world: World, receiver: Receiver
) -> None:
    """Checked again before each try: with private receivers no longer allowed, the
    127.0.0.1 receiver registered while they were is refused, and gets nothing."""
    receiver.start()
    app = services.app
    endpoint_id = endpoint(app, world, receiver.url, new_secret())
    world.one_on_one(start=False)
    app.env["WEBHOOKS_ALLOW_PRIVATE"] = "off"
    services.runner.catch_up()
    WebhookSender(services).send_due()
    [(_, status, attempts, error)] = rows(services, endpoint_id)
    assert (status, attempts) == ("pending", 1) and "127.0.0.1" in error
    assert receiver.requests == []


def test_the_sender_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("MENTORLOG_WEBHOOKS_INTERVAL", "0.25")
    monkeypatch.setenv("MENTORLOG_WEBHOOKS_MAX_ATTEMPTS", "3")
    found = Settings.from_env(data_dir=tmp_path)
    assert (found.webhooks_interval, found.webhooks_max_attempts) == (0.25, 3)
    monkeypatch.setenv("MENTORLOG_WEBHOOKS_TIMEOUT", "-1")
    with pytest.raises(ValueError, match="MENTORLOG_WEBHOOKS_TIMEOUT"):
        Settings.from_env(data_dir=tmp_path)
