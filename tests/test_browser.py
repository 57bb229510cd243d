"""In headless Chromium: GraphiQL, the sign-in, the timeline and the dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mentorlog.services import open_services
from mentorlog.settings import Settings
from tests.browser import Served, Watch, chromium_path, screenshot, serve
from tests.conftest import INSTALLED_PLUGINS
from tests.test_api_support import Demo, build_demo


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Demo]]:
    """The demo (with a second program) served over HTTP from a fresh data dir."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("browser") / "data",
        poll_interval=0.05,
        disabled_plugins=INSTALLED_PLUGINS,
    )
    services = open_services(settings)
    try:
        demo = build_demo(services.app)
        yield from ((served, demo) for served in serve(settings, services))
    finally:
        services.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, launched by path."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Watch]]:
    """A fresh browser context's page, watched for requests and errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    opened = context.new_page()
    watch = Watch()
    watch.attach(opened)
    yield opened, watch
    context.close()


def test_graphiql_runs_a_query_offline(
    site: tuple[Served, Demo], page: tuple[Any, Watch]
) -> None:
    served, demo = site
    tab, watch = page
    tab.goto(f"{served.base}/graphql")
    tab.wait_for_selector(".graphiql-query-editor .CodeMirror")
    assert "Authorization" in tab.locator("#hint").inner_text()
    assert "query Start" in tab.locator(".graphiql-query-editor").inner_text()
    introspections: list[str] = []
    tab.on(
        "request",
        lambda r: (
            introspections.append(r.url)
            if "IntrospectionQuery" in (r.post_data or "")
            else None
        ),
    )
    headers = json.dumps({"Authorization": f"Bearer {demo.tokens['auditor']}"})
    tab.locator(".graphiql-editor-tool .graphiql-editor").last.click()
    with tab.expect_response(
        lambda r: "IntrospectionQuery" in (r.request.post_data or "")
    ) as schema:
        tab.keyboard.insert_text(headers)
    assert schema.value.status == 200
    with tab.expect_response(lambda r: "query Start" in (r.request.post_data or "")):
        tab.locator(".graphiql-execute-button").click()
    tab.wait_for_selector(".result-window :text('Mei Tanaka')")
    result = tab.locator(".result-window").inner_text()
    assert '"role": "AUDITOR"' in result
    assert "Grow from junior to mid-level backend engineer." in result
    screenshot(tab, "graphiql")
    assert len(introspections) == 1  # the schema, fetched once the token came
    assert watch.offsite() == []
    assert watch.errors == []
