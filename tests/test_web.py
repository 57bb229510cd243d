"""The web pages over HTTP: security headers, GraphiQL's local assets, sign-in,
the timeline's access rules."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from mentorlog.demo import DEMO, demo_tokens, load_demo
from mentorlog.services import open_services
from mentorlog.settings import Settings
from mentorlog.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import INSTALLED_PLUGINS
from tests.processes import Process, free_port, wait_healthy
from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    bearer,
    demo_fixture,
)

# The pages read through the API's schema, whose storage is tested on both backends.
pytestmark = pytest.mark.sqlite_only("the pages read through the schema")


async def test_every_response_carries_the_security_headers(api: Api) -> None:
    for path in ("/healthz", "/graphql", "/static/graphiql.js", "/nowhere"):
        response = await api.client.get(path, headers={"Accept": "text/html"})
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


async def test_graphiql_loads_only_what_the_app_serves(api: Api) -> None:
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<script>" not in page.text  # no inline script
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/vendor/graphiql/graphiql.min.js" in assets
    for asset in assets:
        assert asset.startswith("/"), asset
        if asset.startswith("/static/"):
            assert (await api.client.get(asset)).status_code == 200, asset
    for package in ("react", "react-dom", "graphiql"):
        licence = await api.client.get(f"/static/vendor/{package}/LICENSE")
        assert "MIT License" in licence.text


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def signed_in(api: Api, token: str) -> None:
    """Sign the client in through the form, as a browser does."""
    form = await api.client.get("/signin")
    csrf = CSRF.search(form.text)
    assert csrf is not None
    answer = await api.client.post(
        "/signin", data={"csrf": csrf.group(1), "token": token, "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


async def test_sign_in_needs_the_form_csrf_value_and_a_real_token(
    api: Api, demo: Demo
) -> None:
    first = await api.client.get("/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/signin?next=/"
    page = await api.client.get("/signin?next=//evil.example/")
    assert 'name="next" value="/"' in page.text  # never back to another site
    csrf = CSRF.search(page.text)
    assert csrf is not None
    token = demo.tokens["auditor"]
    forged = await api.client.post(
        "/signin", data={"csrf": "made-up", "token": token, "next": "/"}
    )
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    wrong = await api.client.post(
        "/signin", data={"csrf": csrf.group(1), "token": "mlg_nope", "next": "/"}
    )
    assert wrong.status_code == 401 and "token is unknown" in wrong.text
    assert "mentorlog_session" not in wrong.headers.get("set-cookie", "")
    await signed_in(api, token)
    home = await api.client.get("/")
    assert home.status_code == 200 and "Mei Tanaka" in home.text
    assert (await api.client.post("/signout", data={"csrf": "x"})).status_code == 403
    assert (await api.client.get("/")).status_code == 200  # still signed in
    out = await api.client.post("/signout", data={"csrf": csrf.group(1)})
    assert out.status_code == 303
    assert (await api.client.get("/", follow_redirects=False)).status_code == 303


async def test_the_timeline_reads_as_the_api_does(api: Api, demo: Demo) -> None:
    api.services.app.erase_person(demo.ids["sam"], actor=DEMO)
    await api.settle()
    own = f"/mentorships/{demo.node('Mentorship', 'one_on_one')}/timeline"
    other = f"/mentorships/{demo.node('Mentorship', 'other_mentorship')}/timeline"
    await signed_in(api, demo.tokens["auditor"])
    page = await api.client.get(own)
    assert page.status_code == 200
    assert "erased person" in page.text and "Sam Whitfield" not in page.text
    assert "Negotiate a raise" not in page.text and "secretly" not in page.text
    assert "[private content hidden]" in page.text
    assert "Mentorship proposed" in page.text  # the type in words, and its docstring
    assert "The mentorship was proposed: its program, format and people." in page.text
    bundle = await api.client.get(
        f"/audit/bundles/{demo.node('Mentorship', 'one_on_one')}"
    )
    assert bundle.headers["content-type"] == "application/zip"
    assert (await api.client.get(own + "?at=3")).text.count('class="after') > 20
    api.client.cookies.clear()
    await signed_in(api, demo.tokens["partner"])  # Grace, in one_on_one only
    assert (await api.client.get(own)).status_code == 200
    refused = await api.client.get(other)
    unknown = await api.client.get("/mentorships/TWVudG9yc2hpcDox/timeline")
    assert refused.status_code == unknown.status_code == 404
    assert "Rae" not in refused.text
    bundle = await api.client.get(
        f"/audit/bundles/{demo.node('Mentorship', 'one_on_one')}"
    )
    assert bundle.status_code == 403  # bundles are for auditors


def test_serve_prints_the_pages_addresses(tmp_path: Path) -> None:
    data = tmp_path / "data"
    services = open_services(
        Settings(data_dir=data, disabled_plugins=INSTALLED_PLUGINS)
    )
    try:
        tokens = demo_tokens(services.app, load_demo(services.app))
        services.runner.catch_up()
    finally:
        services.close()
    port = free_port()
    server = Process(
        ["serve", "--data", str(data), "--port", str(port)], tmp_path / "serve.log"
    )
    try:
        wait_healthy(server, port)
        lines = server.output.splitlines()
        named = dict(line.split(maxsplit=1) for line in lines[1:5])
        base = f"http://127.0.0.1:{port}"
        assert named["GraphiQL"] == f"{base}/graphql"
        for name, token in (("dashboard", "admin"), ("timeline", "auditor")):
            page = httpx.get(named[name], headers=bearer(tokens[token]))
            assert page.status_code == 200, (name, page.text)
            assert "<h1>" in page.text
    finally:
        server.stop()
