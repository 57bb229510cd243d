"""The query cost limit: list sizes multiply through the selection, and an operation
over the limit is refused before anything runs, with QUERY_TOO_COSTLY; a heavy query
inside it does not hold up the others."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from graphql import get_introspection_query
from mentorlog.schema import history as events
from mentorlog.schema.api import MAX_COST

from mentorlog.services import Services
from mentorlog.settings import Settings
from tests.test_api_support import (  # noqa: F401
    GRAPHQL_RESPONSE,
    Api,
    Demo,
    api_fixture,
    demo_fixture,
    open_api,
)

HISTORY = "history(first: 100) { edges { node { sequence } } }"
# 1 + 7 × (edge 1 + node 1 + id 1 + goals 10 × (goal 1 + title 1)) = 162: a page of
# seven, and ten goals assumed for a list that is not paged.
SEVEN = "{ mentorships(first: 7) { edges { node { id goals { title } } } } }"
SEVEN_COST = 162


def hostile(mentorship: str, ids: int = 100, aliases: int = 1) -> str:
    """The issue's query: every goal's mentorship's history, for each of many IDs."""
    listed = json.dumps([mentorship] * ids)
    one = (
        f"nodes(ids: {listed}) {{ ... on Mentorship {{ goals {{ mentorship {{ "
        f"{HISTORY} }} }} }} }}"
    )
    return "{ " + " ".join(f"a{n}: {one}" for n in range(aliases)) + " }"


def refusal(response: Any) -> dict[str, Any]:
    """The one error of a refused operation, checked to be a cost refusal."""
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY", error
    cost, limit = error["extensions"]["cost"], error["extensions"]["maxCost"]
    assert cost > limit
    assert f"{cost:,}" in error["message"] and f"{limit:,}" in error["message"]
    return dict(error["extensions"])


@pytest.fixture(name="tight")
async def tight_fixture(settings: Settings, services: Services) -> AsyncIterator[Api]:
    """The API with the limit set one below what SEVEN costs."""
    tight = replace(settings, max_query_cost=SEVEN_COST - 1)
    async for api in open_api(tight, services):
        yield api


async def test_the_hostile_query_is_refused_at_one_alias_and_two(
    api: Api, demo: Demo
) -> None:
    await api.settle()
    mentorship = demo.node("Mentorship", "one_on_one")
    for aliases in (1, 2):
        response = await api.post(
            hostile(mentorship, aliases=aliases), headers={"accept": GRAPHQL_RESPONSE}
        )
        assert response.status_code == 400
        refused = refusal(response)
        assert refused["maxCost"] == MAX_COST
    # A smaller one inside the limit answers.
    data = await api.gql(hostile(mentorship, ids=30))
    goals = data["a0"][0]["goals"]
    assert goals and goals[0]["mentorship"]["history"]["edges"]


async def test_an_operation_over_the_limit_runs_nothing(
    settings: Settings, services: Services, demo: Demo
) -> None:
    """A costly mutation is refused before its command runs: nothing is recorded."""
    mutation = (
        "mutation($input: SetGoalInput!) { setGoal(input: $input) { goal { "
        f"mentorship {{ participants {{ person {{ mentorships {{ {HISTORY} }} }} }} }}"
        " } userErrors { code } } }"
    )
    variables = {
        "input": {
            "mentorshipId": demo.node("Mentorship", "one_on_one"),
            "title": "Read a book a month",
            "framework": "plain",
            "fields": {"description": "Twelve books"},
        }
    }
    token = demo.tokens["participant"]
    async for api in open_api(replace(settings, max_query_cost=1000), services):
        await api.settle()
        head = api.head()
        refused = refusal(await api.post(mutation, variables, token))
        assert refused["maxCost"] == 1000
        assert api.head() == head
        goals = (
            "query($id: ID!) { node(id: $id) { ... on Mentorship "
            "{ goals { title } } } }"
        )
        titles = await api.gql(
            goals,
            {"id": variables["input"]["mentorshipId"]},
            token,
        )
        assert "Read a book a month" not in str(titles)
    # Under the default limit the same mutation records the goal.
    async for api in open_api(settings, services):
        payload = (await api.gql(mutation, variables, token))["setGoal"]
        assert payload["userErrors"] == [] and api.head() > head


async def test_the_cost_multiplies_page_sizes_and_list_sizes(
    tight: Api, settings: Settings, services: Services
) -> None:
    assert refusal(await tight.post(SEVEN))["cost"] == SEVEN_COST
    # Sent again, the kept document's kept cost refuses it the same way.
    assert refusal(await tight.post(SEVEN))["cost"] == SEVEN_COST
    async for exact in open_api(replace(settings, max_query_cost=SEVEN_COST), services):
        assert (await exact.gql(SEVEN))["mentorships"]["edges"] == []


async def test_fragments_count_where_they_are_spread(tight: Api) -> None:
    named = (
        "{ ...Page } fragment Page on Query { mentorships(first: 7) { edges { "
        "node { ...Goals } } } } fragment Goals on Mentorship { id goals { title } }"
    )
    inline = (
        "{ ... on Query { mentorships(first: 7) { edges { node { ... on Mentorship "
        "{ id ... { goals { ... on Goal { title } } } } } } } } }"
    )
    for query in (named, inline):
        assert refusal(await tight.post(query))["cost"] == SEVEN_COST
    # Spread twice under two aliases, a fragment counts twice.
    twice = "{ a: mentorships(first: 7) { ...E } b: mentorships(first: 7) { ...E } }"
    twice += (
        " fragment E on MentorshipConnection { edges { node { id goals { title } } } }"
    )
    assert refusal(await tight.post(twice))["cost"] == 2 * SEVEN_COST


async def test_on_an_interface_the_costliest_type_counts(tight: Api) -> None:
    # 2 IDs × (node 1 + the Mentorship fragment's goals: 10 × 2), not plus Program's.
    query = (
        '{ nodes(ids: ["a", "b"]) { ... on Mentorship { goals { title } } '
        "... on Program { name } } }"
    )
    assert (await tight.gql(query))["nodes"] == [None, None]
    costlier = query.replace('"b"', '"b", "c", "d", "e", "f", "g", "h"')
    assert refusal(await tight.post(costlier))["cost"] == 8 * 21


async def test_variables_and_their_defaults_set_the_page_size(tight: Api) -> None:
    paged = (
        "query($n: Int) { mentorships(first: $n) { edges { node { id goals "
        "{ title } } } } }"
    )
    assert refusal(await tight.post(paged, {"n": 7}))["cost"] == SEVEN_COST
    assert (await tight.gql(paged, {"n": 6}))["mentorships"]["edges"] == []
    # Without first, a page has 20 items; a variable's default counts when unset.
    assert refusal(await tight.post(paged))["cost"] == 1 + 20 * 23
    defaulted = paged.replace("$n: Int)", "$n: Int = 6)")
    assert (await tight.gql(defaulted))["mentorships"]["edges"] == []
    ids = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Goal { title } } }"
    assert refusal(await tight.post(ids, {"ids": ["x"] * 100}))["cost"] == 100 * 2


async def test_introspection_and_the_viewer_pass_any_limit(tight: Api) -> None:
    graphiql = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    data = await tight.gql(graphiql)
    assert data["__schema"]["queryType"]["name"] == "Query"
    assert (await tight.gql("{ viewer { role } }"))["viewer"]["role"] == "AUDITOR"


@pytest.mark.parametrize(("value", "limit"), [(None, None), ("", None), ("500", 500)])
def test_the_limit_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, limit: int | None
) -> None:
    monkeypatch.delenv("MENTORLOG_MAX_QUERY_COST", raising=False)
    if value is not None:
        monkeypatch.setenv("MENTORLOG_MAX_QUERY_COST", value)
    assert Settings.from_env("/tmp/mentorlog-unused").max_query_cost == limit


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_a_bad_limit_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MENTORLOG_MAX_QUERY_COST", value)
    with pytest.raises(ValueError, match="MENTORLOG_MAX_QUERY_COST"):
        Settings.from_env("/tmp/mentorlog-unused")


async def test_a_heavy_query_does_not_hold_up_a_light_one(
    api: Api, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While an allowed heavy query builds its history pages, a light one answers."""
    built: list[int] = []
    page_of_events = events.page_of_events

    def counted(*args: Any) -> Any:
        built.append(1)
        return page_of_events(*args)

    monkeypatch.setattr(events, "page_of_events", counted)
    await api.settle()
    token = demo.tokens["participant"]
    heavy_query = hostile(demo.node("Mentorship", "one_on_one"), ids=32)
    heavy = asyncio.create_task(api.post(heavy_query, token=token))
    while not built and not heavy.done():
        await asyncio.sleep(0)
    light = await api.gql("{ viewer { role } }", token=token)
    pages_then = len(built)
    response = await heavy
    assert light["viewer"]["role"] == "PARTICIPANT"
    assert response.status_code == 200 and "errors" not in response.json()
    # One page per goal of each of the 32 mentorships the query names.
    assert len(built) >= 32 * 4
    assert pages_then < len(built) / 2, (pages_then, len(built))
