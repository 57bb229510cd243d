"""Helpers for the API tests: an HTTP client on the app, with its lifespan entered."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.webhooks import new_secret
from starlette.applications import Starlette

from mentorlog.app import create_app
from mentorlog.demo import DEMO, demo_tokens, load_demo
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


# -- the demo, with a second program and a private goal -----------------------------


@dataclass
class Demo:
    """The CLI's demo data, a second program beside it, and a token per role."""

    ids: dict[str, str]
    tokens: dict[str, str]

    def node(self, type_name: str, key: str) -> str:
        """The global ID of a demo object by its key in `ids`."""
        return gid(type_name, self.ids[key])

    def scoped(self, type_name: str, mentorship: str, key: str) -> str:
        """The global ID of an object inside a demo mentorship."""
        return gid(type_name, f"{self.ids[mentorship]}:{self.ids[key]}")


def build_demo(app: Mentoring) -> Demo:
    """Record the demo and its extras through core; issue the tokens the tests use."""
    ids = load_demo(app)
    # admin: Ada (the demo program); auditor: Mei; participant: Sam (one_on_one).
    tokens = demo_tokens(app, ids)
    one = app.get_mentorship(ids["one_on_one"])
    by_title = {g["title"]: g["id"] for g in one.goals.values()}
    ids["goal"] = by_title["Lead the billing export project"]
    ids["milestone"] = next(iter(one.milestones))
    ids["meeting"] = next(
        k for k, m in one.meetings.items() if m["status"] == "scheduled"
    )
    ids["review"] = one.reviews[0]["id"]
    ids["feedback"] = one.feedback[0]["id"]
    ids["private_goal"] = app.set_goal(
        ids["one_on_one"],
        actor=person_actor(ids["sam"]),
        title="Negotiate a raise",
        framework="plain",
        fields={"description": "Before the review cycle, secretly"},
        private=True,
    ).id
    app.record_goal_progress(
        ids["one_on_one"],
        ids["private_goal"],
        actor=person_actor(ids["sam"]),
        percent=10,
        note="Collected salary data, secretly",
    )
    sam = person_actor(ids["sam"])
    ids["note"] = app.write_note(
        ids["one_on_one"], actor=sam, text="Bring the roadmap", private=False
    ).id
    ids["private_note"] = app.write_note(
        ids["one_on_one"],
        actor=sam,
        text="Ask Grace about the team lead opening",
        meeting_id=ids["meeting"],
    ).id
    # A second program, with an admin and two participants of its own.
    people = {}
    for key, stage, years in (
        ("olu", "late", 15),
        ("rae", "late", 12),
        ("tim", "early", 3),
    ):
        people[key] = app.register_person(
            actor=DEMO,
            display_name=key.title(),
            career_stage=stage,
            years_experience=years,
            tenure_years=3,
            capacity=2,
        ).id
    ids |= people
    ids["other_program"] = app.create_program(
        actor=DEMO, name="Design Guild", admins=[people["olu"]]
    ).id
    ids["other_mentorship"] = app.propose_mentorship(
        actor=DEMO,
        program_id=ids["other_program"],
        format="one_on_one",
        participants=[
            {"person_id": people["rae"], "role": "mentor"},
            {"person_id": people["tim"], "role": "mentee"},
        ],
    ).id
    app.start_mentorship(ids["other_mentorship"], actor=DEMO)
    tokens["other_admin"], _ = app.issue_token(
        actor=DEMO,
        person_id=people["olu"],
        role="admin",
        program_id=ids["other_program"],
    )
    tokens["other_participant"], _ = app.issue_token(
        actor=DEMO, person_id=people["tim"], role="participant"
    )
    # Sam's mentor, to read Sam's private goal as a partner.
    tokens["partner"], _ = app.issue_token(
        actor=DEMO, person_id=ids["grace"], role="participant"
    )
    # A webhook endpoint of the demo program, disabled: nothing is sent to it.
    ids["webhook"] = app.register_webhook(
        ids["program"],
        actor=DEMO,
        url="https://93.184.215.14/hooks",
        secret=new_secret(),
    ).id
    app.disable_webhook(ids["webhook"], actor=DEMO)
    # A withdrawn invitation of the demo program, of a newcomer.
    newcomer = app.register_person(
        actor=DEMO,
        display_name="Nia",
        career_stage="early",
        years_experience=1,
        tenure_years=1,
    ).id
    _code, invited = app.invite_person(
        actor=DEMO, person_id=newcomer, role="participant", program_id=ids["program"]
    )
    ids["invitation"] = invited.id
    app.withdraw_invitation(actor=DEMO, invitation_id=invited.id, reason="Typo")
    return Demo(ids, tokens)


@pytest.fixture(name="demo")
def demo_fixture(services: Services) -> Demo:
    """The demo and its extras, recorded on the test's own data dir."""
    return build_demo(services.app)
