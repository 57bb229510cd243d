"""Authenticating reads no events in the steady state; revocations and erasures
still refuse at once here, and within the stated bound in every other process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from mentorlog.core.access import Principal, credential_id
from mentorlog.core.principals import REFRESH_SECONDS

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    demo_fixture,
    open_api,
)

QUERY = "{ __typename }"
SYSTEM = "system:tests"


def count_calls(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str
) -> Callable[[], int]:
    """Count the calls of a method of one object (from any thread)."""
    calls = [0]
    original = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, counted)
    return lambda: calls[0]


async def refused_within(api: Api, token: str, bound: float) -> str:
    """Poll until the token is refused (401), failing after the bound (plus
    slack for a slow machine); return the refusal's message."""
    deadline = time.monotonic() + bound + 2.0
    while True:
        response = await api.post(QUERY, token=token)
        if response.status_code == 401:
            return str(response.json()["errors"][0]["message"])
        assert response.status_code == 200, response.text
        assert time.monotonic() < deadline, "still accepted after the bound"
        await asyncio.sleep(0.05)


async def test_a_steady_state_request_reads_no_events(
    api: Api, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = demo.tokens["participant"]
    assert (await api.post(QUERY, token=token)).status_code == 200
    await api.settle()
    recorder = api.services.app.recorder
    events = count_calls(monkeypatch, recorder, "select_events")
    principals = api.services.app.principals
    syncs = principals.syncs
    started = time.monotonic()
    for _ in range(30):
        assert (await api.post(QUERY, token=token)).status_code == 200
    elapsed = time.monotonic() - started
    assert events() == 0
    # The log is looked at (two small reads) at most once per refresh.
    assert principals.syncs - syncs <= 1 + elapsed / principals.refresh


async def test_this_process_refuses_at_once(api: Api, demo: Demo) -> None:
    """A revocation or erasure recorded here: the very next request is refused,
    however recently the log was read."""
    api.services.app.principals.refresh = 3600.0  # no reading the log meanwhile
    participant, partner = demo.tokens["participant"], demo.tokens["partner"]
    for token in (participant, partner, demo.tokens["admin"]):
        assert (await api.post(QUERY, token=token)).status_code == 200
    revoked = await api.mutate(
        "revokeToken",
        {"credentialId": str(credential_id(participant))},
        "credentialId",
        participant,  # its own
    )
    assert revoked["userErrors"] == []
    response = await api.post(QUERY, token=participant)
    assert response.status_code == 401 and "revoked" in response.text
    assert (await api.post(QUERY, token=partner)).status_code == 200
    erased = await api.mutate(
        "erasePerson",
        {"personId": demo.node("Person", "grace")},
        "person { id }",
        demo.tokens["admin"],
    )
    assert erased["userErrors"] == []
    response = await api.post(QUERY, token=partner)
    assert response.status_code == 401 and "erased" in response.text


@pytest.mark.parametrize("what", ["revoked", "erased"])
async def test_another_process_refuses_within_the_bound(
    api: Api, demo: Demo, settings: Settings, what: str
) -> None:
    """A second server on the same store (its own principals) refuses the token
    within REFRESH_SECONDS of this one recording its end, with no request to it
    in between reading the store for the token."""
    assert api.services.app.principals.refresh == REFRESH_SECONDS
    token = demo.tokens["participant"]
    other: Services = open_services(settings)
    try:
        async for second in open_api(settings, other):
            assert (await second.post(QUERY, token=token)).status_code == 200
            kept = other.app.principals.get(str(credential_id(token)))[0]
            assert kept is not None
            if what == "revoked":
                api.services.app.revoke_token(
                    str(credential_id(token)), actor=SYSTEM, reason="lost laptop"
                )
            else:
                api.services.app.erase_person(demo.ids["sam"], actor=SYSTEM)
            message = await refused_within(second, token, REFRESH_SECONDS)
            assert what in message
            # And its other tokens still hold there.
            response = await second.post(QUERY, token=demo.tokens["admin"])
            assert response.status_code == 200
    finally:
        other.close()


async def test_with_the_cache_off_every_request_loads(
    api: Api, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PRINCIPAL_CACHE_MAXSIZE=0 (the benchmark's 'before'): loads every time."""
    api.services.app.principals.maxsize = 0
    events = count_calls(monkeypatch, api.services.app.recorder, "select_events")
    token = demo.tokens["participant"]
    for _ in range(3):
        assert (await api.post(QUERY, token=token)).status_code == 200
    assert events() >= 3


def test_a_load_racing_a_drop_is_not_kept(services: Services) -> None:
    """A miss loaded before a revocation was seen, put after: not kept."""
    principals = services.app.principals
    grace = Principal("c1", "p1", "participant")
    kept, generation = principals.get("c1")
    assert kept is None
    principals.forget({"c2"}, set())  # anything dropped meanwhile
    principals.put(grace, generation)
    assert principals.get("c1")[0] is None
    principals.put(grace, principals.get("c1")[1])
    assert principals.get("c1")[0] == grace
    principals.forget(set(), {"p1"})
    assert principals.get("c1")[0] is None
