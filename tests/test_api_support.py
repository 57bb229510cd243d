"""Helpers for the API tests: an HTTP client on the app, with its lifespan entered."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mentorlog.app import create_app
from mentorlog.services import Services
from mentorlog.settings import Settings

SYSTEM_ACTOR = "system:tests"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def gid(type_name: str, node_id: str) -> str:
    """The global ID of a node."""
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


class Api:
    """Talk to /graphql like a client does."""

    def __init__(
        self, client: httpx.AsyncClient, services: Services, app: Starlette
    ) -> None:
        self.client = client
        self.services = services
        self.app = app

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        actor: str | None = SYSTEM_ACTOR,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a GraphQL request and return the raw response."""
        sent = {"X-Mentorlog-Actor": actor} if actor else {}
        return await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**sent, **(headers or {})},
        )

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        actor: str | None = SYSTEM_ACTOR,
    ) -> dict[str, Any]:
        """Run a request that must succeed without GraphQL errors; return its data."""
        response = await self.post(query, variables, actor)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def mutate(
        self,
        name: str,
        input: dict[str, Any],
        selection: str,
        actor: str | None = SYSTEM_ACTOR,
    ) -> dict[str, Any]:
        """Run one mutation and return its payload (object and userErrors)."""
        type_name = name[0].upper() + name[1:]
        query = (
            f"mutation($input: {type_name}Input!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ field message code }} }} }}"
        )
        return (await self.gql(query, {"input": input}, actor))[name]

    async def settle(self) -> None:
        """Wait until the projections hold every recorded event."""
        head = self.head()
        assert await self.services.runner.wait_for_async(head, 5)

    def head(self) -> int:
        """The newest position in the event log."""
        return self.services.app.recorder.max_notification_id() or 0


@pytest.fixture(name="api")
async def api_fixture(settings: Settings, services: Services) -> AsyncIterator[Api]:
    """A client on the app, with the app's lifespan (projections running) entered."""
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://mentorlog.test"
        ) as client:
            yield Api(client, services, app)
