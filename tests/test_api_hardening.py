"""Hostile requests get a clear error quickly and the server stays responsive;
introspection and GraphiQL follow the settings; unexpected errors carry an ID."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import mentorlog.schema.operations as operations
import pytest
from graphql import validate
from mentorlog.schema.api import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from mentorlog.schema.errors import VALIDATION_FAILED

from mentorlog.services import Services
from mentorlog.settings import Settings
from tests.conftest import World
from tests.test_api_support import (  # noqa: F401
    GRAPHQL_RESPONSE,
    Api,
    api_fixture,
    bearer,
    gid,
    open_api,
)

NORMAL = "{ formats { name } viewer { role } }"
# Under this media type a request error answers 400 (under application/json, 200).
STRICT = {"accept": GRAPHQL_RESPONSE}


async def _refused_quickly(api: Api, query: str, variables: Any = None) -> str:
    """Send a hostile query: a clear error; then a normal query still works."""
    response = await api.post(query, variables)
    body = response.json()
    assert body.get("errors"), body
    after = await api.post(NORMAL)
    assert after.status_code == 200 and "errors" not in after.json()
    return str(body["errors"][0]["message"])


async def test_too_deep(api: Api) -> None:
    hop = "mentorships { edges { node { program { "
    deep = "{ " + hop * 40 + "name" + " } } } }" * 40 + " }"
    message = await _refused_quickly(api, deep)
    assert f"exceeds maximum operation depth of {MAX_DEPTH}" in message


async def test_too_many_aliases(api: Api) -> None:
    aliases = " ".join(f"f{n}: formats {{ name }}" for n in range(MAX_ALIASES * 20))
    message = await _refused_quickly(api, "{ " + aliases + " }")
    assert "aliases" in message and str(MAX_ALIASES) in message


async def test_too_many_tokens(api: Api) -> None:
    fields = "name " * (MAX_TOKENS * 2)
    message = await _refused_quickly(api, "{ formats { " + fields + "} }")
    assert "token" in message.lower()


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (
            "{ mentorships(first: 100000) { edges { cursor } } }",
            None,
            "between 0 and 100",
        ),
        (
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            {"ids": ["x"] * 101},
            "at most 100 IDs",
        ),
        ("{ people(last: 5000) { edges { cursor } } }", None, "between 0 and 100"),
    ],
)
async def test_pages_too_large(
    api: Api, query: str, variables: Any, expected: str
) -> None:
    message = await _refused_quickly(api, query, variables)
    assert expected in message


async def test_a_history_page_too_large(api: Api, world: World) -> None:
    mentorship = world.one_on_one()
    await api.settle()
    query = (
        "query($id: ID!) { mentorship(id: $id) { history(first: 101) { totalCount } } }"
    )
    message = await _refused_quickly(api, query, {"id": gid("Mentorship", mentorship)})
    assert "first must be between 0 and 100" in message


async def test_batches_are_refused(api: Api) -> None:
    batch = [{"query": NORMAL}] * 2
    response = await api.client.post(
        "/graphql", json=batch, headers=bearer(api.auditor)
    )
    assert response.status_code == 400
    assert "Batching is not enabled" in response.json()["errors"][0]["message"]
    after = await api.post(NORMAL)
    assert after.status_code == 200


async def test_a_repeated_query_is_validated_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[object] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        validated.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(operations, "validate", counting)
    # A document no other test sends, so the shared caches have not seen it.
    name = f"Repeated{uuid.uuid4().hex}"
    query = f"query {name} {{ formats {{ name }} }}"
    for _ in range(4):
        assert (await api.gql(query))["formats"]
    assert len(validated) == 1
    # The limits still apply to a cached schema: a new document is checked.
    hop = "mentorships { edges { node { program { "
    deep = f"query {name}Deep {{ " + hop * 20 + "name" + " } } } }" * 20 + " }"
    response = await api.post(deep)
    assert f"maximum operation depth of {MAX_DEPTH}" in str(response.json())
    assert len(validated) == 2


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_and_graphiql_are_on_by_default(api: Api) -> None:
    data = await api.gql(INTROSPECTION)
    assert data["__schema"]["queryType"]["name"] == "Query"
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    typo = await api.post("{ formatz { name } }")
    assert "Did you mean" in typo.json()["errors"][0]["message"]


@pytest.fixture(name="locked_api")
async def locked_api_fixture(
    settings: Settings, services: Services
) -> AsyncIterator[Api]:
    """The API with introspection and GraphiQL switched off in the settings."""
    locked = replace(settings, introspection=False, graphiql=False)
    async for api in open_api(locked, services):
        yield api


async def test_introspection_and_graphiql_switched_off(locked_api: Api) -> None:
    response = await locked_api.post(INTROSPECTION, headers=STRICT)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == VALIDATION_FAILED
    assert "introspection" in response.json()["errors"][0]["message"].lower()
    typo = await locked_api.post("{ formatz { name } }")
    assert "Did you mean" not in typo.json()["errors"][0]["message"]
    page = await locked_api.client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    assert page.status_code in (401, 404, 406)
    data = await locked_api.gql(NORMAL)
    assert data["viewer"] == {"role": "AUDITOR"}


@pytest.mark.parametrize(
    ("value", "on"),
    [(None, True), ("", True), ("1", True), ("true", True), ("0", False)]
    + [("false", False), ("OFF", False), ("no", False)],
)
def test_the_switches_read_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool
) -> None:
    for name in ("MENTORLOG_INTROSPECTION", "MENTORLOG_GRAPHIQL"):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    settings = Settings.from_env("/tmp/mentorlog-unused")
    assert (settings.introspection, settings.graphiql) == (on, on)


async def test_unexpected_errors_are_masked_with_an_id_in_the_log(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(sql: str, params: Any = ()) -> Any:
        raise RuntimeError("secret: /var/lib/disk is full")

    monkeypatch.setattr(api.app.state.read_db, "fetch", broken)
    with caplog.at_level(logging.ERROR, logger="mentorlog.api"):
        response = await api.post(
            "{ mentorships { edges { cursor } } formats { name } }"
        )
    body = response.json()
    assert response.status_code == 200
    assert "secret" not in response.text
    (error,) = body["errors"]
    error_id = error["extensions"]["errorId"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"] == f"Unexpected error (error ID {error_id})."
    assert body["data"] is None or body["data"].get("formats")
    (record,) = [r for r in caplog.records if error_id in r.getMessage()]
    assert "secret: /var/lib/disk is full" in caplog.text
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    # Client mistakes are not masked: they say what is wrong.
    monkeypatch.undo()
    bad = await api.post("{ mentorships(first: -1) { edges { cursor } } }")
    assert "between 0 and 100" in bad.json()["errors"][0]["message"]


async def test_the_server_stays_responsive_under_hostile_queries(
    api: Api,
) -> None:
    """Many hostile queries at once are refused; normal ones still answer."""
    hostile = "{ " + " ".join(f"a{n}: formats {{ name }}" for n in range(500)) + " }"
    responses = await asyncio.gather(
        *(api.post(hostile, headers=STRICT) for _ in range(20)), api.post(NORMAL)
    )
    assert all(r.status_code == 400 for r in responses[:-1])
    assert responses[-1].status_code == 200
