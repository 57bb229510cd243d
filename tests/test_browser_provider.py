"""In headless Chromium: "Sign in with <provider>" against a real OpenID Provider
(panva's oidc-provider, tests/provider): the invited person logs in at its form,
comes back signed in as an admin and sees the dashboard; a tampered state is
refused with its code."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mentorlog.core.oidc import OidcClient, OidcSettings

from mentorlog.services import open_services
from mentorlog.settings import Settings
from tests.browser import Served, Watch, screenshot, serve
from tests.conftest import INSTALLED_PLUGINS
from tests.processes import free_port, wait_until
from tests.test_api_support import Demo, build_demo
from tests.test_browser import browser, page  # noqa: F401 (fixtures)
from tests.test_oidc_provider import PROVIDER, _installed

pytestmark = pytest.mark.sqlite_only("checks sign-in; no store changes it")
EMAIL = "noor@example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Demo]]:
    """The demo served with the provider's sign-in; the provider beside it."""
    if not _installed():
        if os.environ.get("CI"):
            pytest.fail(
                "oidc-provider is not installed: npm ci --prefix tests/provider"
            )
        pytest.skip("oidc-provider is not installed (npm ci --prefix tests/provider)")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("browser-provider") / "data",
        poll_interval=0.05,
        disabled_plugins=INSTALLED_PLUGINS,
        oidc=OidcSettings(issuer=issuer, audience="mentorlog"),
        oidc_client=OidcClient(
            client_id="mentorlog-web",
            scope="openid email api",
            resource="urn:mentorlog:api",
            name="Example SSO",
        ),
    )
    services = open_services(settings)
    process = None
    try:
        demo = build_demo(services.app)
        app = services.app
        noor = app.register_person(
            actor="system:tests",
            display_name="Noor Haddad",
            career_stage="mid",
            years_experience=3,
            tenure_years=1,
            capacity=0,
            email=EMAIL,
        ).id
        app.add_program_admin(demo.ids["program"], actor="system:tests", person_id=noor)
        app.invite_person(
            actor="system:tests",
            person_id=noor,
            role="admin",
            program_id=demo.ids["program"],
            email=EMAIL,
        )
        for served in serve(settings, services):
            process = started = subprocess.Popen(
                [
                    "node",
                    "provider.mjs",
                    str(port),
                    secrets.token_urlsafe(16),
                    f"{served.base}/signin/callback",
                ],
                cwd=PROVIDER,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

            def up() -> bool:
                try:
                    url = f"{issuer}/.well-known/openid-configuration"
                    return httpx.get(url, timeout=1).status_code == 200
                except httpx.HTTPError:
                    return started.poll() is not None  # noqa: B023

            wait_until(up, "the OpenID Provider to answer")
            yield served, demo
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
        services.close()


def _log_in_at_provider(tab: Any) -> None:
    tab.wait_for_selector("input[name=login]")
    tab.fill("input[name=login]", EMAIL)
    tab.fill("input[name=password]", "any")
    tab.click("button[type=submit]")
    tab.wait_for_load_state()
    if "/interaction/" in tab.url:  # the consent prompt
        tab.click("button[type=submit]")
        tab.wait_for_load_state()


def test_an_invited_person_signs_in_with_the_provider(
    site: tuple[Served, Demo],
    page: tuple[Any, Watch],  # noqa: F811
) -> None:
    served, demo = site
    tab, watch = page
    dashboard = f"/programs/{demo.node('Program', 'program')}/dashboard"
    tab.goto(f"{served.base}{dashboard}")
    assert "/signin" in tab.url
    screenshot(tab, "signin-provider")
    tab.click("#provider-sign-in")
    _log_in_at_provider(tab)
    tab.wait_for_url(f"{served.base}{dashboard}")
    watch.errors.clear()  # the provider's dev login page loads a remote stylesheet
    assert tab.locator("h1").inner_text() == "Engineering Career Mentoring 2026"
    assert tab.locator("figure.chart svg").count() == 5
    assert "admin" in tab.locator("header .who").inner_text()
    screenshot(tab, "dashboard-provider")
    tab.click("header button:text('Sign out')")
    tab.wait_for_load_state()
    tab.goto(f"{served.base}{dashboard}")
    assert "/signin" in tab.url
    assert watch.errors == []


def test_a_tampered_state_is_refused(
    site: tuple[Served, Demo],
    page: tuple[Any, Watch],  # noqa: F811
) -> None:
    served, _ = site
    tab, _ = page
    tab.goto(f"{served.base}/signin")
    with tab.expect_response(lambda r: "/auth?" in r.url) as authorize:
        tab.click("#provider-sign-in")
    assert "code_challenge_method=S256" in authorize.value.url
    tab.wait_for_selector("input[name=login]")
    # Back at the callback with a state this browser's sign-in did not make.
    answer = tab.goto(f"{served.base}/signin/callback?code=made-up&state=tampered")
    assert answer is not None and answer.status == 400
    assert tab.locator("code.code").inner_text() == "OIDC_STATE_MISMATCH"
    assert tab.locator("header .who").count() == 0
    screenshot(tab, "signin-state-refused")


def test_the_providers_error_is_shown_with_its_code(
    site: tuple[Served, Demo],
    page: tuple[Any, Watch],  # noqa: F811
) -> None:
    served, _ = site
    tab, _ = page
    tab.goto(f"{served.base}/signin")
    with tab.expect_response(lambda r: "/auth?" in r.url) as authorize:
        tab.click("#provider-sign-in")
    state = parse_qs(urlsplit(authorize.value.url).query)["state"][0]
    tab.wait_for_selector("input[name=login]")
    answer = tab.goto(
        f"{served.base}/signin/callback?error=access_denied"
        f"&error_description=%3Cb%3Eno%3C%2Fb%3E&state={state}"
    )
    assert answer is not None and answer.status == 400
    assert tab.locator("code.code").inner_text() == "OIDC_PROVIDER_ERROR"
    assert "access_denied (<b>no</b>)" in tab.locator(".error").inner_text()
