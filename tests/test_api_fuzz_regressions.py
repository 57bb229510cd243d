"""Defects the API fuzz (tests/test_api_fuzz.py) found, each kept fixed through HTTP.

Each answered INTERNAL_SERVER_ERROR ("Unexpected error") or was silently accepted;
now each is a coded userError and nothing is recorded.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    demo_fixture,
)

NOT_OBJECTS = [[1, 2], "text", 5, True, ""]


async def _refused_fields(
    api: Api, name: str, input: dict[str, Any], token: str
) -> None:
    """Run a mutation that must be refused for its fields, recording nothing."""
    await api.settle()
    before = api.head()
    payload = await api.mutate(name, input, "__typename", token)
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("fields", "GOAL_INVALID")
    ], payload
    assert "must be an object" in payload["userErrors"][0]["message"]
    assert api.head() == before


@pytest.mark.parametrize("fields", NOT_OBJECTS)
async def test_revising_a_goal_with_fields_that_are_not_an_object(
    api: Api, demo: Demo, fields: Any
) -> None:
    goal = demo.scoped("Goal", "one_on_one", "goal")
    input = {"goalId": goal, "fields": fields, "reason": "Fuzzed"}
    await _refused_fields(api, "reviseGoal", input, demo.tokens["participant"])


@pytest.mark.parametrize("fields", NOT_OBJECTS)
async def test_setting_a_goal_with_fields_that_are_not_an_object(
    api: Api, demo: Demo, fields: Any
) -> None:
    input = {
        "mentorshipId": demo.node("Mentorship", "one_on_one"),
        "title": "Fuzzed",
        "framework": "plain",
        "fields": fields,
    }
    await _refused_fields(api, "setGoal", input, demo.tokens["participant"])


@pytest.mark.parametrize("fields", NOT_OBJECTS)
async def test_a_starter_goal_with_fields_that_are_not_an_object(
    api: Api, demo: Demo, fields: Any
) -> None:
    input = {
        "programId": demo.node("Program", "program"),
        "title": "Fuzzed",
        "framework": "plain",
        "fields": fields,
    }
    await _refused_fields(api, "addStarterGoal", input, demo.tokens["admin"])
