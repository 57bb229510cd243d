"""A first installation as a new user starts one: init, serve, and what they refuse."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest

from mentorlog.services import open_services
from mentorlog.settings import Settings
from tests.processes import Process, free_port, mentorlog, wait_healthy

VIEWER = "{ viewer { role person { displayName } program { name formats { name } } } }"


def store_args(settings: Settings) -> list[str]:
    """The options that point a command at the test's (still empty) store."""
    args = ["--data", str(settings.data_dir)]
    if settings.database_url:
        args += ["--database-url", settings.database_url]
    return args


def events_in(settings: Settings) -> int:
    """How many events the store holds."""
    services = open_services(settings, create=False)
    try:
        return services.app.recorder.max_notification_id() or 0
    finally:
        services.close()


INIT = ["--name", "Ada Okafor", "--email", "ada@example.org", "--program", "Mentoring"]


def test_init_starts_an_installation_whose_token_works_over_http(
    settings: Settings, tmp_path: Path
) -> None:
    made = mentorlog("init", *store_args(settings), *INIT)
    assert made.returncode == 0, made.stderr
    (token,) = re.findall(r"token\s+(mlg_\S+)", made.stdout)
    assert "not shown again" in made.stdout
    port = free_port()
    server = Process(
        ["serve", *store_args(settings), "--port", str(port)], tmp_path / "serve.log"
    )
    try:
        wait_healthy(server, port)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
    finally:
        server.stop()
    # No line per request unless MENTORLOG_ACCESS_LOG asks (tests/test_ops.py does).
    assert "mentorlog serving" in server.output
    assert "POST /graphql" not in server.output
    viewer = answer["data"]["viewer"]
    assert viewer["role"] == "ADMIN"
    assert viewer["person"] == {"displayName": "Ada Okafor"}
    assert viewer["program"]["name"] == "Mentoring"
    assert {"one_on_one", "circle"} <= {f["name"] for f in viewer["program"]["formats"]}

    before = events_in(settings)
    again = mentorlog("init", *store_args(settings), *INIT)
    assert again.returncode == 1
    assert "already holds" in again.stderr and "token create" in again.stderr
    assert "mlg_" not in again.stdout + again.stderr
    assert events_in(settings) == before


@pytest.mark.sqlite_only("the demo is loaded once; init then refuses the store")
def test_init_refuses_the_demo_and_bad_input_records_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert mentorlog("demo", "--data", str(data)).returncode == 0
    before = events_in(Settings(data_dir=data))
    refused = mentorlog("init", "--data", str(data), *INIT)
    assert refused.returncode == 1 and "already holds" in refused.stderr
    assert events_in(Settings(data_dir=data)) == before
    fresh = tmp_path / "fresh"
    empty = mentorlog("init", "--data", str(fresh), "--name", " ", "--program", "P")
    assert empty.returncode == 2 and "--name must not be empty" in empty.stderr
    assert not fresh.exists()
    assert "Traceback" not in refused.stderr + empty.stderr


@pytest.mark.sqlite_only("a data directory that does not exist")
def test_serve_refuses_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = mentorlog("serve", "--data", str(missing), "--port", str(free_port()))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert f"mentorlog init --data {missing}" in result.stderr
    assert "mentorlog demo" in result.stderr
    assert "serving" not in result.stdout and "Traceback" not in result.stderr
    assert not missing.exists()


@pytest.mark.sqlite_only("the port, not the store, is refused")
def test_serve_on_a_port_in_use_says_so_before_claiming_to_serve(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert mentorlog("init", "--data", str(data), *INIT).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = mentorlog("serve", "--data", str(data), "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert "serving" not in result.stdout and "Traceback" not in result.stderr
