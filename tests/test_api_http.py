"""GraphQL over HTTP: methods, media types, status codes, limits, masking, lifespan."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from mentorlog.schema.http import GRAPHQL_RESPONSE, negotiate

from mentorlog.app import create_app
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.conftest import SYSTEM, World
from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    bearer,
    demo_fixture,
    gid,
)

JSON = "application/json"


def _media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


async def test_get_serves_queries(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "{ formats { name } }"},
        headers=bearer(api.auditor),
    )
    assert response.status_code == 200
    assert _media_type(response) == JSON  # httpx sends Accept: */*
    assert {"name": "peer"} in response.json()["data"]["formats"]


async def test_get_refuses_mutations_and_records_nothing(
    api: Api, world: World
) -> None:
    admin = api.token(world.admin, "admin", world.program)
    await api.settle()
    before = api.head()
    query = (
        'mutation { registerPerson(input: {displayName: "Eve", careerStage: MID, '
        "yearsExperience: 5, tenureYears: 1}) { person { id } } }"
    )
    response = await api.client.get(
        "/graphql",
        params={"query": query},
        headers=bearer(admin),
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "POST" in response.json()["errors"][0]["message"]
    assert api.head() == before


@pytest.mark.parametrize(
    "accept",
    [GRAPHQL_RESPONSE, f"{JSON};q=0.5, {GRAPHQL_RESPONSE}", f"*/*, {GRAPHQL_RESPONSE}"],
)
async def test_request_errors_are_400_under_graphql_response_json(
    api: Api, accept: str
) -> None:
    for query, code in (
        ("{ formats { name }", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
    ):
        response = await api.post(query, headers={"accept": accept})
        assert response.status_code == 400
        assert _media_type(response) == GRAPHQL_RESPONSE
        body = response.json()
        assert body["errors"] and "data" not in body
        assert body["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize("accept", [None, "*/*", "application/*"])
async def test_no_accept_header_or_a_wildcard_gets_application_json(
    api: Api, accept: str | None
) -> None:
    """As the spec's SHOULDs ask (and the graphql-http audit checks)."""
    for query, status in (("{ formats { name } }", 200), ("{ formats { name }", 200)):
        request = api.client.build_request(
            "POST",
            "/graphql",
            json={"query": query},
            headers=bearer(api.auditor),
        )
        if accept is None:
            del request.headers["accept"]
        else:
            request.headers["accept"] = accept
        response = await api.client.send(request)
        assert (response.status_code, _media_type(response)) == (status, JSON)
        assert response.json().get("data") or response.json()["errors"]


async def test_application_json_answers_200_for_request_errors(api: Api) -> None:
    response = await api.post("{ formats { name }", headers={"accept": JSON})
    assert response.status_code == 200
    assert _media_type(response) == JSON
    assert "Syntax Error" in response.json()["errors"][0]["message"]
    ok = await api.post("{ formats { name } }", headers={"accept": JSON})
    assert (ok.status_code, _media_type(ok)) == (200, JSON)


async def test_field_errors_keep_data_and_200(api: Api) -> None:
    response = await api.post(
        "{ formats { name } mentorships(first: 1000) { edges { cursor } } }"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None or "formats" in body["data"]
    assert "between 0 and 100" in body["errors"][0]["message"]


async def test_unacceptable_media_types_and_bodies(api: Api) -> None:
    response = await api.post("{ formats { name } }", headers={"accept": "text/csv"})
    assert response.status_code == 406
    response = await api.client.post(
        "/graphql",
        content=b"{not json",
        headers={"content-type": JSON, **bearer(api.auditor)},
    )
    assert response.status_code == 400
    response = await api.client.post(
        "/graphql", json={"variables": {}}, headers=bearer(api.auditor)
    )
    assert response.status_code == 400
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        response = await api.client.request(
            method, "/graphql", json={"query": "{ formats { name } }"}
        )
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_negotiation() -> None:
    assert negotiate(None) == JSON
    assert negotiate(" ") == JSON
    assert negotiate("*/*") == JSON
    assert negotiate(JSON) == JSON
    assert negotiate(GRAPHQL_RESPONSE) == GRAPHQL_RESPONSE
    assert negotiate(f"{GRAPHQL_RESPONSE}, {JSON}") == GRAPHQL_RESPONSE
    assert negotiate(f"{GRAPHQL_RESPONSE};q=0.8, {JSON}") == JSON
    assert negotiate(f"{JSON}, */*;q=0.1") == JSON
    assert negotiate(f"*/*, {GRAPHQL_RESPONSE}") == GRAPHQL_RESPONSE
    assert negotiate(f"*/*;q=1, {GRAPHQL_RESPONSE};q=0.5") == JSON
    assert negotiate("application/*") == JSON
    assert negotiate("text/html") is None
    assert negotiate(f"{GRAPHQL_RESPONSE};q=0") is None


async def test_graphiql_for_browsers_and_healthz(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    health = await api.client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


async def test_lifespan_opens_and_closes_its_own_services(settings: Settings) -> None:
    prepared = open_services(settings)
    admin = prepared.app.register_person(
        actor=SYSTEM,
        display_name="Ada",
        career_stage="late",
        years_experience=20,
        tenure_years=5,
    ).id
    token, _ = prepared.app.issue_token(
        actor=SYSTEM,
        person_id=admin,
        role="admin",
        program_id=prepared.app.create_program(
            actor=SYSTEM, name="First", admins=[admin]
        ).id,
    )
    prepared.close()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t"
        ) as client:
            payload = (
                await client.post(
                    "/graphql",
                    json={
                        "query": 'mutation { createProgram(input: {name: "P"}) '
                        "{ program { name } userErrors { code } } }"
                    },
                    headers=bearer(token),
                )
            ).json()
        read_db = app.state.read_db
        assert payload["data"]["createProgram"]["program"] == {"name": "P"}
        assert "projections" in {t.name for t in threading.enumerate()}
    assert "projections" not in {t.name for t in threading.enumerate()}
    with pytest.raises(RuntimeError, match="not open"):
        await read_db.fetch("SELECT 1")


async def test_projections_run_elsewhere(
    settings: Settings, services: Services, world: World
) -> None:
    """With run_projections=False the app waits on the stored tracking positions."""
    app = create_app(settings, services, run_projections=False)
    mentorship = gid("Mentorship", world.one_on_one(start=False))
    token, _ = services.app.issue_token(
        actor=SYSTEM, person_id=world.admin, role="admin", program_id=world.program
    )
    services.runner.catch_up()
    async with app.router.lifespan_context(app):
        services.runner.start()  # stands in for a projection worker process
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                response = await c.post(
                    "/graphql",
                    json={
                        "query": "mutation($id: ID!) { startMentorship(input: "
                        "{mentorshipId: $id}) { mentorship { status } "
                        "userErrors { code } } }",
                        "variables": {"id": mentorship},
                    },
                    headers=bearer(token),
                )
        finally:
            await asyncio.to_thread(services.runner.stop)
    payload = response.json()["data"]["startMentorship"]
    assert payload == {"mentorship": {"status": "ACTIVE"}, "userErrors": []}


async def test_a_json_value_beyond_64_bits_is_answered(api: Api, demo: Demo) -> None:
    """A response the fast encoder refuses is encoded by the standard library."""
    await api.settle()
    target = 2**70
    payload = await api.gql(
        "mutation($input: SetGoalInput!) { setGoal(input: $input) "
        "{ goal { fields } userErrors { code } } }",
        {
            "input": {
                "mentorshipId": demo.node("Mentorship", "one_on_one"),
                "title": "Speak at every meetup",
                "framework": "okr",
                "fields": {
                    "objective": "Become a confident speaker",
                    "key_results": [{"description": "Talks", "target": target}],
                },
            }
        },
        demo.tokens["participant"],
    )
    assert payload["setGoal"]["userErrors"] == []
    assert payload["setGoal"]["goal"]["fields"]["key_results"][0]["target"] == target
