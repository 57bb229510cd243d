"""Direct resolvers (schema/direct_resolvers.py) answer as Strawberry's own do."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType
from mentorlog.schema import direct_resolvers as fast
from mentorlog.schema.api import make_schema
from mentorlog.schema.context import Context
from mentorlog.schema.direct_resolvers import DEFINITION

from mentorlog.services import Services
from tests.test_api_support import Demo, demo_fixture  # noqa: F401

ACTOR = "actor { system person { id displayName } }"
EVENT = "__typename sequence occurredAt hash contentHidden " + ACTOR
QUERIES = [
    "{ viewer { role person { id displayName } } formats { name roles { name } } }",
    """{ mentorships(first: 100) { pageInfo { hasNextPage endCursor }
        edges { cursor node { id status purpose format { name } createdAt startedAt
          program { id name admins { id displayName } starterGoals { id title } }
          participants { role side person { id displayName careerStage skills } }
          goals { id title fields framework status progress contentHidden private
            statusNote setBy { system person { displayName } } owner { id } }
          meetings { id status scheduledFor agenda notes }
          reviews { id progressRating wentWell }
          feedback { id source rating text }
          milestones { id title }
          activity { lastKind lastAt lastBy { system } quietSince interactions }
        } } } }""",
    """{ people(first: 100) { edges { node { id displayName careerStage erased
        createdAt } } } programs { edges { node { id name formats { name } } } } }""",
]


def _history(mentorship: str) -> str:
    return (
        f'{{ node(id: "{mentorship}") {{ id ... on Mentorship {{ history(first: 100) '
        f"{{ totalCount edges {{ cursor node {{ {EVENT} ... on GoalSet {{ title "
        "fields private } ... on GoalProgressRecorded { note progress } } } } } } }"
    )


async def _answer(
    services: Services, direct: bool, token: str, query: str
) -> dict[str, Any]:
    principal = services.app.authenticate(token)
    db = await services.read_database().open()
    try:
        result = await make_schema(direct_resolvers=direct).execute(
            query, context_value=Context(services, db, principal)
        )
    finally:
        await db.close()
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


async def test_direct_resolvers_answer_as_strawberry_does(
    services: Services, demo: Demo
) -> None:
    services.runner.catch_up()
    queries = [*QUERIES, _history(demo.node("Mentorship", "one_on_one"))]
    for role in ("admin", "participant", "partner", "auditor", "other_admin"):
        for query in queries:
            direct = await _answer(services, True, demo.tokens[role], query)
            wrapped = await _answer(services, False, demo.tokens[role], query)
            assert direct == wrapped, (role, query)
            assert direct["errors"] == [], direct["errors"]


@pytest.mark.parametrize(
    ("type_name", "field", "direct"),
    [
        ("Mentorship", "id", True),  # a Relay ID, encoded directly
        ("Person", "displayName", True),  # an attribute
        ("Mentorship", "goals", True),  # a method without arguments
        ("Goal", "title", True),  # a method that reads the token
        ("Mentorship", "history", False),  # arguments: Strawberry converts them
        ("Query", "mentorships", False),
    ],
)
def test_which_fields_resolve_directly(
    type_name: str, field: str, direct: bool
) -> None:
    trimmed = make_schema()._schema.type_map[type_name]
    built = make_schema(direct_resolvers=False)._schema.type_map[type_name]
    assert isinstance(trimmed, GraphQLObjectType)
    assert isinstance(built, GraphQLObjectType)
    assert trimmed.fields[field].extensions[DEFINITION] is not None
    resolvers = (trimmed.fields[field].resolve, built.fields[field].resolve)
    assert [getattr(r, "__module__", None) == fast.__name__ for r in resolvers] == [
        direct,
        False,
    ]
    assert make_schema().as_str() == make_schema(direct_resolvers=False).as_str()
