"""Headless Chromium for the browser tests: the system's, driven by Playwright.

Playwright launches /usr/bin/chromium (or MENTORLOG_CHROMIUM) by path; it never
downloads a browser. Without one the browser tests are skipped, except under
CI=true, where a missing browser fails them. Screenshots go to
MENTORLOG_SCREENSHOTS (default: a directory under the system's temporary one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from mentorlog.app import create_app
from mentorlog.services import Services
from mentorlog.settings import Settings
from tests.processes import free_port

CHROMIUM = os.environ.get("MENTORLOG_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("MENTORLOG_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / "mentorlog-screenshots"
)


def chromium_path() -> str:
    """The browser's path; skip (or, under CI=true, fail) when there is none."""
    found = shutil.which(CHROMIUM) or (
        CHROMIUM if os.access(CHROMIUM, os.X_OK) else None
    )
    if found is None:
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@dataclass
class Served:
    """The app served over real HTTP on the loopback interface, in a thread."""

    base: str
    server: uvicorn.Server
    thread: threading.Thread


def serve(settings: Settings, services: Services) -> Iterator[Served]:
    """Serve the app on a free port until the generator is closed."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, services),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the app did not start serving")
        time.sleep(0.05)
    try:
        yield Served(base, server, thread)
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Watch:
    """What a page did: every request's URL, console errors, uncaught errors."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        """Record the page's requests and errors from now on."""
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                self.errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def offsite(self) -> list[str]:
        """Requests that left 127.0.0.1."""
        return [
            url
            for url in self.requests
            if not url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:"))
        ]


def screenshot(page: Any, name: str) -> Path:
    """Save the page's screenshot as a test artifact; return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
