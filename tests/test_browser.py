"""In headless Chromium: GraphiQL, the sign-in, the timeline and the dashboard."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
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
    other = json.dumps({"Authorization": f"Bearer {demo.tokens['admin']}"})
    tab.locator(".graphiql-editor-tool .graphiql-editor").last.click()
    tab.keyboard.press("Control+A")
    with tab.expect_response(
        lambda r: "IntrospectionQuery" in (r.request.post_data or "")
    ) as again:
        tab.keyboard.insert_text(other)
    assert again.value.status == 200
    assert len(introspections) == 2  # fetched again for the new headers
    assert watch.offsite() == []
    assert watch.errors == []


def sign_in(tab: Any, served: Served, token: str, path: str = "/") -> None:
    """Open a page, get sent to the sign-in form, paste the token, come back."""
    tab.goto(f"{served.base}{path}")
    assert "/signin" in tab.url
    tab.fill("#token", token)
    tab.click("main button[type=submit]")
    tab.wait_for_load_state()


def test_an_auditor_reads_a_timeline_in_order_with_names(
    site: tuple[Served, Demo], page: tuple[Any, Watch]
) -> None:
    served, demo = site
    tab, watch = page
    timeline = f"/mentorships/{demo.node('Mentorship', 'one_on_one')}/timeline"
    tab.goto(f"{served.base}/")
    screenshot(tab, "signin")
    sign_in(tab, served, demo.tokens["auditor"], timeline)
    assert tab.url.endswith(timeline)
    rows = tab.locator("table.events tbody tr")
    sequences = [int(n) for n in tab.locator("table.events td.seq").all_inner_texts()]
    assert sequences == list(range(1, len(sequences) + 1)) and len(sequences) > 20
    first = rows.nth(0).inner_text()
    assert "Mentorship proposed" in first and "system: demo" in first
    assert "Mentorship started" in rows.nth(1).inner_text()
    assert "Ada Okafor" in rows.nth(1).inner_text()
    hashes = tab.locator("table.events code.hash").all_inner_texts()
    assert all(len(h) == 64 for h in hashes)
    body = tab.locator("main").inner_text()
    assert "[private content hidden]" in body
    assert "Negotiate a raise" not in body  # Sam's private goal
    assert "The hash chain of all" in body
    screenshot(tab, "timeline")
    tab.locator("a:text('as of')").nth(8).click()
    tab.wait_for_load_state()
    assert "As of event 9" in tab.locator(".asof").inner_text()
    assert tab.locator("tr.after").count() == len(sequences) - 9
    tab.emulate_media(media="print")
    assert not tab.locator("header.top").is_visible()
    screenshot(tab, "timeline-print")
    tab.emulate_media(media="screen")
    with tab.expect_download() as download:
        tab.click("text=Download the audit bundle")
    assert download.value.suggested_filename == "audit-bundle.zip"
    home = tab.goto(f"{served.base}/")
    assert home is not None and home.ok
    screenshot(tab, "home")
    tab.click("header button:text('Sign out')")
    tab.wait_for_load_state()
    assert "/signin" in tab.url
    tab.goto(f"{served.base}{timeline}")
    assert "/signin" in tab.url
    assert watch.offsite() == []
    assert watch.errors == []


def test_an_admin_sees_the_dashboard_and_downloads_its_csv(
    site: tuple[Served, Demo], page: tuple[Any, Watch]
) -> None:
    served, demo = site
    tab, watch = page
    dashboard = f"/programs/{demo.node('Program', 'program')}/dashboard"
    sign_in(tab, served, demo.tokens["admin"], dashboard)
    assert tab.url.endswith(dashboard)
    assert tab.locator("h1").inner_text() == "Engineering Career Mentoring 2026"
    charts = tab.locator("figure.chart svg")
    assert charts.count() == 5
    for i in range(5):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
    assert tab.locator("figure.chart rect.bar").count() > 5
    assert tab.locator("figure.chart circle.point").count() > 3
    screenshot(tab, "dashboard")
    for name, header in (
        ("mentorships", "mentorship_id"),
        ("goals", "goal_id"),
        ("metrics", "active_at_end"),
    ):
        with tab.expect_download() as download:
            tab.click(f"a[href$='/{name}.csv']")
        path = download.value.path()
        text = Path(path).read_text("utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and header in rows[0], name
        assert "Negotiate a raise" not in text and "secretly" not in text
    assert watch.offsite() == []
    assert watch.errors == []


def test_a_participant_cannot_open_another_programs_dashboard(
    site: tuple[Served, Demo], page: tuple[Any, Watch]
) -> None:
    served, demo = site
    tab, _ = page
    other = f"/programs/{demo.node('Program', 'other_program')}/dashboard"
    sign_in(tab, served, demo.tokens["participant"], other)
    refused = tab.goto(f"{served.base}{other}")
    assert refused is not None and refused.status == 404
    assert "Design Guild" not in tab.content()
    export = tab.request.get(
        f"{served.base}/programs/{demo.node('Program', 'other_program')}"
        "/export/mentorships.csv"
    )
    assert export.status == 404
    own = tab.goto(
        f"{served.base}/programs/{demo.node('Program', 'program')}/dashboard"
    )
    assert own is not None and own.status == 404  # dashboards are for admins
    screenshot(tab, "dashboard-refused")
