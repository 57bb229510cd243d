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


def node_id(global_id: str) -> str:
    """The node ID inside a global ID."""
    return base64.b64decode(global_id).decode().partition(":")[2]


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


class Api:
    """Talk to /graphql like a client does, with bearer tokens issued through core."""

    def __init__(
        self, client: httpx.AsyncClient, services: Services, app: Starlette
    ) -> None:
        self.client = client
        self.services = services
        self.app = app
        self._tokens: dict[tuple[str, str, str | None], str] = {}
        auditor = services.app.register_person(
            actor=SYSTEM_ACTOR,
            display_name="Avery Auditor",
            career_stage="mid",
            years_experience=9,
            tenure_years=4,
            capacity=0,
        ).id
        self.auditor = self.token(auditor, "auditor")

    def token(
        self, person_id: str, role: str = "participant", program_id: str | None = None
    ) -> str:
        """A token for a person (their node ID) in a role, issued once through core."""
        key = (person_id, role, program_id)
        if key not in self._tokens:
            self._tokens[key], _ = self.services.app.issue_token(
                actor=SYSTEM_ACTOR, person_id=key[0], role=role, program_id=program_id
            )
        return self._tokens[key]

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a GraphQL request (as the auditor unless a token is given)."""
        return await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**bearer(token or self.auditor), **(headers or {})},
        )

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """Run a request that must succeed without GraphQL errors; return its data."""
        response = await self.post(query, variables, token)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def mutate(
        self, name: str, input: dict[str, Any], selection: str, token: str
    ) -> dict[str, Any]:
        """Run one mutation with a token; return its payload (object and userErrors)."""
        type_name = name[0].upper() + name[1:]
        query = (
            f"mutation($input: {type_name}Input!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ field message code }} }} }}"
        )
        return (await self.gql(query, {"input": input}, token))[name]

    async def settle(self) -> None:
        """Wait until the projections hold every recorded event."""
        head = self.head()
        assert await self.services.runner.wait_for_async(head, 5)

    def head(self) -> int:
        """The newest position in the event log."""
        return self.services.app.recorder.max_notification_id() or 0


async def open_api(settings: Settings, services: Services) -> AsyncIterator[Api]:
    """A client on the app, with the app's lifespan (projections running) entered."""
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://mentorlog.test"
        ) as client:
            yield Api(client, services, app)


@pytest.fixture(name="api")
async def api_fixture(settings: Settings, services: Services) -> AsyncIterator[Api]:
    """A client on the app over the test's own data dir."""
    async for api in open_api(settings, services):
        yield api
