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
  invitationId code invitation { status kind } userErrors { field message code } } }"""


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


LIST = """query($id: ID!, $status: InvitationStatus) {
  invitations(programId: $id, status: $status, first: 10) {
    edges { node { id kind status role reason person { displayName } } } } }"""
WITHDRAW = """mutation($input: WithdrawInvitationInput!) {
  withdrawInvitation(input: $input) { invitation { status reason closedAt }
  userErrors { field message code } } }"""


async def test_an_admin_lists_and_withdraws_their_programs_invitations(
    api: Api,
) -> None:
    demo = build_demo(api.services.app)
    noor = newcomer(api)
    await api.settle()
    admin, program = demo.tokens["admin"], gid("Program", demo.ids["program"])
    invited = await invite(api, admin, noor, demo.ids["program"])
    listed = (await api.gql(LIST, {"id": program, "status": "OPEN"}, admin))[
        "invitations"
    ]["edges"]
    assert [e["node"]["person"]["displayName"] for e in listed] == ["Noor Newcomer"]
    assert listed[0]["node"]["kind"] == "CODE"
    node_id = listed[0]["node"]["id"]
    # Another program's admin and a participant see none, and withdraw none.
    for token in (demo.tokens["other_admin"], demo.tokens["participant"]):
        seen = await api.gql(LIST, {"id": program}, token)
        assert seen["invitations"]["edges"] == []
        head = api.head()
        refused = (
            await api.gql(WITHDRAW, {"input": {"invitationId": node_id}}, token)
        )["withdrawInvitation"]
        assert [e["code"] for e in refused["userErrors"]] in (
            ["NOT_FOUND"],
            ["FORBIDDEN"],
        )
        assert api.head() == head
    done = (
        await api.gql(
            WITHDRAW,
            {"input": {"invitationId": node_id, "reason": "Wrong person"}},
            admin,
        )
    )["withdrawInvitation"]
    assert done["userErrors"] == [] and done["invitation"]["status"] == "WITHDRAWN"
    assert done["invitation"]["reason"] == "Wrong person"
    # Its code redeems nothing now, and withdrawing again records nothing.
    head = api.head()
    redeemed = await api.client.post(
        "/invitations/redeem", json={"code": invited["code"]}
    )
    assert redeemed.status_code == 400 and "withdrawn" in redeemed.text
    again = (await api.gql(WITHDRAW, {"input": {"invitationId": node_id}}, admin))[
        "withdrawInvitation"
    ]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_INPUT"]
    assert api.head() == head
    # A new code for Noor may be issued (she holds no token from the first).
    assert (await invite(api, admin, noor, demo.ids["program"]))["userErrors"] == []


async def test_an_email_invitation_is_issued_again_and_adds_a_program_at_sign_in(
    api: Api, issuer: LocalIssuer
) -> None:
    demo = build_demo(api.services.app)
    noor = newcomer(api, email="noor@example.test")
    await api.settle()
    admin = demo.tokens["admin"]
    email = {"email": "noor@example.test"}
    first = await invite(api, admin, noor, demo.ids["program"], **email)
    assert first["userErrors"] == []
    # While it is open, a second one for the email is refused.
    open_already = await invite(api, admin, noor, demo.ids["program"], **email)
    assert "open already" in open_already["userErrors"][0]["message"]
    signed = issuer.sign(sub="noor-1", email="noor@example.test", email_verified=True)
    viewer = (await api.post(VIEWER, token=signed)).json()["data"]["viewer"]
    assert viewer["role"] == "PARTICIPANT"
    # Signed in already, Noor is invited as admin of her program: the email's
    # invitation is issued again, and her next sign-in adds the grant.
    api.services.app.add_program_admin(
        demo.ids["program"], actor=SYSTEM_ACTOR, person_id=noor
    )
    second = await invite(api, admin, noor, demo.ids["program"], role="ADMIN", **email)
    assert second["userErrors"] == [], second
    assert second["invitation"]["status"] == "OPEN"
    grants = api.services.app.repository.get(UUID(noor)).grants
    assert len(grants) == 1
    await api.post(VIEWER, token=signed)
    grants = api.services.app.repository.get(UUID(noor)).grants
    assert sorted(role for role, _ in grants.values()) == ["admin", "participant"]
