"""Signing in with the identity provider's tokens: a local issuer over real HTTP
(discovery document and JWKS, keys generated per run), its JWTs accepted beside
mentorlog's bearer tokens, every bad one refused with a reason and nothing
recorded, and access ending when an identity is unlinked or a grant revoked."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from mentorlog.core.identity import grant_id
from mentorlog.core.oidc import OidcSettings
from mentorlog.core.principals import REFRESH_SECONDS

from examples.local_issuer import LocalIssuer
from examples.local_issuer import Served as ServedIssuer
from mentorlog.services import open_services
from mentorlog.settings import Settings, oidc_from_env
from tests.processes import free_port, wait_until
from tests.test_api_principals import refused_within
from tests.test_api_subscriptions import EVENTS, connected
from tests.test_api_subscriptions import Served as ServedApi
from tests.test_api_support import Api, build_demo, open_api

pytestmark = pytest.mark.sqlite_only("checks rules of tokens; no store changes them")

SYSTEM = "system:tests"
VIEWER = "{ viewer { role credentialId person { displayName } } }"


@pytest.fixture(scope="module", name="served_issuer")
def served_issuer_fixture() -> Iterator[ServedIssuer]:
    """One local issuer for the module, on a free loopback port."""
    served = ServedIssuer(free_port())
    served.start()
    yield served
    served.stop()


@pytest.fixture(name="issuer")
def issuer_fixture(served_issuer: ServedIssuer) -> Iterator[LocalIssuer]:
    """The issuer, up and serving its JWKS promptly."""
    issuer = served_issuer.issuer
    issuer.mode = "up"
    yield issuer
    issuer.mode = "up"


def oidc(issuer: LocalIssuer, **overrides: Any) -> OidcSettings:
    """Settings accepting the local issuer's tokens for audience 'mentorlog'."""
    return OidcSettings(
        issuer=issuer.base, audience="mentorlog", timeout=1.0, **overrides
    )


@asynccontextmanager
async def configured_api(
    settings: Settings, oidc_settings: OidcSettings
) -> AsyncIterator[Api]:
    """An API (its own services) accepting the issuer's tokens."""
    configured = dataclasses.replace(settings, oidc=oidc_settings)
    services = open_services(configured)
    try:
        async for api in open_api(configured, services):
            yield api
    finally:
        services.close()


@pytest.fixture(name="signed_in")
async def signed_in_fixture(
    settings: Settings, issuer: LocalIssuer
) -> AsyncIterator[SignedIn]:
    """The API with the issuer configured; Ada linked as 'ada', a participant."""
    async with configured_api(settings, oidc(issuer)) as api:
        signed_in = SignedIn.make(api, issuer)
        await api.settle()
        yield signed_in


@dataclasses.dataclass
class SignedIn:
    """An API whose person Ada signs in through the issuer as subject 'ada'."""

    api: Api
    issuer: LocalIssuer
    ada: str
    program: str
    grant: str

    @classmethod
    def make(cls, api: Api, issuer: LocalIssuer) -> SignedIn:
        """Register Ada, grant her a participant's role, link her identity."""
        app = api.services.app
        ada = app.register_person(
            actor=SYSTEM,
            display_name="Ada Lovelace",
            career_stage="late",
            years_experience=12,
            tenure_years=3,
            capacity=2,
        ).id
        program = app.create_program(
            actor=f"person:{ada}", name="Engines", description="Analytical ones"
        ).id
        grant = app.grant_role(
            actor=SYSTEM, person_id=ada, role="participant", program_id=program
        ).id
        app.link_identity(
            actor=SYSTEM, issuer=issuer.base, subject="ada", person_id=ada
        )
        return cls(api, issuer, ada, program, grant)

    async def post(self, token: str, headers: dict[str, str] | None = None) -> Any:
        """POST the viewer query with a token."""
        return await self.api.post(VIEWER, token=token, headers=headers)


def b64(data: dict[str, Any] | bytes) -> str:
    """base64url without padding, of JSON or bytes."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(issuer: LocalIssuer, **overrides: Any) -> dict[str, Any]:
    """Claims the issuer would sign for Ada."""
    now = int(time.time())
    return {
        "iss": issuer.base,
        "sub": "ada",
        "aud": "mentorlog",
        "exp": now + 300,
        **overrides,
    }


async def test_a_linked_identity_acts_in_its_grant(signed_in: SignedIn) -> None:
    response = await signed_in.post(signed_in.issuer.sign())
    assert response.status_code == 200, response.text
    viewer = response.json()["data"]["viewer"]
    assert viewer["role"] == "PARTICIPANT"
    assert viewer["credentialId"] == signed_in.grant
    assert viewer["person"]["displayName"] == "Ada Lovelace"
    # An EC key of the same issuer signs just as well; bearer tokens still work.
    assert (await signed_in.post(signed_in.issuer.sign(kid="ec-1"))).status_code == 200
    token = signed_in.api.token(signed_in.ada, "participant")
    assert (await signed_in.post(token)).status_code == 200


def _none(issuer: LocalIssuer) -> str:
    return f"{b64({'alg': 'none', 'kid': 'rsa-1'})}.{b64(claims(issuer))}."


def _hs256_with_public_key(issuer: LocalIssuer) -> str:
    """HS256 keyed with the issuer's published RSA key: the classic confusion."""
    public = json.dumps(issuer.public_jwks()["keys"][0]).encode()
    signing = f"{b64({'alg': 'HS256', 'kid': 'rsa-1'})}.{b64(claims(issuer))}"
    mac = hmac.new(public, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{b64(mac)}"


def _tampered(issuer: LocalIssuer) -> str:
    header, _, signature = issuer.sign().split(".")
    return f"{header}.{b64(claims(issuer, sub='grace'))}.{signature}"


def _unknown_kid(issuer: LocalIssuer) -> str:
    stranger = ECKey.generate_key("P-256", parameters={"kid": "stranger"})
    return jwt.encode({"alg": "ES256", "kid": "stranger"}, claims(issuer), stranger)


def _no_exp(issuer: LocalIssuer) -> str:
    body = claims(issuer)
    del body["exp"]
    return jwt.encode({"alg": "RS256", "kid": "rsa-1"}, body, issuer.keys[0])


BAD = {
    "expired": (lambda i: i.sign(exp=int(time.time()) - 120), "TOKEN_EXPIRED"),
    "not yet valid": (
        lambda i: i.sign(nbf=int(time.time()) + 120),
        "TOKEN_NOT_YET_VALID",
    ),
    "wrong issuer": (lambda i: i.sign(iss="https://evil.test"), "TOKEN_WRONG_ISSUER"),
    "wrong audience": (lambda i: i.sign(aud="another-app"), "TOKEN_WRONG_AUDIENCE"),
    "no exp": (_no_exp, "TOKEN_MALFORMED"),
    "unknown kid": (_unknown_kid, "TOKEN_UNKNOWN_KEY"),
    "alg none": (_none, "TOKEN_ALGORITHM_REFUSED"),
    "HS256 with the public key": (_hs256_with_public_key, "TOKEN_ALGORITHM_REFUSED"),
    "tampered payload": (_tampered, "TOKEN_BAD_SIGNATURE"),
    "not a JWT": (lambda i: "not-a-token", "TOKEN_MALFORMED"),
    "unlinked subject": (lambda i: i.sign(sub="grace"), "IDENTITY_NOT_LINKED"),
}


async def test_bad_tokens_are_refused_with_a_reason_and_nothing_recorded(
    signed_in: SignedIn,
) -> None:
    head = signed_in.api.head()
    for case, (make, reason) in BAD.items():
        token = make(signed_in.issuer)
        response = await signed_in.post(token)
        assert response.status_code == 401, (case, response.text)
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}, (
            case,
            error,
        )
        assert error["message"], case
        assert "invalid_token" in response.headers["www-authenticate"], case
    assert signed_in.api.head() == head


async def test_grants_choose_the_role_and_their_end_ends_access(
    signed_in: SignedIn,
) -> None:
    app = signed_in.api.services.app
    token = signed_in.issuer.sign()
    app.add_program_admin(signed_in.program, actor=SYSTEM, person_id=signed_in.ada)
    admin = app.grant_role(
        actor=SYSTEM,
        person_id=signed_in.ada,
        role="admin",
        program_id=signed_in.program,
    ).id
    assert admin == grant_id(signed_in.ada, "admin", signed_in.program)
    response = await signed_in.post(token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "GRANT_AMBIGUOUS"
    chosen = await signed_in.post(token, {"Mentorlog-Grant": admin})
    assert chosen.json()["data"]["viewer"]["role"] == "ADMIN", chosen.text
    unknown = await signed_in.post(token, {"Mentorlog-Grant": "nope"})
    assert unknown.json()["errors"][0]["extensions"]["reason"] == "GRANT_UNKNOWN"
    # Revoked: refused at once in this process.
    app.revoke_grant(actor=SYSTEM, person_id=signed_in.ada, grant=admin)
    again = await signed_in.post(token, {"Mentorlog-Grant": admin})
    assert again.json()["errors"][0]["extensions"]["reason"] == "GRANT_UNKNOWN"
    assert (await signed_in.post(token)).status_code == 200  # the one left
    app.unlink_identity(actor=SYSTEM, issuer=signed_in.issuer.base, subject="ada")
    gone = await signed_in.post(token)
    assert gone.json()["errors"][0]["extensions"]["reason"] == "IDENTITY_UNLINKED"


@pytest.mark.parametrize("what", ["grant revoked", "unlinked"])
async def test_another_process_refuses_within_the_bound(
    signed_in: SignedIn, settings: Settings, what: str
) -> None:
    token = signed_in.issuer.sign()
    async with configured_api(settings, oidc(signed_in.issuer)) as second:
        if True:
            assert (await second.post(VIEWER, token=token)).status_code == 200
            app = signed_in.api.services.app
            if what == "unlinked":
                app.unlink_identity(
                    actor=SYSTEM, issuer=signed_in.issuer.base, subject="ada"
                )
            else:
                app.revoke_grant(
                    actor=SYSTEM, person_id=signed_in.ada, grant=signed_in.grant
                )
            message = await refused_within(second, token, REFRESH_SECONDS)
            assert message


async def test_a_jwks_down_is_a_clear_error_and_fetched_at_a_bounded_rate(
    signed_in: SignedIn,
) -> None:
    issuer = signed_in.issuer
    issuer.mode = "down"
    verifier = signed_in.api.services.oidc
    assert verifier is not None
    head = signed_in.api.head()
    for _ in range(3):
        response = await signed_in.post(issuer.sign())
        assert response.status_code == 401
        error = response.json()["errors"][0]
        assert error["extensions"]["reason"] == "ISSUER_UNAVAILABLE", error
        assert "503" in error["message"]
    assert verifier.fetches == 1  # the next try waits min_refresh
    assert signed_in.api.head() == head


async def test_a_slow_jwks_waits_a_bounded_time_and_others_are_answered(
    signed_in: SignedIn,
) -> None:
    issuer = signed_in.issuer
    issuer.mode, issuer.delay = "slow", 3.0
    waiting = asyncio.create_task(signed_in.post(issuer.sign()))
    bearer_token = signed_in.api.token(signed_in.ada, "participant")
    while signed_in.api.services.oidc.fetches == 0:  # type: ignore[union-attr]
        await asyncio.sleep(0.01)
    answered = await signed_in.post(bearer_token)
    assert answered.status_code == 200  # while the JWKS is still being waited for
    assert not waiting.done()
    response = await asyncio.wait_for(waiting, 10)  # the bound: timeout, 1 s
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["reason"] == "ISSUER_UNAVAILABLE"
    assert "within 1 s" in error["message"]


async def test_an_unknown_kid_refetches_the_keys_at_a_bounded_rate(
    settings: Settings, issuer: LocalIssuer
) -> None:
    async def sign_in(**overrides: Any) -> tuple[int, int, Any]:
        own = dataclasses.replace(
            settings, data_dir=settings.data_dir.with_name(f"data-{len(overrides)}")
        )
        if overrides["min_refresh"]:
            own = dataclasses.replace(own, data_dir=own.data_dir.with_suffix(".slow"))
        async with configured_api(own, oidc(issuer, **overrides)) as api:
            if True:
                services = api.services
                signed = SignedIn.make(api, issuer)
                assert (await signed.post(issuer.sign())).status_code == 200
                kid = f"rotated-{overrides['min_refresh']}"
                issuer.add_key(kid)
                first = await signed.post(issuer.sign(kid=kid))
                await signed.post(issuer.sign(kid=kid))
                assert services.oidc is not None
                return first.status_code, services.oidc.fetches, first
        raise AssertionError("unreachable")

    # Refreshing allowed at once: the rotated key is fetched and accepted.
    status, fetches, _ = await sign_in(min_refresh=0.0)
    assert (status, fetches) == (200, 2)
    # Within min_refresh of the last fetch: refused, and the JWKS not fetched again.
    status, fetches, response = await sign_in(min_refresh=3600.0)
    assert (status, fetches) == (401, 1)
    assert response.json()["errors"][0]["extensions"]["reason"] == "TOKEN_UNKNOWN_KEY"


def test_only_asymmetric_algorithms_may_be_allowed() -> None:
    with pytest.raises(ValueError, match="HS256"):
        OidcSettings(issuer="https://i", audience="a", algorithms=("RS256", "HS256"))
    with pytest.raises(ValueError, match="none"):
        OidcSettings(issuer="https://i", audience="a", algorithms=("none",))


async def test_discovery_naming_another_issuer_is_refused(
    settings: Settings, issuer: LocalIssuer
) -> None:
    """The discovery document must name the configured issuer (OpenID Discovery)."""
    other = OidcSettings(issuer=issuer.base + "/", audience="mentorlog", timeout=1.0)
    async with configured_api(settings, other) as api:
        response = await api.post(VIEWER, token=issuer.sign(iss=issuer.base + "/"))
        error = response.json()["errors"][0]
        assert error["extensions"]["reason"] == "ISSUER_UNAVAILABLE", error
        assert "another issuer" in error["message"]


@pytest.mark.parametrize("end", ["grant revoked", "unlinked"])
async def test_over_a_websocket_and_its_end_ends_the_subscription(
    settings: Settings, issuer: LocalIssuer, end: str
) -> None:
    """A JWT in connection_init signs the socket in; revoking the grant (or
    unlinking the identity) ends the open subscription."""
    configured = dataclasses.replace(settings, oidc=oidc(issuer))
    services = open_services(configured)
    served = ServedApi(configured, services)
    served.thread.start()
    try:
        wait_until(lambda: served.server.started, "uvicorn to start")
        app = services.app
        demo = build_demo(app)
        sam = demo.ids["sam"]
        grant = app.grant_role(actor=SYSTEM, person_id=sam, role="participant").id
        app.link_identity(
            actor=SYSTEM, issuer=issuer.base, subject="sam", person_id=sam
        )
        token = issuer.sign(sub="sam")
        async with connected(served.base, token) as socket:
            await socket.subscribe(
                "1", EVENTS, id=demo.node("Mentorship", "one_on_one")
            )
            served.wait_for_subscribers(1)
            if end == "unlinked":
                await asyncio.to_thread(
                    app.unlink_identity, actor=SYSTEM, issuer=issuer.base, subject="sam"
                )
            else:
                await asyncio.to_thread(
                    app.revoke_grant, actor=SYSTEM, person_id=sam, grant=grant
                )
            message = await socket.receive()
            assert message["type"] == "next", message
            error = message["payload"]["errors"][0]
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            assert (await socket.receive()) == {"id": "1", "type": "complete"}
        served.wait_for_subscribers(0)
        # And a new socket with the same JWT is refused.
        async with connected(served.base, init=False) as socket:
            payload = {"Authorization": f"Bearer {token}"}
            await socket.send({"type": "connection_init", "payload": payload})
            code, _ = await socket.closed()
            assert code == 4403
    finally:
        served.server.should_exit = True
        served.thread.join(10)
        services.close()


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ISSUER", "AUDIENCE", "JWKS_URL", "ALGORITHMS"):
        monkeypatch.delenv(f"MENTORLOG_OIDC_{name}", raising=False)
    assert oidc_from_env() is None
    monkeypatch.setenv("MENTORLOG_OIDC_ISSUER", "https://id.example.test")
    with pytest.raises(ValueError, match="AUDIENCE"):
        oidc_from_env()
    monkeypatch.setenv("MENTORLOG_OIDC_AUDIENCE", "mentorlog")
    monkeypatch.setenv("MENTORLOG_OIDC_ALGORITHMS", "ES256, RS256")
    monkeypatch.setenv("MENTORLOG_OIDC_JWKS_URL", "https://id.example.test/keys")
    chosen = oidc_from_env()
    assert chosen is not None
    assert chosen.algorithms == ("ES256", "RS256") and chosen.leeway == 30
    assert chosen.jwks_url == "https://id.example.test/keys"
    monkeypatch.setenv("MENTORLOG_OIDC_ALGORITHMS", "HS256")
    with pytest.raises(ValueError, match="asymmetric"):
        oidc_from_env()
