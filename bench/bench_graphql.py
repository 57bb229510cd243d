"""A GraphQL list query through the Strawberry schema against plain graphql-core.

Setup (not timed) records --n one-on-one mentorships through the Mentoring service,
each with two participants and three goals (plus meetings and reviews the query does
not read), and catches the projections up. The query asks for a page of --n
mentorships with their program, participants (and each participant's person) and
goals (and who set each goal).

The service side runs the query as the API runs it over HTTP: `Operations.run`
(schema/operations.py: the document parsed and validated once with the limits'
rules, its cost counted, executed on the Strawberry schema's graphql-core schema,
errors masked) with the API's own Context (a program admin's principal and read
scope) and DataLoaders. The baseline is
a hand-built graphql-core schema with the same types, enums, scalars, global IDs and
private-goal rule for just these fields; its resolvers call the same scoped
DataLoaders and read-model queries and build the same Python values, and it parses
and validates the document once (as the API's caches mean to), then only executes.

Two data modes: `sql` reads the read-model database through aiosqlite on every
request, as the API does; `memory` serves each statement's rows from memory after the
first request (same rows, same number of loader calls), so only GraphQL work is left.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from inspect import isawaitable
from pathlib import Path
from typing import Any

from _report import Figure, Verdict, best, finish, parser, report
from bench_commands import cast, commands
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    parse,
    validate,
)
from graphql import execute as graphql_execute
from mentorlog.core.access import Principal
from mentorlog.core.policy import ReadScope, may_read_private, read_scope
from mentorlog.projections import queries
from mentorlog.projections.queries import MentorshipFilter, Row
from mentorlog.projections.sqlite_queries import ReadDatabase
from mentorlog.schema import schema
from mentorlog.schema.api import MAX_COST, limit_rules
from mentorlog.schema.context import Context
from mentorlog.schema.ids import global_id
from mentorlog.schema.loaders import Loaders
from mentorlog.schema.operations import Operations
from mentorlog.schema.pagination import encode_cursor, page_request

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

TARGET = 1.2
ROUNDS = 3
SYSTEM = "system:bench"

QUERY = """
query Page($first: Int) {
  mentorships(first: $first) {
    edges {
      cursor
      node {
        id
        status
        purpose
        createdAt
        startedAt
        program { id name }
        participants {
          role
          side
          person { id displayName careerStage }
        }
        goals {
          id
          title
          framework
          status
          progress
          fields
          createdAt
          setBy { system person { displayName } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


class MemoryRows(ReadDatabase):
    """A read database that answers each statement from memory after its first run."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._memo: dict[tuple[str, tuple[Any, ...]], list[Row]] = {}

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The statement's rows, read once from the database, then from memory."""
        key = (sql, tuple(params))
        rows = self._memo.get(key)
        if rows is None:
            rows = self._memo[key] = await super().fetch(sql, params)
        return rows


# -- the graphql-core baseline ---------------------------------------------------


def _enum(name: str, values: Sequence[str]) -> GraphQLEnumType:
    """An enum whose GraphQL names are the upper-cased stored values."""
    return GraphQLEnumType(name, {v.upper(): GraphQLEnumValue(v) for v in values})


def _loader(
    name: str, key: Callable[[Any], Any]
) -> Callable[[Any, Any], Awaitable[Any]]:
    """A resolver that loads through the request's DataLoader `name`."""

    async def resolve(source: Any, info: Any) -> Any:
        value = key(source)
        if value is None:
            return None
        return await getattr(info.context["loaders"], name).load(value)

    return resolve


def _actor(actor: str) -> dict[str, str | None]:
    """The same split of an actor string that the API's Actor type makes."""
    if actor.startswith("person:"):
        return {"system": None, "person_id": actor.removeprefix("person:")}
    return {"system": actor.removeprefix("system:"), "person_id": None}


def baseline_schema() -> GraphQLSchema:
    """Just the types and fields the query reads, resolved from read-model rows."""
    date_time = GraphQLScalarType("DateTime", serialize=lambda value: value.isoformat())
    json_scalar = GraphQLScalarType("JSON", serialize=lambda value: value)
    mentorship_status = _enum(
        "MentorshipStatus", ["proposed", "active", "paused", "completed", "ended"]
    )
    goal_status = _enum("GoalStatus", ["open", "achieved", "abandoned"])
    role_side = _enum("RoleSide", ["mentor", "mentee", "peer"])
    career_stage = _enum("CareerStage", ["early", "mid", "late"])

    def node_id(type_name: str) -> GraphQLField:
        return GraphQLField(
            GraphQLNonNull(GraphQLID),
            resolve=lambda row, info: global_id(type_name, row["id"]),
        )

    def column(kind: Any, name: str) -> GraphQLField:
        return GraphQLField(kind, resolve=lambda row, info: row[name])

    def content(kind: Any, name: str) -> GraphQLField:
        def resolve(row: Row, info: Any) -> Any:
            hidden = row["private"] and not may_read_private(
                info.context["principal"], row["owner_id"]
            )
            return None if hidden else row[name]

        return GraphQLField(kind, resolve=resolve)

    def moment(name: str, required: bool = True) -> GraphQLField:
        kind = GraphQLNonNull(date_time) if required else date_time
        return GraphQLField(
            kind,
            resolve=lambda row, info: (
                datetime.fromisoformat(row[name]) if row[name] else None
            ),
        )

    text = GraphQLNonNull(GraphQLString)
    person = GraphQLObjectType(
        "Person",
        {
            "id": node_id("Person"),
            "displayName": column(text, "display_name"),
            "careerStage": column(GraphQLNonNull(career_stage), "career_stage"),
        },
    )
    actor = GraphQLObjectType(
        "Actor",
        {
            "system": GraphQLField(GraphQLString),
            "person": GraphQLField(
                person, resolve=_loader("person", lambda a: a["person_id"])
            ),
        },
    )
    program = GraphQLObjectType(
        "Program", {"id": node_id("Program"), "name": column(text, "name")}
    )
    participant = GraphQLObjectType(
        "Participant",
        {
            "role": column(text, "role"),
            "side": column(GraphQLNonNull(role_side), "side"),
            "person": GraphQLField(
                person, resolve=_loader("person", lambda p: p["person_id"])
            ),
        },
    )
    goal = GraphQLObjectType(
        "Goal",
        {
            "id": GraphQLField(
                GraphQLNonNull(GraphQLID),
                resolve=lambda row, info: global_id(
                    "Goal", f"{row['mentorship_id']}:{row['id']}"
                ),
            ),
            "title": content(GraphQLString, "title"),
            "framework": column(text, "framework"),
            "status": column(GraphQLNonNull(goal_status), "status"),
            "progress": column(GraphQLNonNull(GraphQLFloat), "progress"),
            "fields": content(json_scalar, "fields"),
            "createdAt": moment("created_at"),
            "setBy": GraphQLField(
                GraphQLNonNull(actor), resolve=lambda row, info: _actor(row["set_by"])
            ),
        },
    )
    mentorship = GraphQLObjectType(
        "Mentorship",
        {
            "id": node_id("Mentorship"),
            "status": column(GraphQLNonNull(mentorship_status), "status"),
            "purpose": column(text, "purpose"),
            "createdAt": moment("created_at"),
            "startedAt": moment("started_at", required=False),
            "program": GraphQLField(
                program, resolve=_loader("program", lambda m: m["program_id"])
            ),
            "participants": GraphQLField(
                GraphQLNonNull(GraphQLList(GraphQLNonNull(participant))),
                resolve=_loader("participants", lambda m: m["id"]),
            ),
            "goals": GraphQLField(
                GraphQLNonNull(GraphQLList(GraphQLNonNull(goal))),
                resolve=_loader("goals", lambda m: m["id"]),
            ),
        },
    )
    page_info = GraphQLObjectType(
        "PageInfo",
        {
            "hasNextPage": GraphQLField(GraphQLNonNull(GraphQLBoolean)),
            "endCursor": GraphQLField(GraphQLString),
        },
    )
    edge = GraphQLObjectType(
        "MentorshipEdge",
        {
            "cursor": GraphQLField(
                GraphQLNonNull(GraphQLString),
                resolve=lambda row, info: encode_cursor(row["seq"]),
            ),
            "node": GraphQLField(
                GraphQLNonNull(mentorship), resolve=lambda row, info: row
            ),
        },
    )
    connection = GraphQLObjectType(
        "MentorshipConnection",
        {
            "edges": GraphQLField(GraphQLNonNull(GraphQLList(GraphQLNonNull(edge)))),
            "pageInfo": GraphQLField(GraphQLNonNull(page_info)),
        },
    )

    async def mentorships(_: Any, info: Any, first: int | None = None) -> Any:
        request = page_request(first, None, None, None)
        page = await queries.page_mentorships(
            info.context["db"], request, MentorshipFilter(), info.context["scope"]
        )
        rows = page.rows
        return {
            "edges": rows,
            "pageInfo": {
                "hasNextPage": page.has_next,
                "endCursor": encode_cursor(rows[-1]["seq"]) if rows else None,
            },
        }

    query = GraphQLObjectType(
        "Query",
        {
            "mentorships": GraphQLField(
                GraphQLNonNull(connection),
                args={"first": GraphQLArgument(GraphQLInt)},
                resolve=mentorships,
            )
        },
    )
    return GraphQLSchema(query=query)


# -- runs ------------------------------------------------------------------------


class Sides:
    """One request on each side, against the same read database."""

    def __init__(
        self, services: Services, db: ReadDatabase, n: int, principal: Principal
    ) -> None:
        self.services = services
        self.db = db
        self.principal = principal
        self.variables = {"first": n}
        self.core_schema = baseline_schema()
        self.operations = Operations(schema, limit_rules(True), MAX_COST)
        self.document: DocumentNode = parse(QUERY)
        errors = validate(self.core_schema, self.document)
        if errors:
            raise RuntimeError(f"the baseline query does not validate: {errors}")

    async def strawberry(self) -> dict[str, Any]:
        """Run the query through the API's Strawberry schema and context."""
        context = Context(self.services, self.db, self.principal)
        result = await self.operations.run(QUERY, self.variables, None, context, "POST")
        if result.errors:
            raise RuntimeError(f"strawberry: {result.errors}")
        assert result.data is not None
        return result.data

    async def graphql_core(self) -> dict[str, Any]:
        """Execute the parsed, validated query on the hand-built graphql-core schema."""
        scope: ReadScope = read_scope(self.principal)
        context = {
            "db": self.db,
            "principal": self.principal,
            "scope": scope,
            "loaders": Loaders(self.db, scope),
        }
        outcome = graphql_execute(
            self.core_schema,
            self.document,
            variable_values=self.variables,
            context_value=context,
        )
        result: ExecutionResult = await outcome if isawaitable(outcome) else outcome  # type: ignore[assignment,misc]
        if result.errors:
            raise RuntimeError(f"graphql-core: {result.errors}")
        assert result.data is not None
        return result.data


async def timed_requests(
    label: str, run: Callable[[], Awaitable[Any]], requests: int
) -> Figure:
    """Run `requests` requests one after another; return the timing."""
    start = time.perf_counter()
    for _ in range(requests):
        await run()
    return Figure(label, requests, time.perf_counter() - start, unit="requests")


async def measure(
    services: Services, principal: Principal, n: int, requests: int, repeat: int
) -> tuple[list[Figure], list[Verdict], int]:
    """Time both sides in both data modes; return figures, verdicts, goals read."""
    figures: list[Figure] = []
    verdicts: list[Verdict] = []
    goals = 0
    for mode, db in (
        ("sql", ReadDatabase(services.settings.views_db)),
        ("memory", MemoryRows(services.settings.views_db)),
    ):
        await db.open()
        try:
            sides = Sides(services, db, n, principal)
            ours, theirs = await sides.strawberry(), await sides.graphql_core()
            if ours != theirs:
                raise RuntimeError(f"the two schemas answer differently ({mode})")
            edges = ours["mentorships"]["edges"]
            goals = sum(len(e["node"]["goals"]) for e in edges)
            for _ in range(3):  # warm both sides
                await sides.strawberry()
                await sides.graphql_core()
            straw_runs: list[Figure] = []
            core_runs: list[Figure] = []
            for _ in range(repeat):
                straw_runs.append(
                    await timed_requests(
                        f"strawberry schema ({mode})", sides.strawberry, requests
                    )
                )
                core_runs.append(
                    await timed_requests(
                        f"graphql-core ({mode})", sides.graphql_core, requests
                    )
                )
        finally:
            await db.close()
        straw, core = best(straw_runs), best(core_runs)
        figures += [straw, core]
        verdicts.append(
            Verdict(
                f"strawberry / graphql-core time ({mode})",
                straw.seconds / core.seconds,
                TARGET,
                higher_is_better=False,
            )
        )
    return figures, verdicts, goals


def record(services: Services, n: int) -> Principal:
    """Record the mentorships and an admin of their program; return the admin."""
    app = services.app
    people = cast(app, n)
    admin = app.register_person(
        actor=SYSTEM,
        display_name="Program admin",
        career_stage="late",
        years_experience=20,
        tenure_years=10,
        capacity=0,
    ).id
    app.add_program_admin(people.program, actor=SYSTEM, person_id=admin)
    commands(app, people, ROUNDS)
    services.runner.catch_up()
    return Principal(
        credential_id="bench", person_id=admin, role="admin", program_id=people.program
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Record the mentorships, then time the query on both schemas."""
    p = parser(
        __doc__.splitlines()[0], 100, "mentorships in the page (default 100, max 100)"
    )
    p.add_argument(
        "--requests",
        type=int,
        default=25,
        help="requests per timed run on each side (default 25)",
    )
    args = p.parse_args(argv)
    n = max(1, min(args.n, 100))
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        services = open_services(Settings(data_dir=Path(tmp) / "data"))
        try:
            principal = record(services, n)
            figures, verdicts, goals = asyncio.run(
                measure(services, principal, n, args.requests, args.repeat)
            )
        finally:
            services.close()
    per_request = {f.name: 1e3 * f.seconds / f.items for f in figures}
    return report(
        f"GraphQL list query (requests, best of {args.repeat} runs of "
        f"{args.requests}; {n} mentorships, {goals} goals, {2 * n} participants)",
        figures,
        verdicts,
        [
            "ms per request: "
            + ", ".join(f"{name} {ms:.2f}" for name, ms in per_request.items()),
            "Both sides answer with identical data; both use the API's DataLoaders "
            "and read-model queries; the baseline parses and validates once.",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
