"""Invitations instead of minted tokens: an admin invites, the person redeems it
themselves (a one-time code, or signing in with their verified email); each
issuance and redemption is an event, and bad redemptions record nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from mentorlog.core import clock
from mentorlog.core.access import token_hash

from examples.local_issuer import LocalIssuer
from mentorlog.settings import Settings
from tests.test_api_support import SYSTEM_ACTOR, Api, build_demo, gid
from tests.test_oidc import (  # noqa: F401
    VIEWER,
    configured_api,
    issuer_fixture,
    oidc,
    served_issuer_fixture,
)

pytestmark = pytest.mark.sqlite_only("rules of invitations; no store changes them")

INVITE = """mutation($input: InvitePersonInput!) { invitePerson(input: $input) {
  invitationId code userErrors { field message code } } }"""


@pytest.fixture(name="api")
async def api_fixture(settings: Settings, issuer: LocalIssuer) -> AsyncIterator[Api]:
    """The API with the demo, accepting the local issuer's tokens."""
    async with configured_api(settings, oidc(issuer)) as api:
        yield api


def newcomer(api: Api, email: str | None = None) -> str:
    """A person registered through core, taking part in nothing."""
    return api.services.app.register_person(
        actor=SYSTEM_ACTOR,
        display_name="Noor Newcomer",
        career_stage="early",
        years_experience=1,
        tenure_years=1,
        email=email,
    ).id


async def invite(api: Api, admin: str, person: str, program: str, **more: str) -> dict:
    """Run invitePerson as the admin; its payload."""
    variables = {
        "personId": gid("Person", person),
        "role": "PARTICIPANT",
        "programId": gid("Program", program),
        **more,
    }
    data = await api.gql(INVITE, {"input": variables}, admin)
    payload: dict = data["invitePerson"]
    return payload


async def test_a_code_is_redeemed_once_by_whoever_holds_it(api: Api) -> None:
    demo = build_demo(api.services.app)
    noor = newcomer(api)
    await api.settle()
    invited = await invite(api, demo.tokens["admin"], noor, demo.ids["program"])
    assert invited["userErrors"] == [] and invited["code"].startswith("mlgi_")
    code = invited["code"]
    # Only the code's hash is stored.
    kept = api.services.app.repository.get(UUID(invited["invitationId"]))
    assert kept.code_hash == token_hash(code)
    events = api.services.app.recorder.select_notifications(0, 10_000)
    assert not any(code.encode() in n.state for n in events)
    redeemed = await api.client.post("/invitations/redeem", json={"code": code})
    assert redeemed.status_code == 200, redeemed.text
    token = redeemed.json()["token"]
    await api.settle()
    viewer = (await api.gql(VIEWER, token=token))["viewer"]
    assert viewer["role"] == "PARTICIPANT"
    assert viewer["person"]["displayName"] == "Noor Newcomer"
    # Once only; and what a redemption refuses records nothing.
    head = api.head()
    for body in ({"code": code}, {"code": "mlgi_unknown"}, {"nope": 1}, [1], "x"):
        again = await api.client.post("/invitations/redeem", json=body)
        assert again.status_code == 400, (body, again.text)
        assert again.json()["errors"][0]["extensions"]["code"] in (
            "INVALID_INPUT",
            "BAD_REQUEST",
        )
    assert (
        "redeemed already"
        in (await api.client.post("/invitations/redeem", json={"code": code})).json()[
            "errors"
        ][0]["message"]
    )
    assert api.head() == head


async def test_a_code_expires(api: Api) -> None:
    demo = build_demo(api.services.app)
    noor = newcomer(api)
    long_ago = datetime.now(UTC) - timedelta(days=8)
    with clock.simulated(lambda: long_ago):
        code, _ = api.services.app.invite_person(
            actor=SYSTEM_ACTOR,
            person_id=noor,
            role="participant",
            program_id=demo.ids["program"],
        )
    assert code is not None
    head = api.head()
    refused = await api.client.post("/invitations/redeem", json={"code": code})
    assert refused.status_code == 400
    assert "expired" in refused.json()["errors"][0]["message"]
    assert api.head() == head


async def test_signing_in_with_the_invited_verified_email_links_the_person(
    api: Api, issuer: LocalIssuer
) -> None:
    demo = build_demo(api.services.app)
    noor = newcomer(api, email="noor@example.test")
    await api.settle()
    admin = demo.tokens["admin"]
    # Only the person's own recorded email: else an admin would invite herself.
    wrong = await invite(
        api, admin, noor, demo.ids["program"], email="ada@example.test"
    )
    assert [e["code"] for e in wrong["userErrors"]] == ["INVALID_INPUT"]
    invited = await invite(
        api, admin, noor, demo.ids["program"], email="Noor@Example.test"
    )
    assert invited["userErrors"] == [] and invited["code"] is None
    # An unverified email redeems nothing.
    unverified = issuer.sign(
        sub="noor-1", email="noor@example.test", email_verified=False
    )
    response = await api.post(VIEWER, token=unverified)
    assert response.json()["errors"][0]["extensions"]["reason"] == (
        "IDENTITY_NOT_LINKED"
    )
    verified = issuer.sign(sub="noor-1", email="noor@example.test", email_verified=True)
    response = await api.post(VIEWER, token=verified)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["role"] == "PARTICIPANT"
    # Redeemed: another account with the same email is not linked by it.
    other = issuer.sign(sub="noor-2", email="noor@example.test", email_verified=True)
    response = await api.post(VIEWER, token=other)
    assert response.json()["errors"][0]["extensions"]["reason"] == (
        "IDENTITY_NOT_LINKED"
    )


async def test_whoever_kept_a_code_holds_nothing_once_the_person_signs_in(
    api: Api, issuer: LocalIssuer
) -> None:
    demo = build_demo(api.services.app)
    noor = newcomer(api, email="noor@example.test")
    await api.settle()
    admin = demo.tokens["admin"]
    # The admin redeems the code meant for Noor: a token in Noor's name.
    code = (await invite(api, admin, noor, demo.ids["program"]))["code"]
    kept = await api.client.post("/invitations/redeem", json={"code": code})
    kept_token = kept.json()["token"]
    assert (await api.post(VIEWER, token=kept_token)).status_code == 200
    # No second code for her while that token stands; an email invitation instead.
    again = await invite(api, admin, noor, demo.ids["program"])
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_INPUT"]
    assert "by email" in again["userErrors"][0]["message"]
    invited = await invite(
        api, admin, noor, demo.ids["program"], email="noor@example.test"
    )
    assert invited["userErrors"] == []
    # Noor signs in with her verified email: the code's token ends at once.
    signed = issuer.sign(sub="noor-1", email="noor@example.test", email_verified=True)
    response = await api.post(VIEWER, token=signed)
    assert response.json()["data"]["viewer"]["role"] == "PARTICIPANT"
    refused = await api.post(VIEWER, token=kept_token)
    assert refused.status_code == 401, refused.text
    credential = api.services.app.repository.get(UUID(kept.json()["credentialId"]))
    assert credential.revoked
    history = api.services.app.recorder.select_notifications(0, 10_000)
    assert any(
        n.topic.endswith("Credential.Revoked") and b"superseded" in n.state
        for n in history
    )


async def test_an_operator_linking_the_person_ends_their_code_tokens(api: Api) -> None:
    demo = build_demo(api.services.app)
    noor = newcomer(api)
    await api.settle()
    code, _ = api.services.app.invite_person(
        actor=SYSTEM_ACTOR,
        person_id=noor,
        role="participant",
        program_id=demo.ids["program"],
    )
    assert code is not None
    token, _ = api.services.app.redeem_invitation(actor="test", code=code)
    assert (await api.post(VIEWER, token=token)).status_code == 200
    api.services.app.link_identity(
        actor=SYSTEM_ACTOR, issuer="https://idp.example", subject="noor", person_id=noor
    )
    assert (await api.post(VIEWER, token=token)).status_code == 401
    # A second identity supersedes nothing more: no second revocation.
    head = api.head()
    api.services.app.link_identity(
        actor=SYSTEM_ACTOR,
        issuer="https://idp.example",
        subject="noor-2",
        person_id=noor,
    )
    revocations = [
        n
        for n in api.services.app.recorder.select_notifications(head + 1, 100)
        if n.topic.endswith("Credential.Revoked")
    ]
    assert revocations == []
