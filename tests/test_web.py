"""The web pages over HTTP: security headers, GraphiQL's local assets."""

from __future__ import annotations

import re

from mentorlog.web.security import CONTENT_SECURITY_POLICY
from tests.test_api_support import Api, api_fixture  # noqa: F401


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
