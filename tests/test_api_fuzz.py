"""A bounded, deterministic property-based fuzz of every root field of the API.

hypothesis-graphql writes schema-valid operations for each Query field and each
Mutation, from the app's own schema; each goes over HTTP to the ASGI app with the
token of every role, on a fresh demo per operation. Whatever the input, no answer
is a 5xx, every answer is a JSON object, and every error carries a stable code and
no internals. ID arguments are often swapped for real global IDs of the kind their
name asks for, so resolvers go past NOT_FOUND into the real checks. Operations
with one schema violation (hypothesis-graphql's negative mode) must be refused
with a coded error, and record nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from mentorlog.plugins.builtin.formats import FORMATS
from mentorlog.plugins.builtin.goal_frameworks import FRAMEWORKS
from mentorlog.schema.api import schema
from mentorlog.schema.errors import INTERNAL
from mentorlog.schema.pagination import encode_cursor

from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    bearer,
    demo_fixture,
    gid,
)

pytestmark = pytest.mark.sqlite_only(
    "fuzzing checks the API layer; one backend is enough"
)

SCHEMA = schema._schema
OPERATIONS = [("query", name) for name in SCHEMA.query_type.fields] + [
    ("mutation", name) for name in SCHEMA.mutation_type.fields
]
ROLES = ("participant", "admin", "auditor")
FORBIDDEN = ("Traceback", "Unexpected error")
SCOPED = {
    "goals": "Goal",
    "milestones": "Milestone",
    "meetings": "Meeting",
    "notes": "Note",
}
# String arguments that name a catalog entry or a cursor: often a real one.
NAMES = {
    "framework": [f.name for f in FRAMEWORKS],
    "defaultFramework": [f.name for f in FRAMEWORKS],
    "format": [f.name for f in FORMATS],
    "formats": [f.name for f in FORMATS],
    # Cursors are positions: a few inside the demo, one past its end.
    "after": [encode_cursor(n) for n in (1, 2, 5, 40, 10**6)],
    "before": [encode_cursor(n) for n in (1, 2, 5, 40, 10**6)],
}
# Which kind of node an ID argument (or input field) names; "id"/"ids" take any.
ID_KINDS = {
    "mentorshipId": "Mentorship",
    "programId": "Program",
    "goalId": "Goal",
    "meetingId": "Meeting",
    "noteId": "Note",
    "milestoneId": "Milestone",
    "personId": "Person",
    "participantId": "Person",
    "ownerId": "Person",
    "aboutId": "Person",
    "sharedWith": "Person",
    "admins": "Person",
    "attended": "Person",
    "id": "*",
    "ids": "*",
}

FUZZ = settings(
    # Deeper, locally: MENTORLOG_FUZZ_EXAMPLES=500 pytest tests/test_api_fuzz.py
    max_examples=int(os.environ.get("MENTORLOG_FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = st.integers(-400, 400).map(lambda d: BASE_TIME + timedelta(days=d))


NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True)


def _object(fields: dict[str, graphql.ValueNode]) -> graphql.ValueNode:
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
            for k, v in fields.items()
        ]
    )


def _json_value() -> st.SearchStrategy[graphql.ValueNode]:
    """JSON literals: often a built-in framework's goal fields, else anything."""
    leaves = st.one_of(
        st.text(max_size=20).map(nodes.String),
        st.integers(-1000, 1000).map(nodes.Int),
        st.booleans().map(nodes.Boolean),
    )
    key_result = st.fixed_dictionaries(
        {},
        optional={
            "description": st.text(max_size=20).map(nodes.String),
            "target": st.integers(-1, 100).map(nodes.Int),
            "unit": st.text(max_size=5).map(nodes.String),
        },
    ).map(_object)
    by_type: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
        "text": st.text(max_size=30).map(nodes.String),
        "date": DAYS.map(lambda t: nodes.String(t.date().isoformat())),
        "boolean": st.booleans().map(nodes.Boolean),
        "number": st.integers(-5, 200).map(nodes.Int),
        "key_results": st.lists(key_result, max_size=6).map(nodes.List),
    }
    goal_fields = st.sampled_from(FRAMEWORKS).flatmap(
        lambda framework: st.fixed_dictionaries(
            {}, optional={f.name: by_type[f.type] for f in framework.fields}
        ).map(_object)
    )
    anything = st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3).map(nodes.List)
            | st.dictionaries(NAME, inner, max_size=4).map(_object)
        ),
        max_leaves=6,
    )
    return goal_fields | anything


SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "ID": st.one_of(
        st.text(max_size=40),
        st.sampled_from(["Person", "Goal", "Mentorship"]).map(
            lambda kind: gid(kind, "x:y")
        ),
    ).map(nodes.String),
    "DateTime": st.one_of(
        DAYS.map(datetime.isoformat),
        DAYS.map(lambda t: t.replace(tzinfo=None).isoformat()) | st.text(max_size=30),
    ).map(nodes.String),
    "JSON": _json_value(),
    # Mostly near the limits (page sizes, percents), sometimes anywhere.
    "Int": st.one_of(st.integers(-2, 101), st.integers(-(2**31), 2**31 - 1)).map(
        nodes.Int
    ),
}
# Pagination runs forwards or backwards: often drop one direction's arguments.
BACKWARDS = frozenset({"last", "before"})
USER_ERRORS = graphql.parse("{ userErrors { field message code } }").definitions[0]


def takes_arguments(type_: graphql.GraphQLNamedType, seen: set[str]) -> bool:
    """Whether any field reachable from a type takes an argument."""
    if type_.name in seen:
        return False
    seen.add(type_.name)
    if isinstance(type_, graphql.GraphQLUnionType):
        return any(takes_arguments(member, seen) for member in type_.types)
    if not isinstance(type_, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
        return False
    return any(
        field.args or takes_arguments(graphql.get_named_type(field.type), seen)
        for field in type_.fields.values()
    )


def _root(kind: str) -> graphql.GraphQLObjectType:
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    assert root is not None
    return root


# Operations with one schema violation need an argument somewhere to violate.
INVALID_OPERATIONS = [
    (kind, name)
    for kind, name in OPERATIONS
    if (field := _root(kind).fields[name]).args
    or takes_arguments(graphql.get_named_type(field.type), set())
]
INVALID_STRATEGIES = {
    (kind, name): (queries if kind == "query" else mutations)(
        SCHEMA,
        fields=[name],
        custom_scalars=SCALARS,
        mode=Mode.NEGATIVE,
        codec=None,
    )
    for kind, name in INVALID_OPERATIONS
}
STRATEGIES = {
    (kind, name): (queries if kind == "query" else mutations)(
        SCHEMA,
        fields=[name],
        custom_scalars=SCALARS,
        print_ast=lambda doc: doc,
        codec=None,
    )
    for kind, name in OPERATIONS
}


def real_ids(api: Api, demo: Demo) -> dict[str, list[str]]:
    """Global IDs of the demo's objects by node type, Sam's mentorship first."""
    found: dict[str, list[str]] = {}
    app = api.services.app
    first = demo.ids["one_on_one"]
    ordered = [first] + [v for v in demo.ids.values() if v != first]
    for value in dict.fromkeys(ordered):
        try:
            aggregate = app.repository.get(UUID(value))
        except ValueError:
            continue
        kind = type(aggregate).__name__
        found.setdefault(kind, []).append(gid(kind, value))
        if kind != "Mentorship":
            continue
        for attribute, scoped in SCOPED.items():
            for key in getattr(aggregate, attribute):
                found.setdefault(scoped, []).append(gid(scoped, f"{value}:{key}"))
        for attribute, scoped in (("reviews", "Review"), ("feedback", "Feedback")):
            for item in getattr(aggregate, attribute):
                found.setdefault(scoped, []).append(
                    gid(scoped, f"{value}:{item['id']}")
                )
    found["*"] = [g for ids in list(found.values()) for g in ids]
    return found


def _root_field(
    document: graphql.DocumentNode,
) -> tuple[graphql.OperationDefinitionNode, graphql.FieldNode]:
    (operation,) = document.definitions
    assert isinstance(operation, graphql.OperationDefinitionNode)
    (root,) = operation.selection_set.selections
    assert isinstance(root, graphql.FieldNode) and root.selection_set
    return operation, root


def _with_root(
    operation: graphql.OperationDefinitionNode,
    root: graphql.FieldNode,
    variables: tuple[graphql.VariableDefinitionNode, ...] = (),
) -> graphql.DocumentNode:
    """The operation with its one root field replaced (and variables declared)."""
    chosen = graphql.SelectionSetNode(selections=(root,))
    return graphql.DocumentNode(
        definitions=(
            graphql.OperationDefinitionNode(
                operation=operation.operation,
                name=operation.name,
                variable_definitions=variables or operation.variable_definitions,
                directives=operation.directives,
                selection_set=chosen,
            ),
        )
    )


def with_user_errors(document: graphql.DocumentNode) -> graphql.DocumentNode:
    """Select every field of a mutation payload's userErrors, to check them too."""
    operation, root = _root_field(document)
    if operation.operation != graphql.OperationType.MUTATION:
        return document
    extra = USER_ERRORS.selection_set.selections  # type: ignore[attr-defined]
    assert root.selection_set is not None
    selections = graphql.SelectionSetNode(
        selections=(*root.selection_set.selections, *extra)
    )
    field = graphql.FieldNode(
        alias=root.alias,
        name=root.name,
        arguments=root.arguments,
        directives=root.directives,
        selection_set=selections,
    )
    return _with_root(operation, field)


def as_variables(
    document: graphql.DocumentNode, kind: str
) -> tuple[graphql.DocumentNode, dict[str, Any]]:
    """Move the root field's literal arguments into variables, as clients send them.

    Variables take another path than literals: JSON values coerced by each
    scalar's parse_value instead of parse_literal.
    """
    operation, root = _root_field(document)
    field = _root(kind).fields[root.name.value]
    definitions, arguments, values = [], [], {}
    for argument in root.arguments or ():
        name = argument.name.value
        variable = graphql.VariableNode(name=graphql.NameNode(value=name))
        definitions.append(
            graphql.VariableDefinitionNode(
                variable=variable, type=graphql.parse_type(str(field.args[name].type))
            )
        )
        arguments.append(graphql.ArgumentNode(name=argument.name, value=variable))
        values[name] = graphql.value_from_ast_untyped(argument.value)
    moved = graphql.FieldNode(
        alias=root.alias,
        name=root.name,
        arguments=tuple(arguments),
        directives=root.directives,
        selection_set=root.selection_set,
    )
    return _with_root(operation, moved, tuple(definitions)), values


class SeedValues(graphql.Visitor):
    """Swap generated IDs and catalog names for real ones, by the argument's name."""

    def __init__(self, data: st.DataObject, ids: dict[str, list[str]]) -> None:
        super().__init__()
        self.data = data
        self.ids = ids

    def _real(self, kind: str) -> graphql.ValueNode:
        choices = self.ids.get(kind) or self.ids["*"]
        return nodes.String(
            self.data.draw(st.just(choices[0]) | st.sampled_from(choices))
        )

    def _seed(self, name: str, value: graphql.ValueNode) -> graphql.ValueNode | None:
        if name in NAMES and self.data.draw(st.integers(0, 3), label=name):
            names = st.sampled_from(NAMES[name]).map(nodes.String)
            if isinstance(value, graphql.StringValueNode):
                return self.data.draw(names)
            if isinstance(value, graphql.ListValueNode):
                return nodes.List(self.data.draw(st.lists(names, max_size=3)))
            return None
        kind = ID_KINDS.get(name)
        if kind is None or not self.data.draw(st.integers(0, 7), label=name):
            return None
        if isinstance(value, graphql.StringValueNode):
            return self._real(kind)
        if isinstance(value, graphql.ListValueNode):
            return nodes.List([self._real(kind) for _ in value.values])
        return None

    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> Any:
        if node.name.value in BACKWARDS and self.data.draw(st.booleans()):
            return graphql.REMOVE
        value = self._seed(node.name.value, node.value)
        return (
            None if value is None else graphql.ArgumentNode(name=node.name, value=value)
        )

    def enter_object_field(self, node: graphql.ObjectFieldNode, *_: Any) -> Any:
        value = self._seed(node.name.value, node.value)
        if value is None:
            return None
        return graphql.ObjectFieldNode(name=node.name, value=value)


async def answer(
    api: Api, text: str, token: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    """POST an operation; a request that ends without an answer fails the example.

    The body escapes every non-ASCII character, so lone surrogates (which no UTF-8
    body can carry) reach the server as JSON escapes, as any client may send them.
    """
    request = {"query": text, "variables": variables or {}}
    body = json.dumps(request, ensure_ascii=True, allow_nan=False).encode()
    try:
        return await api.client.post(
            "/graphql",
            content=body,
            headers={"content-type": "application/json", **bearer(token)},
        )
    except asyncio.CancelledError:
        # Not a BaseException to hypothesis: it shrinks and reports the operation.
        raise AssertionError(f"no answer (CancelledError) to:\n{text}") from None


def problems(response: httpx.Response) -> list[str]:
    """What is wrong with one answer (nothing, for a healthy answer)."""
    if response.status_code >= 500:
        return [f"status {response.status_code}: {response.text[:500]}"]
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        kind = response.headers.get("content-type")
        return [f"not JSON ({kind}): {response.text[:500]}"]
    if not isinstance(body, dict):
        return [f"not a JSON object: {body!r}"[:500]]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            found.append(f"error without extensions.code: {error}")
        elif code == INTERNAL:
            found.append(f"internal error: {error}")
    found += [
        f"userError without a code: {error}"
        for error in user_errors(body.get("data"))
        if not error.get("code")
    ]
    found += [
        f"leaky message: {message[:500]}"
        for message in messages(body)
        if any(word in message for word in FORBIDDEN)
    ]
    return found


def user_errors(data: Any) -> Iterator[dict[str, Any]]:
    """Every userError in the data of a mutation's answer."""
    for payload in (data or {}).values():
        if isinstance(payload, dict):
            yield from payload.get("userErrors") or []


def messages(value: Any) -> Iterator[str]:
    """Every "message" string in a response body (errors and userErrors)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "message" and isinstance(item, str):
                yield item
            else:
                yield from messages(item)
    elif isinstance(value, list):
        for item in value:
            yield from messages(item)


@pytest.mark.parametrize(("kind", "name"), OPERATIONS, ids=[n for _, n in OPERATIONS])
@FUZZ
@given(data=st.data())
async def test_no_operation_answers_a_server_error(
    api: Api, demo: Demo, kind: str, name: str, data: st.DataObject
) -> None:
    ids = real_ids(api, demo)
    document = data.draw(STRATEGIES[kind, name], label=f"{kind} {name}")
    seeded = graphql.visit(with_user_errors(document), SeedValues(data, ids))
    variables: dict[str, Any] = {}
    if data.draw(st.booleans(), label="arguments as variables"):
        seeded, variables = as_variables(seeded, kind)
    text = graphql.print_ast(seeded)
    for role in ROLES:
        response = await answer(api, text, demo.tokens[role], variables)
        found = problems(response)
        shown = f"{text}\nvariables: {json.dumps(variables)}"
        assert not found, f"as {role}:\n{shown}\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("kind", "name"), INVALID_OPERATIONS, ids=[n for _, n in INVALID_OPERATIONS]
)
@FUZZ
@given(data=st.data())
async def test_no_invalid_operation_runs_or_answers_a_server_error(
    api: Api, kind: str, name: str, data: st.DataObject
) -> None:
    text = data.draw(INVALID_STRATEGIES[kind, name], label=f"invalid {kind} {name}")
    await api.settle()
    before = api.head()
    response = await answer(api, text, api.auditor)
    found = problems(response)
    assert not found, f"{text}\n" + "\n".join(found)
    body = response.json()
    assert body.get("errors") and not body.get("data"), body
    assert api.head() == before, "an invalid operation recorded something"
