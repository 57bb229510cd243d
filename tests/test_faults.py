"""Faults: PostgreSQL backends terminated while a real server answers mutations.

Every answer is checked against what the event store holds: an acknowledged write
is stored exactly once, and an error is coded (UNAVAILABLE) and, when it says a
retry is safe, its write is absent. The projections and the LISTEN session recover.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import psycopg
import pytest
from mentorlog.core.access import person_actor

from mentorlog.app import create_app
from mentorlog.demo import demo_tokens, load_demo
from mentorlog.services import open_services
from mentorlog.settings import PostgresURL, Settings
from tests.conftest import require_postgres
from tests.processes import Process, free_port, wait_healthy, wait_until
from tests.test_api_support import bearer, gid

WRITES = 240
KILL_EVERY = 0.3  # seconds between rounds of pg_terminate_backend
WRITE_NOTE = """
mutation($input: WriteNoteInput!) {
  writeNote(input: $input) { note { id text } userErrors { code message } }
}
"""


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings naming a fresh PostgreSQL schema, dropped afterwards."""
    dsn = require_postgres()
    schema = f"faults_{uuid.uuid4().hex[:10]}"
    yield Settings(data_dir=tmp_path / "data", database_url=f"{dsn}?schema={schema}")
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def terminate(dsn: str, application: str) -> int:
    """Terminate every backend of one application name; how many were."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            (application,),
        ).fetchone()
    return int(row[0]) if row else 0


def sessions(dsn: str, application: str) -> list[str]:
    """The last statement of each backend of one application name."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT query FROM pg_stat_activity WHERE application_name = %s",
            (application,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def classify(response: httpx.Response) -> tuple[str, Any]:
    """('ok', note) for a recorded answer, ('error', extensions) for a refused one."""
    assert response.headers["content-type"].startswith("application/"), response.text
    body = response.json()
    if body.get("errors"):
        (error,) = body["errors"]
        return "error", error.get("extensions") or {}
    payload = body["data"]["writeNote"]
    codes = [error["code"] for error in payload["userErrors"]]
    # Recorded, though the projections (backing off too) were slower than the wait.
    assert codes in ([], ["PROJECTION_TIMEOUT"]), payload
    return "ok", payload["note"]


def test_backends_terminated_mid_stream_lose_or_double_no_write(
    pg_settings: Settings, tmp_path: Path
) -> None:
    dsn = require_postgres()
    assert pg_settings.database_url is not None
    services = open_services(pg_settings)
    processes: list[Process] = []
    try:
        ids = load_demo(services.app)
        token = demo_tokens(services.app, ids)["participant"]
        mentorship = ids["one_on_one"]
        application = f"mentorlog_faults_{uuid.uuid4().hex[:8]}"
        port = free_port()
        server = Process(
            ["serve", "--database-url", pg_settings.database_url, "--port", str(port)],
            tmp_path / "serve.log",
            env={"PGAPPNAME": application},
        )
        processes.append(server)
        wait_healthy(server, port)
        wait_until(
            lambda: any(q.startswith("LISTEN") for q in sessions(dsn, application)),
            "the server's LISTEN session",
            server,
        )

        done = threading.Event()
        killed: list[int] = []

        def killer() -> None:
            while not done.wait(KILL_EVERY):
                killed.append(terminate(dsn, application))

        answers: list[tuple[str, str, Any]] = []
        thread = threading.Thread(target=killer)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            thread.start()
            try:
                for i in range(WRITES):
                    text = f"fault note {i}"
                    response = client.post(
                        "/graphql",
                        json={
                            "query": WRITE_NOTE,
                            "variables": {
                                "input": {
                                    "mentorshipId": gid("Mentorship", mentorship),
                                    "text": text,
                                    "private": False,
                                    # Half carry a key: both paths answer once.
                                    "idempotencyKey": f"k{i}" if i % 2 else None,
                                }
                            },
                        },
                        headers=bearer(token),
                    )
                    assert response.status_code in (200, 503), response.text
                    answers.append((text, *classify(response)))
            finally:
                done.set()
                thread.join()
        assert sum(killed) >= 3 * 5, killed  # the rounds found the server's sessions

        app = services.app
        texts = [
            str(app.sealer.open(note["text"]))
            for note in app.get_mentorship(mentorship).notes.values()
        ]
        stored = Counter(t for t in texts if t.startswith("fault note "))
        acknowledged = [text for text, kind, _ in answers if kind == "ok"]
        refused = [(text, ext) for text, kind, ext in answers if kind == "error"]
        for text in acknowledged:
            assert stored[text] == 1, (text, stored[text])
        for text, extensions in refused:
            assert extensions.get("code") == "UNAVAILABLE", extensions
            if extensions.get("retryable"):
                assert stored[text] == 0, text
        assert max(stored.values()) == 1
        assert "INTERNAL_SERVER_ERROR" not in server.output
        assert "Traceback" not in server.output, server.output
        # Most writes get through: the retries on fresh connections succeed.
        assert len(acknowledged) >= WRITES * 0.9, refused

        # The projections and the LISTEN session recovered: they catch up, and a
        # write after the faults is applied at once, its payload reading it back.
        head = services.runner.head()
        wait_until(
            lambda: all(lag.position >= head for lag in services.runner.status()),
            "the server's projections to catch up",
            server,
        )
        wait_until(
            lambda: any(q.startswith("LISTEN") for q in sessions(dsn, application)),
            "the LISTEN session to come back",
            server,
        )
        last = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": WRITE_NOTE,
                "variables": {
                    "input": {
                        "mentorshipId": gid("Mentorship", mentorship),
                        "text": "after the faults",
                        "private": False,
                    }
                },
            },
            headers=bearer(token),
            timeout=30,
        )
        assert last.json()["data"]["writeNote"] == {
            "note": {"id": ANY, "text": "after the faults"},
            "userErrors": [],
        }
    finally:
        for process in processes:
            process.stop()
        services.close()


def test_worker_rides_out_lost_connections_and_stops_when_its_schema_is_dropped(
    pg_settings: Settings, tmp_path: Path
) -> None:
    dsn = require_postgres()
    assert pg_settings.database_url is not None
    services = open_services(pg_settings)
    application = f"mentorlog_worker_{uuid.uuid4().hex[:8]}"
    worker = Process(
        ["worker", "--database-url", pg_settings.database_url],
        tmp_path / "worker.log",
        env={"PGAPPNAME": application},
    )
    try:
        worker.wait_for_output("applying events")
        ids = load_demo(services.app)

        def caught_up() -> bool:
            head = services.runner.head()
            return all(lag.position >= head for lag in services.runner.status())

        wait_until(caught_up, "the worker's catch-up", worker)
        # Its sessions are terminated three times; it reconnects and follows.
        for _ in range(3):
            wait_until(lambda: terminate(dsn, application) > 0, "a session", worker)
            services.app.write_note(
                ids["one_on_one"],
                actor=person_actor(ids["sam"]),
                text="written while the worker reconnects",
                private=False,
            )
            wait_until(caught_up, "the worker to follow again", worker)
        assert worker.popen.poll() is None
        assert "Traceback" not in worker.output, worker.output

        # Its schema is dropped: it stops at once, with a line saying why.
        schema = pg_settings.postgres.schema if pg_settings.postgres else ""
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        assert worker.exit_code() == 1, worker.output
        output = worker.output
        assert "projections stopped:" in output and "does not exist" in output
        assert "Traceback" not in output, output
        assert len(output.splitlines()) < 30, output
    finally:
        worker.stop()
        services.close()


@pytest.fixture
def own_role() -> Iterator[tuple[str, str]]:
    """A login role of this test's own, and the DSN of its connections."""
    dsn = require_postgres()
    role = f"faults_{uuid.uuid4().hex[:10]}"
    parsed = PostgresURL.parse(dsn)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'GRANT CREATE ON DATABASE "{parsed.dbname}" TO "{role}"')
    url = f"postgresql://{role}@{parsed.host}:{parsed.port}/{parsed.dbname}"
    yield role, url
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
            (role,),
        )
        admin.execute(f'DROP SCHEMA IF EXISTS "{role}" CASCADE')
        admin.execute(f'DROP OWNED BY "{role}"')
        admin.execute(f'DROP ROLE "{role}"')


async def test_an_unreachable_database_answers_unavailable_and_records_nothing(
    own_role: tuple[str, str], tmp_path: Path
) -> None:
    dsn = require_postgres()
    role, url = own_role
    settings = Settings(data_dir=tmp_path / "data", database_url=f"{url}?schema={role}")
    services = open_services(settings)
    try:
        ids = load_demo(services.app)
        token = demo_tokens(services.app, ids)["participant"]
        app = create_app(settings, services)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://mentorlog.test", timeout=60
            ) as client:

                async def write(text: str) -> httpx.Response:
                    variables = {
                        "input": {
                            "mentorshipId": gid("Mentorship", ids["one_on_one"]),
                            "text": text,
                            "private": False,
                        }
                    }
                    return await client.post(
                        "/graphql",
                        json={"query": WRITE_NOTE, "variables": variables},
                        headers=bearer(token),
                    )

                assert (await client.get("/readyz")).status_code == 200
                # The database refuses this role, and drops its sessions.
                with psycopg.connect(dsn, autocommit=True) as admin:
                    admin.execute(f'ALTER ROLE "{role}" NOLOGIN')
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE usename = %s",
                        (role,),
                    )
                refused = await write("during the outage")
                assert refused.status_code in (200, 503), refused.text
                (error,) = refused.json()["errors"]
                assert error["extensions"]["code"] == "UNAVAILABLE", error
                assert error["extensions"]["retryable"] is True, error
                ready = await client.get("/readyz")
                assert ready.status_code == 503
                assert ready.json()["database"] == "unreachable", ready.json()

                with psycopg.connect(dsn, autocommit=True) as admin:
                    admin.execute(f'ALTER ROLE "{role}" LOGIN')
                deadline = time.monotonic() + 60
                while (await client.get("/readyz")).status_code != 200:
                    assert time.monotonic() < deadline, "never ready again"
                    await asyncio.sleep(0.2)
                answer = (await write("after the outage")).json()
                assert answer["data"]["writeNote"]["userErrors"] == [], answer
        notes = services.app.get_mentorship(ids["one_on_one"]).notes.values()
        texts = Counter(str(services.app.sealer.open(n["text"])) for n in notes)
        assert texts["during the outage"] == 0
        assert texts["after the outage"] == 1
    finally:
        services.close()
