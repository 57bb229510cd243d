"""Webhook endpoints: registered by program admins, refused when unsafe or reused."""

from __future__ import annotations

import base64
import os

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.webhooks import is_private, new_secret

from tests.conftest import World
from tests.test_api_support import Api, api_fixture, gid
from tests.test_rules import refused

__all__ = ["api_fixture"]
pytestmark = pytest.mark.sqlite_only("the rules of endpoints change with no store")

PUBLIC = "https://93.184.215.14/hooks"  # a public address: nothing resolves, no request


def register(app: Mentoring, world: World, **changes: object) -> str:
    """Register an endpoint as the program's admin; its ID."""
    arguments: dict[str, object] = {
        "url": PUBLIC,
        "event_types": ["GoalSet"],
        "secret": new_secret(),
        **changes,
    }
    return app.register_webhook(
        world.program,
        actor=person_actor(world.admin),
        **arguments,  # type: ignore[arg-type]
    ).id


def test_an_endpoint_is_registered_disabled_enabled_and_deleted(
    app: Mentoring, world: World
) -> None:
    secret = new_secret()
    endpoint = register(app, world, secret=secret)
    found = app.get_webhook(endpoint)
    assert (found.url, found.event_types, found.enabled) == (PUBLIC, ["GoalSet"], True)
    assert secret not in repr(found.sealed_secret)
    stored = app.recorder.select_notifications(1, 1000)
    assert not any(secret.encode() in n.state for n in stored)
    assert app.webhook_secret(endpoint) == secret
    actor = person_actor(world.admin)
    app.disable_webhook(endpoint, actor=actor, reason="maintenance")
    assert not app.get_webhook(endpoint).enabled
    with refused(app, "INVALID_TRANSITION"):
        app.disable_webhook(endpoint, actor=actor)
    app.enable_webhook(endpoint, actor=actor)
    assert app.get_webhook(endpoint).enabled
    app.delete_webhook(endpoint, actor=actor)
    assert app.get_webhook(endpoint).deleted
    assert app.webhook_secret(endpoint) is None  # its key is destroyed
    with refused(app, "INVALID_TRANSITION"):
        app.enable_webhook(endpoint, actor=actor)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/hook", "WEBHOOK_URL_INVALID"),
        ("javascript:alert(1)", "WEBHOOK_URL_INVALID"),
        ("https://user:pw@example.com/", "WEBHOOK_URL_INVALID"),
        ("http://", "WEBHOOK_URL_INVALID"),
        ("http://127.0.0.1:8080/hook", "WEBHOOK_URL_PRIVATE"),
        ("http://localhost/hook", "WEBHOOK_URL_PRIVATE"),
        ("http://[::1]/hook", "WEBHOOK_URL_PRIVATE"),
        ("http://169.254.169.254/latest/meta-data", "WEBHOOK_URL_PRIVATE"),
        ("http://10.1.2.3/hook", "WEBHOOK_URL_PRIVATE"),
        ("http://192.168.0.10/hook", "WEBHOOK_URL_PRIVATE"),
        ("http://[::ffff:10.0.0.1]/hook", "WEBHOOK_URL_PRIVATE"),
        ("http://0.0.0.0/hook", "WEBHOOK_URL_PRIVATE"),
    ],
)
def test_unsafe_urls_are_refused(
    app: Mentoring, world: World, url: str, code: str
) -> None:
    with refused(app, code, "url"):
        register(app, world, url=url)


def test_private_addresses_are_allowed_on_closed_networks(
    app: Mentoring, world: World
) -> None:
    app.env["WEBHOOKS_ALLOW_PRIVATE"] = "on"
    endpoint = register(app, world, url="http://127.0.0.1:9/hook")
    assert app.get_webhook(endpoint).url == "http://127.0.0.1:9/hook"


def test_a_secret_is_never_shared_and_spelled_as_the_spec_says(
    app: Mentoring, world: World
) -> None:
    secret = new_secret()
    register(app, world, secret=secret)
    with refused(app, "WEBHOOK_SECRET_REUSED", "secret"):
        register(app, world, secret=secret)
    short = "whsec_" + base64.b64encode(os.urandom(8)).decode()
    for bad in ("not-a-secret", "whsec_???", short):
        with refused(app, "WEBHOOK_SECRET_INVALID", "secret"):
            register(app, world, secret=bad)


def test_unknown_event_types_and_programs_are_refused(
    app: Mentoring, world: World
) -> None:
    with refused(app, "INVALID_INPUT", "eventTypes.1"):
        register(app, world, event_types=["GoalSet", "NoSuchEvent"])
    with refused(app, "NOT_FOUND", "programId"):
        app.register_webhook(
            "00000000-0000-0000-0000-000000000000",
            actor=person_actor(world.admin),
            url=PUBLIC,
            secret=new_secret(),
        )


def test_addresses_that_are_not_public() -> None:
    assert [is_private(a) for a in ("8.8.8.8", "2606:4700::1111")] == [False, False]
    assert all(
        is_private(a)
        for a in ("127.0.0.1", "::1", "fe80::1%eth0", "100.64.0.1", "172.16.0.1")
    )


REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) {
  webhook { id url eventTypes enabled } secret userErrors { field code } } }"""
DISABLE = """mutation($input: DisableWebhookInput!) { disableWebhook(input: $input) {
  webhook { enabled disabledReason } userErrors { field code } } }"""


async def test_admins_register_over_the_api_and_see_the_secret_once(
    api: Api, world: World
) -> None:
    admin = api.token(world.admin, "admin", world.program)
    program = gid("Program", world.program)
    got = await api.gql(
        REGISTER,
        {"input": {"programId": program, "url": PUBLIC, "eventTypes": ["GOAL_SET"]}},
        admin,
    )
    made = got["registerWebhook"]
    assert made["userErrors"] == []
    assert made["webhook"]["eventTypes"] == ["GOAL_SET"]
    assert made["secret"].startswith("whsec_")
    disabled = await api.gql(
        DISABLE, {"input": {"webhookId": made["webhook"]["id"], "reason": "x"}}, admin
    )
    assert disabled["disableWebhook"]["webhook"] == {
        "enabled": False,
        "disabledReason": "x",
    }
    # A participant, even of the program, is refused as if the program were unknown.
    mentee = api.token(world.mentee, "participant", world.program)
    head = api.head()
    refused_ = await api.gql(
        REGISTER, {"input": {"programId": program, "url": PUBLIC}}, mentee
    )
    assert refused_["registerWebhook"]["userErrors"] == [
        {"field": "programId", "code": "NOT_FOUND"}
    ]
    again = await api.gql(
        DISABLE, {"input": {"webhookId": made["webhook"]["id"]}}, mentee
    )
    assert again["disableWebhook"]["userErrors"] == [
        {"field": "webhookId", "code": "NOT_FOUND"}
    ]
    assert api.head() == head
