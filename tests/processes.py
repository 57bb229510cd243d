"""Helpers for tests that run mentorlog commands as separate processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

WAIT = 60.0  # seconds a process gets to reach a state before the test fails


class Process:
    """A `python -m mentorlog ...` child whose output goes to a log file."""

    def __init__(
        self, args: list[str], log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.args = args
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115 - closed in stop()
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        environment.pop("MENTORLOG_DATABASE_URL", None)
        environment.update(env or {})
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "mentorlog", *args],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=environment,
        )

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, after: int = 0) -> int:
        """Wait until text appears in the output (past offset after); its end."""

        def found() -> bool:
            return text in self.output[after:]

        wait_until(found, f"'{text}' in the output of {self}", self)
        return self.output.index(text, after) + len(text)

    def signal(self, signum: int) -> None:
        """Send a signal to the process."""
        self.popen.send_signal(signum)

    def exit_code(self, timeout: float = WAIT) -> int:
        """Wait for the process to end and return its exit code."""
        try:
            return self.popen.wait(timeout)
        finally:
            self._out.close()

    def stop(self) -> None:
        """Kill the process if it still runs (test teardown)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(WAIT)
        self._out.close()

    def __str__(self) -> str:
        return f"'mentorlog {' '.join(self.args[:1])}' (pid {self.popen.pid})"


def wait_until(
    condition: Callable[[], bool], what: str, process: Process | None = None
) -> None:
    """Poll condition until it holds; fail (with the process's output) after WAIT."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if process is not None and process.popen.poll() is not None:
            raise AssertionError(
                f"{process} exited ({process.popen.returncode}) before {what}:\n"
                f"{process.output}"
            )
        if time.monotonic() > deadline:
            output = f":\n{process.output}" if process is not None else ""
            raise AssertionError(f"gave up waiting for {what}{output}")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(process: Process, port: int) -> None:
    """Wait until the API process answers /healthz."""

    def healthy() -> bool:
        try:
            return (
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
                == 200
            )
        except httpx.HTTPError:
            return False

    wait_until(healthy, f"/healthz on port {port}", process)


def mentorlog(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `mentorlog` command in a subprocess; capture what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "mentorlog", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
