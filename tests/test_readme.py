"""The README works as written: its shell examples run against a real demo server."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import require_postgres

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def section(title: str, until: str) -> list[str]:
    """The ```sh blocks between two headings of the README."""
    start, end = README.index(title), README.index(until)
    return re.findall(r"```sh\n(.*?)```", README[start:end], re.S)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """The demo loaded and served from a fresh directory, as the README does."""
    home = tmp_path_factory.mktemp("readme")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORLOG_")}
    mentorlog = [sys.executable, "-m", "mentorlog"]
    subprocess.run([*mentorlog, "demo"], cwd=home, env=env, check=True, timeout=120)
    port = free_port()
    process = subprocess.Popen(
        [*mentorlog, "serve", "--port", str(port)],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield home, port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_first_commands_match_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"```sh\n(.*?)\n```", README[: README.index("## What is")])
    assert commands[0].endswith("mentorlog demo && mentorlog serve")
    assert commands[1] in ci


def test_walk_through_and_auditor_examples_run_as_written(
    server: tuple[Path, int],
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("the README's examples use curl, which is not installed")
    home, port = server
    blocks = section("## GraphQL walk-through", "## Running at scale")
    script = "set -eu\n" + "\n".join(blocks)
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORLOG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert '"errors"' not in out, out
    assert '"displayName":"Sam Whitfield"' in out
    assert '"title":"Ship the reporting service"' in out
    assert '"code":"GOAL_INVALID"' in out
    assert '"progress":30.0' in out and '"status":"HELD"' in out
    # The mentor reads Sam's note once shared; the admin never does.
    note = '"text":"Ask about leading the next release"'
    assert out.count('"contentHidden":true,"text":null') == 2, out
    assert out.count('"contentHidden":false,' + note) == 1, out
    assert '"__typename":"GoalSet"' in out and '"ok":true' in out
    assert re.search(r"store digest: [0-9a-f]{64}", out)
    assert '"type": "Proposed"' in out
    assert re.search(r"the log extends 1 checkpoint\(s\) signed by mentorlog/", out)
    assert re.search(r"VERIFIED: \d+ events, each in the signed checkpoint", out)
    assert '"leaf_index": ' in out and '"transparencyLog"' in out
    # Resumed after the read: the progress recorded in between, first and once.
    assert re.search(
        r'\{"data":\{"mentorshipEvents":\{"__typename":"GoalProgressRecorded",'
        r'"position":\d+,"sequence":\d+,"progress":45.0,"note":"Load tests pass"',
        out,
    ), out
    # The intake: enrolment, explained suggestions, a request accepted, a bulk match.
    assert '"status":"ENROLLED","person":{"displayName":"Yusuf Demir"}' in out
    assert "Both can meet at 1 of the mentee's 1 times: tue-pm." in out
    assert '"code":"NOT_THE_MENTOR"' in out
    assert '"status":"ACTIVE","formatName":"one_on_one"' in out
    assert out.count('"__typename":"MatchScored"') >= 2, out


def test_running_at_scale_starts_a_worker_and_two_api_processes(
    tmp_path: Path,
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("the README's examples use curl, which is not installed")
    dsn = require_postgres()
    schema = f"readme_{uuid.uuid4().hex[:10]}"
    helpers = section("## GraphQL walk-through", "## Running at scale")[0]
    blocks = section("## Running at scale", "## Sign in with your identity provider")
    script = "set -eu\n" + helpers + "\n".join(blocks)
    ports = {"8001": str(free_port()), "8002": str(free_port())}
    for old, new in ports.items():
        script = script.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
        script = script.replace(f"--port {old}", f"--port {new}")
    script = script.replace("schema=mentorlog_demo", f"schema={schema}")
    script = script.replace("postgresql://postgres@127.0.0.1:5432/test", dsn)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORLOG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its background jobs share its process group
    )
    try:
        out, err = shell.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(timeout=10)
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    assert shell.returncode == 0, out + err
    assert '"errors"' not in out, out
    assert out.count('"title":"Scaled out"') == 2
    assert "program_metrics" in out


def test_sign_in_with_an_identity_provider_runs_as_written(tmp_path: Path) -> None:
    """The section's blocks, with the walk-through's helpers, against the local
    issuer and a server of their own (on free ports)."""
    if shutil.which("curl") is None:
        pytest.skip("the README's examples use curl, which is not installed")
    helpers = section("## GraphQL walk-through", "## Running at scale")[0]
    blocks = section("## Sign in with your identity provider", "## Write a plugin")
    script = "set -eu\n" + helpers + "\n".join(blocks)
    for old in ("8765", "8010"):
        script = script.replace(old, str(free_port()))
    script = script.replace(
        "examples/local_issuer.py", str(ROOT / "examples" / "local_issuer.py")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORLOG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its background jobs share its process group
    )
    try:
        out, err = shell.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(timeout=10)
    assert shell.returncode == 0, out + err
    assert '"role":"PARTICIPANT"' in out and '"displayName":"Sam Whitfield"' in out
    assert '"reason":"TOKEN_WRONG_AUDIENCE"' in out, out
    assert '"reason":"TOKEN_EXPIRED"' in out, out
    assert '"reason":"NO_GRANT"' in out, out  # his only grant was revoked


def run_with_own_server(
    tmp_path: Path, title: str, until: str, ports: dict[str, list[str]]
) -> str:
    """Load the demo in tmp_path and run the README's section `title` (which serves
    it itself) in one shell, on free ports instead of `ports`' defaults; its output.

    `ports` maps each default port to the texts holding it (`{port}` where it goes).
    """
    if shutil.which("curl") is None:
        pytest.skip("the README's examples use curl, which is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORLOG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    mentorlog = [sys.executable, "-m", "mentorlog"]
    subprocess.run([*mentorlog, "demo"], cwd=tmp_path, env=env, check=True, timeout=120)
    helpers = section("## GraphQL walk-through", "## Running at scale")[0]
    script = "set -eu\n" + helpers + "\n".join(section(title, until))
    api = free_port()
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{api}")
    script = script.replace("mentorlog serve &", f"mentorlog serve --port {api} &")
    for default, texts in ports.items():
        port = str(free_port())
        for text in texts:
            script = script.replace(text.format(port=default), text.format(port=port))
    output = tmp_path / "output.txt"
    with output.open("w") as out:
        shell = subprocess.Popen(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # what the section starts runs in its group
        )
        try:
            shell.wait(timeout=120)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGTERM)
    text = output.read_text()
    assert shell.returncode == 0, text
    assert '"errors"' not in text, text
    return text


def test_webhooks_are_registered_and_verified_as_written(tmp_path: Path) -> None:
    """The demo served with private receivers allowed; the README's receiver checks
    the signature of the goal it is sent."""
    text = run_with_own_server(
        tmp_path,
        "## Webhooks",
        "## Calendars",
        {"8900": ["127.0.0.1:{port}", '"127.0.0.1", {port}']},
    )
    assert "verified GoalSet Present at the guild" in text, text
    assert '"eventType":"GOAL_SET","status":"delivered","attempts":1' in text, text


def test_calendars_show_a_meetings_invite_as_written(
    server: tuple[Path, int],
) -> None:
    """Sam's meeting, moved past the change to summer time, parses back at 10:00,
    in its invite and in his calendar feed."""
    if shutil.which("curl") is None:
        pytest.skip("the README's examples use curl, which is not installed")
    home, port = server
    helpers = section("## GraphQL walk-through", "## Running at scale")[0]
    blocks = section("## Calendars", "## Nudges")
    script = "set -eu\n" + helpers + "\n".join(blocks)
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORLOG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert '"errors"' not in out, out
    assert '"timeZone":"Europe/Berlin","revision":1' in out, out
    assert (
        "1 Europe/Berlin 2027-04-02T10:00:00+02:00 https://meet.example.org/sam" in out
    )
    assert '{"field":"timeZone","code":"INVALID_INPUT"}' in out, out
    # Sam's feed holds the moved meeting with both names, until he revokes it.
    assert (
        "CONFIRMED 1 2027-04-02T10:00:00+02:00 with Grace Lindqvist, Sam Whitfield"
        in out
    ), out
    assert '"revokeCalendarFeed":{"revoked":true,"userErrors":[]}' in out, out
    assert "after revoking: 404" in out, out


def test_nudges_arrive_by_email_as_written(tmp_path: Path) -> None:
    """The demo served with a local SMTP server (aiosmtpd's, printing what it
    gets): Sam's meeting in three hours brings him a reminder, recorded once."""
    text = run_with_own_server(
        tmp_path,
        "## Nudges",
        "## Layout",
        {"8025": ["127.0.0.1:{port}", "SMTP_PORT={port}"]},
    )
    rules = '"meetingReminderHours":24,"quietAfterDays":null,"channels":["email"]'
    assert rules in text, text
    assert "To: Sam Whitfield <sam@example.org>" in text, text
    assert "Subject: Reminder: mentoring meeting on " in text, text
    sent = '"__typename":"NudgeSent","rule":"meeting_reminder","channel":"email"'
    assert text.count(sent) == 2, text  # Sam and his mentor, once each
    assert '{"field":"quietAfterDays","code":"INVALID_INPUT"}' in text, text
    assert '{"field":"programId","code":"NOT_FOUND"}' in text, text
