"""Operators' endpoints: /readyz, /metrics, and logs that never hold a secret."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pytest
from click.testing import CliRunner
from mentorlog.core.access import person_actor

from mentorlog.app import create_app
from mentorlog.cli import main
from mentorlog.demo import demo_tokens, load_demo
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.conftest import require_postgres
from tests.processes import Process, free_port, wait_healthy
from tests.test_api_support import bearer, gid

PRIVATE_TITLE = "Quietly interview at Initech"
PRIVATE_NOTE = "salary band 7 confidential"
SET_GOAL = """
mutation($input: SetGoalInput!) {
  setGoal(input: $input) { goal { id } userErrors { code } }
}
"""


@pytest.fixture
async def lagging(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """A client on an app whose projections run only when the test says."""
    services = open_services(replace(settings, ready_max_lag=5))
    app = create_app(services.settings, services, run_projections=False)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://mentorlog.test"
            ) as client:
                yield client, services
    finally:
        services.close()


async def test_readyz_says_not_ready_while_the_projections_lag(
    lagging: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = lagging
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["status"] == "ready" and ready.json()["database"] == "ok"
    load_demo(services.app)  # far more than 5 events, none applied
    behind = await client.get("/readyz")
    assert behind.status_code == 503
    body = behind.json()
    assert body["status"] == "not ready" and body["maxLag"] == 5
    assert body["lag"]["mentorships"] > 5
    assert "events behind (at most 5)" in body["reasons"][0]
    metrics = (await client.get("/metrics")).text
    assert re.search(
        r'mentorlog_projection_lag_events\{projection="goals"\} [1-9]', metrics
    )
    services.runner.catch_up()
    again = await client.get("/readyz")
    assert again.status_code == 200 and again.json()["lag"]["goals"] == 0


def participant_of_demo(services: Services) -> tuple[dict[str, str], str]:
    """Load the demo and apply it; its IDs and its participant's token."""
    ids = load_demo(services.app)
    services.runner.catch_up()
    return ids, demo_tokens(services.app, ids)["participant"]


async def test_metrics_count_operations_commands_and_outcomes(
    lagging: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = lagging
    ids, token = participant_of_demo(services)
    await client.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers=bearer(token)
    )
    # A client-chosen operation name never becomes a label.
    await client.post(
        "/graphql",
        json={"query": "query leakMe { viewer { role } }", "operationName": "leakMe"},
        headers=bearer(token),
    )
    await client.post(
        "/graphql",
        json={"query": '{ node(id: "bm9wZQ==") { id } }'},
        headers=bearer("not-a-token"),
    )
    refused = {
        "query": SET_GOAL,
        "variables": {
            "input": {"mentorshipId": gid("Mentorship", ids["one_on_one"]), "title": ""}
        },
    }
    services.runner.start()
    try:
        await client.post("/graphql", json=refused, headers=bearer(token))
        note = {
            "query": "mutation($input: WriteNoteInput!) { writeNote(input: $input) "
            "{ note { id } userErrors { code } } }",
            "variables": {
                "input": {
                    "mentorshipId": gid("Mentorship", ids["one_on_one"]),
                    "text": "x",
                }
            },
        }
        await client.post("/graphql", json=note, headers=bearer(token))
    finally:
        services.runner.stop()
    text = (await client.get("/metrics")).text
    # The demo ran through the same service: its notes are counted too.
    recorded = r'mentorlog_commands_recorded_total\{command="write_note"\} [1-9]'
    assert re.search(recorded, text)
    assert "leakMe" not in text
    for line in (
        'mentorlog_graphql_operations_total{field="viewer",outcome="ok",'
        'type="query"} 2.0',
        'mentorlog_graphql_operations_total{field="setGoal",outcome="user_error",'
        'type="mutation"} 1.0',
        'mentorlog_graphql_operations_total{field="writeNote",outcome="ok",'
        'type="mutation"} 1.0',
        'mentorlog_http_requests_total{route="/graphql",status="401"} 1.0',
        'mentorlog_graphql_operation_duration_seconds_count{field="viewer",'
        'type="query"} 2.0',
        "mentorlog_subscribers 0.0",
        "mentorlog_projections_failed 0.0",
        "mentorlog_database_up 1.0",
    ):
        assert line in text, line


async def test_metrics_count_kept_and_parsed_documents(
    lagging: tuple[httpx.AsyncClient, Services],
) -> None:
    """A document sent again is kept; a new text, or a refused one, is parsed."""
    client, services = lagging
    _, token = participant_of_demo(services)

    def documents(text: str) -> tuple[float, float, float]:
        def value(pattern: str) -> float:
            found = re.search(pattern, text, re.M)
            assert found, text
            return float(found.group(1))

        return (
            value(r'^mentorlog_graphql_documents_total\{source="kept"\} (\S+)$'),
            value(r'^mentorlog_graphql_documents_total\{source="parsed"\} (\S+)$'),
            value(r"^mentorlog_graphql_documents_kept (\S+)$"),
        )

    kept, parsed, size = documents((await client.get("/metrics")).text)
    marker = uuid.uuid4().hex
    viewer = {"query": f"{{ viewer {{ role }} }} # {marker}"}
    for query in (viewer, viewer, {"query": f"{{ nope }} # {marker}"}, viewer):
        await client.post("/graphql", json=query, headers=bearer(token))
    after = documents((await client.get("/metrics")).text)
    assert after == (kept + 2, parsed + 2, size + 2)


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings naming a fresh PostgreSQL schema, dropped afterwards."""
    dsn = require_postgres()
    schema = f"ops_{uuid.uuid4().hex[:10]}"
    yield Settings(data_dir=tmp_path / "data", database_url=f"{dsn}?schema={schema}")
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_logs_and_metrics_of_a_served_demo_hold_no_token_or_private_text(
    pg_settings: Settings, tmp_path: Path
) -> None:
    assert pg_settings.database_url is not None
    services = open_services(pg_settings)
    processes: list[Process] = []
    try:
        ids = load_demo(services.app)
        tokens = demo_tokens(services.app, ids)
        services.app.write_note(
            ids["one_on_one"], actor=person_actor(ids["sam"]), text=PRIVATE_NOTE
        )
        port = free_port()
        server = Process(
            ["serve", "--database-url", pg_settings.database_url, "--port", str(port)],
            tmp_path / "serve.log",
            env={"MENTORLOG_LOG_FORMAT": "json", "MENTORLOG_ACCESS_LOG": "on"},
        )
        processes.append(server)
        wait_healthy(server, port)
        base = f"http://127.0.0.1:{port}"
        sam = tokens["participant"]
        named = re.sub(r"\W", "_", sam)  # a token as an operation name
        mentorship = gid("Mentorship", ids["one_on_one"])
        goal = {
            "query": SET_GOAL,
            "variables": {
                "input": {
                    "mentorshipId": mentorship,
                    "title": PRIVATE_TITLE,
                    "framework": "plain",
                    "fields": {"description": PRIVATE_NOTE + ", in the goal"},
                    "private": True,
                }
            },
        }
        with httpx.Client(base_url=base, timeout=30) as client:
            answer = client.post("/graphql", json=goal, headers=bearer(sam)).json()
            assert answer["data"]["setGoal"]["userErrors"] == [], answer
            # A GET carries the query and its variables in the query string.
            query = "query($t: String!) { viewer { role } __typename }"
            got = client.get(
                "/graphql",
                params={"query": query, "variables": json.dumps({"t": PRIVATE_TITLE})},
                headers={**bearer(sam), "Accept": "application/json"},
            )
            assert got.status_code in (200, 400), got.text
            for token in tokens.values():
                client.post(
                    "/graphql",
                    json={
                        "query": "{ viewer { role } mentorships(first: 5) "
                        "{ edges { node { goals { title } notes { text } } } } }"
                    },
                    headers=bearer(token),
                )
            # Secrets where a careless server would log them: a bad token, an
            # operation named with a token, an ID made of private text.
            client.post(
                "/graphql",
                json={"query": "{ viewer { role } }"},
                headers=bearer(sam + "x"),
            )
            client.post(
                "/graphql",
                json={"query": f"query {named} {{ viewer {{ role }} }}"},
                headers=bearer(sam),
            )
            client.post(
                "/graphql",
                json={"query": f'{{ node(id: "{PRIVATE_NOTE}") {{ id }} }}'},
                headers=bearer(sam),
            )
            # A document that fails validation, its private text inline.
            typo = SET_GOAL.replace("$input: SetGoalInput!", "").replace(
                "input: $input", f'input: {{ title: "{PRIVATE_TITLE}", typo: 1 }}'
            )
            refused = client.post("/graphql", json={"query": typo}, headers=bearer(sam))
            assert refused.json()["errors"], refused.text
            metrics = client.get("/metrics").text
            assert "mentorlog_graphql_operations_total" in metrics
    finally:
        for process in processes:
            process.stop()
        services.close()
    logs = server.output
    assert "POST /graphql" in logs and "GET /graphql" in logs  # access lines are kept
    for line in logs.splitlines():
        # The console lines serve prints first: its address and the pages' ones.
        if line.strip() and not line.startswith(("mentorlog serving", "  ")):
            json.loads(line)  # one JSON object per line
    secrets = [
        *tokens.values(),
        sam + "x",
        named,
        PRIVATE_TITLE,
        PRIVATE_NOTE,
    ]
    for secret in secrets:
        for fragment in (secret, secret.replace(" ", "+"), secret.replace(" ", "%20")):
            assert fragment not in logs, fragment
            assert fragment not in metrics, fragment


def test_an_unknown_log_format_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["worker", "--data", str(tmp_path / "data")],
        env={"MENTORLOG_LOG_FORMAT": "xml"},
    )
    assert result.exit_code == 1
    assert "MENTORLOG_LOG_FORMAT must be text or json, not 'xml'" in result.output
