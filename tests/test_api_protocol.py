"""Malformed requests and frames: a coded GraphQL error (4xx or a 4400 close), never
a 500 or a dropped socket, and nothing recorded.

Each case is sent as a client would send it: raw bytes over HTTP (through the ASGI
app, or a real uvicorn for chunked bodies) and raw frames over a real WebSocket.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from mentorlog.schema.errors import MAX_USER_ERRORS
from mentorlog.schema.requests import MAX_JSON_DEPTH

from mentorlog.services import Services
from mentorlog.settings import Settings
from tests.test_api_subscriptions import (  # noqa: F401
    EVENTS,
    Served,
    connected,
    served_fixture,  # noqa: F401
)
from tests.test_api_support import (  # noqa: F401
    GRAPHQL_RESPONSE,
    Api,
    Demo,
    api_fixture,
    bearer,
    demo_fixture,
    open_api,
)

JSON = "application/json"
VIEWER = "{ viewer { role } }"
MILESTONE = (
    "mutation($id: ID!, $title: String!) { reachMilestone(input: "
    "{mentorshipId: $id, title: $title}) { milestone { title } "
    "userErrors { field message code } } }"
)


async def _raw(
    api: Api, body: bytes, token: str | None = None, **headers: str
) -> httpx.Response:
    """POST raw bytes as a JSON body."""
    return await api.client.post(
        "/graphql",
        content=body,
        headers={
            "content-type": JSON,
            **bearer(token or api.auditor),
            **headers,
        },
    )


def _refused(response: httpx.Response, status: int, code: str) -> str:
    """Check a request error's shape: the status, JSON, one coded error, no data."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith((JSON, GRAPHQL_RESPONSE)), (
        response.headers
    )
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    return str(error["message"])


# -- 1-3: bodies that are not a JSON object ---------------------------------------


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_a_body_that_is_not_utf8_is_a_400(api: Api, accept: str) -> None:
    body = b'{"query":"{ viewer { role } }","x":"\xff"}'
    message = _refused(await _raw(api, body, accept=accept), 400, "BAD_REQUEST")
    assert "UTF-8" in message
    assert (await api.gql(VIEWER))["viewer"] == {"role": "AUDITOR"}


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b'"hello"', "a string"), (b"null", "null"), (b"5", "a number")]
    + [(b"true", "true"), (b"{not json", "not JSON")],
)
async def test_a_body_that_is_not_a_json_object_is_a_400(
    api: Api, body: bytes, kind: str
) -> None:
    message = _refused(await _raw(api, body), 400, "BAD_REQUEST")
    assert kind in message


async def test_deeply_nested_json_is_a_400(api: Api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'{"query":"{ viewer { role } }","variables":{"x":' + deep + b"}}"
    message = _refused(await _raw(api, body), 400, "BAD_REQUEST")
    assert f"deeper than {MAX_JSON_DEPTH} levels" in message
    # Just over the limit, and a number Python will not read, are refused too ...
    over = {"query": VIEWER, "variables": {"x": _nested(MAX_JSON_DEPTH)}}
    _refused(await _raw(api, json.dumps(over).encode()), 400, "BAD_REQUEST")
    huge = b'{"query":"{ viewer { role } }","variables":{"x":' + b"9" * 5000 + b"}}"
    _refused(await _raw(api, huge), 400, "BAD_REQUEST")
    # ... and over GET; within the limit the request runs.
    params = {"query": VIEWER, "variables": json.dumps({"x": _nested(70)})}
    response = await api.client.get(
        "/graphql", params=params, headers=bearer(api.auditor)
    )
    _refused(response, 400, "BAD_REQUEST")
    within = {"query": VIEWER, "variables": {"x": _nested(MAX_JSON_DEPTH - 3)}}
    response = await _raw(api, json.dumps(within).encode())
    assert response.json() == {"data": {"viewer": {"role": "AUDITOR"}}}


def _nested(levels: int) -> Any:
    """Lists nested `levels` deep."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


async def test_parameters_of_the_wrong_type_are_a_400(api: Api) -> None:
    for body, code in (
        ({"query": VIEWER, "operationName": 5}, "BAD_REQUEST"),
        ({"query": 5}, "BAD_REQUEST"),
        ({"query": VIEWER, "variables": "x"}, "BAD_REQUEST"),
        ({"variables": {}}, "BAD_REQUEST"),
    ):
        _refused(await _raw(api, json.dumps(body).encode()), 400, code)


# -- 4: text that is not Unicode ----------------------------------------------------


async def test_a_lone_surrogate_in_operation_name_is_a_400(api: Api) -> None:
    body = b'{"query":"query A { viewer { role } }","operationName":"\\ud800"}'
    response = await _raw(api, body)
    message = _refused(response, 400, "OPERATION_NOT_FOUND")
    assert "\ufffd" in message
    response.content.decode("utf-8")  # valid UTF-8 throughout


@pytest.mark.parametrize("text", ["a\ud800b", "nul\x00byte", "\udfff"])
async def test_unstorable_text_in_a_mutation_is_invalid_input(
    api: Api, demo: Demo, text: str
) -> None:
    mentorship = demo.node("Mentorship", "one_on_one")
    await api.settle()
    before = api.head()
    body = json.dumps(
        {"query": MILESTONE, "variables": {"id": mentorship, "title": text}}
    )
    response = await _raw(api, body.encode(), demo.tokens["participant"])
    assert response.status_code == 200
    payload = response.json()["data"]["reachMilestone"]
    assert payload["milestone"] is None
    (error,) = payload["userErrors"]
    assert (error["field"], error["code"]) == ("title", "INVALID_INPUT")
    assert api.head() == before


async def test_unstorable_text_anywhere_in_an_input_is_refused(
    api: Api, demo: Demo
) -> None:
    """Nested values, object keys and the idempotency key are checked alike."""
    mentorship = demo.node("Mentorship", "one_on_one")
    await api.settle()
    before = api.head()
    token = demo.tokens["participant"]
    base = {"mentorshipId": mentorship, "title": "Fine", "framework": "plain"}
    query = (
        "mutation($input: SetGoalInput!) { setGoal(input: $input) { goal { id } "
        "userErrors { field message code } } }"
    )
    for extra, field in (
        ({"fields": {"description": "x\ud800"}}, "fields.description"),
        ({"fields": {"desc\ud800": "x"}}, "fields"),
        ({"idempotencyKey": "\ud800"}, "idempotencyKey"),
    ):
        # JSON escapes the surrogate (httpx's own encoder would refuse it).
        body = json.dumps({"query": query, "variables": {"input": {**base, **extra}}})
        response = await _raw(api, body.encode(), token)
        payload = response.json()["data"]["setGoal"]
        assert payload["goal"] is None
        (error,) = payload["userErrors"]
        assert (error["field"], error["code"]) == (field, "INVALID_INPUT"), error
    assert api.head() == before


async def test_unstorable_text_in_a_query_filter_is_a_coded_error(api: Api) -> None:
    query = (
        "query($f: String) { mentorships(filter: {format: $f}) { edges { cursor } } }"
    )
    body = json.dumps({"query": query, "variables": {"f": "\ud800"}})
    response = await _raw(api, body.encode())
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter"}


# -- 7: sizes -----------------------------------------------------------------------


@pytest.fixture(name="small_api")
async def small_api_fixture(
    settings: Settings, services: Services
) -> AsyncIterator[Api]:
    """The API taking bodies of at most 4 KB."""
    async for api in open_api(replace(settings, max_body_bytes=4096), services):
        yield api


async def test_a_body_over_the_limit_is_a_413_and_records_nothing(
    small_api: Api, demo: Demo
) -> None:
    api = small_api
    mentorship = demo.node("Mentorship", "one_on_one")
    await api.settle()
    before = api.head()
    variables = {"id": mentorship, "title": "Big " + "x" * 5000}
    body = json.dumps({"query": MILESTONE, "variables": variables}).encode()
    response = await _raw(api, body, demo.tokens["participant"])
    assert "4096 bytes" in _refused(response, 413, "PAYLOAD_TOO_LARGE")
    assert api.head() == before
    small = await api.mutate(
        "reachMilestone",
        {"mentorshipId": mentorship, "title": "Small"},
        "milestone { title }",
        demo.tokens["participant"],
    )
    assert small["milestone"] == {"title": "Small"}


async def test_a_body_is_counted_as_it_streams(small_api: Api) -> None:
    """A chunked body (no Content-Length) is refused once it passes the limit."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query":"{ viewer { role } }","x":"'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    response = await small_api.client.post(
        "/graphql",
        content=chunks(),
        headers={"content-type": JSON, **bearer(small_api.auditor)},
    )
    assert "content-length" not in response.request.headers
    _refused(response, 413, "PAYLOAD_TOO_LARGE")


async def test_a_chunked_body_over_the_limit_is_refused_by_a_real_server(
    served: Served, demo: Demo
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"query":"{ viewer { role } }","x":"'
        for _ in range(40):  # 40 x 64 KiB: 2.5 MiB, over the default 1 MiB
            sent += 1
            yield b"x" * 65536
        yield b'"}'

    async with httpx.AsyncClient(base_url=served.base) as client:
        try:
            response = await client.post(
                "/graphql",
                content=chunks(),
                headers={"content-type": JSON, **bearer(demo.tokens["admin"])},
            )
        except httpx.HTTPError:
            pytest.fail("the server dropped the connection instead of answering 413")
        _refused(response, 413, "PAYLOAD_TOO_LARGE")
        ok = await client.post(
            "/graphql", json={"query": VIEWER}, headers=bearer(demo.tokens["admin"])
        )
    assert ok.json() == {"data": {"viewer": {"role": "ADMIN"}}}


def test_the_body_limit_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MENTORLOG_MAX_BODY_BYTES", raising=False)
    assert Settings.from_env("/tmp/unused").max_body_bytes == 1024 * 1024
    monkeypatch.setenv("MENTORLOG_MAX_BODY_BYTES", "65536")
    assert Settings.from_env("/tmp/unused").max_body_bytes == 65536
    for bad in ("0", "-5", "1MB"):
        monkeypatch.setenv("MENTORLOG_MAX_BODY_BYTES", bad)
        with pytest.raises(ValueError, match="MENTORLOG_MAX_BODY_BYTES"):
            Settings.from_env("/tmp/unused")


async def test_echoed_values_and_error_lists_are_bounded(api: Api, demo: Demo) -> None:
    token = demo.tokens["participant"]
    await api.settle()
    before = api.head()
    long_id = "Q" * 100_000
    payload = await api.mutate(
        "reachMilestone",
        {"mentorshipId": long_id, "title": "Never"},
        "milestone { title }",
        token,
    )
    (error,) = payload["userErrors"]
    assert error["code"] == "NOT_FOUND"
    assert len(error["message"]) < 200
    bad_cursor = await api.post(
        "query($c: String) { mentorships(after: $c) { edges { cursor } } }",
        {"c": "Z" * 9999},
    )
    (error,) = bad_cursor.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(error["message"]) < 200
    fields = {f"field{n}": "x" for n in range(5000)}
    goal = await api.mutate(
        "setGoal",
        {
            "mentorshipId": demo.node("Mentorship", "one_on_one"),
            "title": "Many fields",
            "framework": "plain",
            "fields": fields,
        },
        "goal { id }",
        token,
    )
    errors = goal["userErrors"]
    assert len(errors) == MAX_USER_ERRORS + 1
    assert {e["code"] for e in errors} == {"GOAL_INVALID"}
    assert "more problems" in errors[-1]["message"]
    assert api.head() == before


# -- 8: which operation runs --------------------------------------------------------


async def test_several_operations_need_an_operation_name(api: Api, demo: Demo) -> None:
    mentorship = demo.node("Mentorship", "one_on_one")
    await api.settle()
    before = api.head()
    document = (
        "mutation Reach($id: ID!) { reachMilestone(input: {mentorshipId: $id, "
        'title: "Recorded twice?"}) { milestone { title } } } '
        "query Who { viewer { role } }"
    )
    token = demo.tokens["participant"]
    for accept in (JSON, GRAPHQL_RESPONSE):
        response = await api.post(
            document, {"id": mentorship}, token, {"accept": accept}
        )
        message = _refused(response, 400, "OPERATION_NAME_REQUIRED")
        assert "operationName" in message
    unknown = await api.client.post(
        "/graphql",
        json={
            "query": document,
            "operationName": "Nope",
            "variables": {"id": mentorship},
        },
        headers=bearer(token),
    )
    _refused(unknown, 400, "OPERATION_NOT_FOUND")
    assert api.head() == before
    named = await api.client.post(
        "/graphql",
        json={
            "query": document,
            "operationName": "Who",
            "variables": {"id": mentorship},
        },
        headers=bearer(token),
    )
    assert named.json() == {"data": {"viewer": {"role": "PARTICIPANT"}}}
    assert api.head() == before


# -- 9: every error carries a code --------------------------------------------------

HOP = "mentorships { edges { node { program { "
DEEP = "{ " + HOP * 5 + "name" + " } } } }" * 5 + " }"
ALIASES = "{ " + " ".join(f"a{n}: viewer {{ role }}" for n in range(40)) + " }"


@pytest.mark.parametrize(
    ("query", "variables", "code", "argument"),
    [
        (
            "{ mentorships(first: 1, last: 1) { edges { cursor } } }",
            None,
            "BAD_USER_INPUT",
            "last",
        ),
        (
            "{ mentorships(first: 101) { edges { cursor } } }",
            None,
            "BAD_USER_INPUT",
            "first",
        ),
        ("{ people(last: -1) { edges { cursor } } }", None, "BAD_USER_INPUT", "last"),
        (
            '{ programs(after: "nope") { edges { cursor } } }',
            None,
            "BAD_USER_INPUT",
            "after",
        ),
        (
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            {"ids": ["x"] * 101},
            "BAD_USER_INPUT",
            "ids",
        ),
        (
            "{ mentorships(filter: {quietForDays: -1}) { edges { cursor } } }",
            None,
            "BAD_USER_INPUT",
            "filter",
        ),
        (
            "query($n: Int!) { mentorships(first: $n) { edges { cursor } } }",
            {"n": "x"},
            "BAD_USER_INPUT",
            None,
        ),
        ("{ mentorships { edges { cursor } }", None, "GRAPHQL_PARSE_FAILED", None),
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED", None),
        (DEEP, None, "GRAPHQL_VALIDATION_FAILED", None),
        (ALIASES, None, "GRAPHQL_VALIDATION_FAILED", None),
        ("{ formats { " + "name " * 6000 + "} }", None, "GRAPHQL_PARSE_FAILED", None),
    ],
)
async def test_client_errors_carry_a_code(
    api: Api, query: str, variables: Any, code: str, argument: str | None
) -> None:
    response = await api.post(query, variables)
    (error,) = response.json()["errors"]
    assert error["extensions"].get("code") == code, error
    assert error["extensions"].get("argument") == argument, error


async def test_history_and_as_of_errors_carry_a_code(api: Api, demo: Demo) -> None:
    await api.settle()
    mentorship = demo.node("Mentorship", "one_on_one")
    for query, argument in (
        (
            "query($id: ID!) { mentorship(id: $id) { "
            "history(first: 101) { edges { cursor } } } }",
            "first",
        ),
        (
            "query($id: ID!) { mentorship(id: $id, "
            'asOf: "2026-01-05T10:00:00") { id } }',
            "asOf",
        ),
    ):
        response = await api.post(query, {"id": mentorship})
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_an_unexpected_failure_is_a_graphql_shaped_500(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(token: str) -> Any:
        raise RuntimeError("the key store is gone")

    monkeypatch.setattr(api.services.app, "authenticate", broken)
    response = await api.post(VIEWER)
    assert response.status_code == 500
    assert "key store" not in response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["errorId"] in error["message"]


# -- 5, 9, 11: the WebSocket ---------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("[1,2]", "must be a JSON object, not a list"),
        ("42", "must be a JSON object, not a number"),
        ("null", "must be a JSON object, not null"),
        ('{"type": 5}', "needs a type"),
        (
            '{"type": "subscribe", "id": "1", "payload": "x"}',
            "payload must be an object",
        ),
        (
            '{"type": "subscribe", "id": "1", "payload": null}',
            "payload must be an object",
        ),
        ('{"type": "subscribe", "id": 1, "payload": {"query": "x"}}', "needs an id"),
        ('{"type": "subscribe", "id": "1", "payload": {"query": 5}}', "needs a query"),
        (
            '{"type": "subscribe", "id": "1", '
            '"payload": {"query": "x", "variables": 1}}',
            "variables",
        ),
        ('{"type": "complete"}', "needs an id"),
        ("[" * 100_000 + "]" * 100_000, f"deeper than {MAX_JSON_DEPTH} levels"),
        ("{nope", "not JSON"),
    ],
)
async def test_a_malformed_frame_closes_the_socket_with_4400_and_a_reason(
    served: Served, demo: Demo, frame: str, reason: str
) -> None:
    async with connected(served.base, demo.tokens["participant"]) as socket:
        await socket.ws.send(frame)
        code, why = await socket.closed()
    assert code == 4400
    assert reason in why, why
    served.wait_for_subscribers(0)


async def test_refused_operations_on_the_socket_carry_a_code(
    served: Served, demo: Demo
) -> None:
    mentorship = demo.node("Mentorship", "one_on_one")
    two = (
        EVENTS.replace("subscription(", "subscription A(")
        + " "
        + EVENTS.replace("subscription(", "subscription B(")
    )
    view = next(
        r.endpoint for r in served.app.routes if getattr(r, "path", "") == "/graphql"
    )
    view.max_subscriptions_per_connection = 1
    async with connected(served.base, demo.tokens["participant"]) as socket:
        await socket.send(
            {
                "id": "two",
                "type": "subscribe",
                "payload": {"query": two, "variables": {"id": mentorship}},
            }
        )
        error = await socket.receive()
        assert (error["id"], error["type"]) == ("two", "error")
        assert error["payload"][0]["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
        await socket.subscribe("query", VIEWER)
        error = await socket.receive()
        assert error["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
        await socket.subscribe("one", EVENTS, id=mentorship)
        served.wait_for_subscribers(1)
        await socket.subscribe("more", EVENTS, id=mentorship)
        error = await socket.receive()
        assert (error["id"], error["type"]) == ("more", "error")
        assert error["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT_REACHED"


async def test_a_refused_token_closes_with_the_reason_http_gives(
    served: Served,
) -> None:
    async with httpx.AsyncClient(base_url=served.base) as client:
        response = await client.post(
            "/graphql", json={"query": VIEWER}, headers=bearer("mlg_made_up")
        )
    _refused(response, 401, "UNAUTHENTICATED")
    http_reason = response.json()["errors"][0]["message"]
    async with connected(served.base, init=False) as socket:
        await socket.send(
            {
                "type": "connection_init",
                "payload": {"Authorization": "Bearer mlg_made_up"},
            }
        )
        assert await socket.closed() == (4403, http_reason)
