"""End to end with a real OpenID Provider: panva's oidc-provider (OpenID
Certified), run locally on Node.js, issues a JWT access token through its token
endpoint; mentorlog finds its keys through its discovery document and lets the
linked identity in, in the role granted in mentorlog."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mentorlog.core.oidc import OidcSettings

from mentorlog.settings import Settings
from tests.processes import free_port, wait_until
from tests.test_oidc import VIEWER, configured_api

pytestmark = pytest.mark.sqlite_only("checks sign-in; no store changes it")

PROVIDER = Path(__file__).parent / "provider"
CLIENT = "mentorlog-e2e"


def _installed() -> bool:
    return (
        shutil.which("node") is not None
        and (PROVIDER / "node_modules" / "oidc-provider").is_dir()
    )


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, str]]:
    """The provider on a free port: its issuer URL and the client's secret."""
    if not _installed():
        if os.environ.get("CI"):
            pytest.fail(
                "oidc-provider is not installed: npm ci --prefix tests/provider"
            )
        pytest.skip("oidc-provider is not installed (npm ci --prefix tests/provider)")
    port, secret = free_port(), secrets.token_urlsafe(16)
    issuer = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["node", "provider.mjs", str(port), secret],
        cwd=PROVIDER,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def up() -> bool:
            try:
                url = f"{issuer}/.well-known/openid-configuration"
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return process.poll() is not None  # stop waiting if it died

        wait_until(up, "the OpenID Provider to answer")
        assert process.poll() is None, "the OpenID Provider exited"
        yield issuer, secret
    finally:
        process.terminate()
        process.wait(10)


async def test_a_real_providers_token_signs_in_the_linked_identity(
    settings: Settings, provider: tuple[str, str]
) -> None:
    issuer, secret = provider
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{issuer}/token",
            data={"grant_type": "client_credentials", "scope": "api"},
            auth=(CLIENT, secret),
        )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    # Only the issuer and audience are configured: keys come through discovery.
    async with configured_api(
        settings, OidcSettings(issuer=issuer, audience="mentorlog")
    ) as api:
        refused = await api.post(VIEWER, token=token)
        assert refused.status_code == 401
        reason = refused.json()["errors"][0]["extensions"]["reason"]
        assert reason == "IDENTITY_NOT_LINKED"
        app = api.services.app
        person = app.register_person(
            actor="system:tests",
            display_name="Reporting Service",
            career_stage="mid",
            years_experience=1,
            tenure_years=1,
            capacity=0,
        ).id
        app.grant_role(actor="system:tests", person_id=person, role="auditor")
        # A client-credentials token's subject is the client.
        app.link_identity(
            actor="system:tests", issuer=issuer, subject=CLIENT, person_id=person
        )
        await api.settle()
        accepted = await api.post(VIEWER, token=token)
        assert accepted.status_code == 200, accepted.text
        viewer = accepted.json()["data"]["viewer"]
        assert viewer["role"] == "AUDITOR"
        assert viewer["person"]["displayName"] == "Reporting Service"
        # The same token with one character of its signature changed: refused.
        head, payload, signature = token.split(".")
        flipped = (
            signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
        )
        tampered = await api.post(VIEWER, token=f"{head}.{payload}.{flipped}")
        reason = tampered.json()["errors"][0]["extensions"]["reason"]
        assert reason == "TOKEN_BAD_SIGNATURE"
