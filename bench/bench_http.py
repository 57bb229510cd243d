"""The API over real HTTP under wrk, against plain Starlette on the same server.

Setup (not timed) loads the demo into a fresh store and starts two servers as child
processes with the same uvicorn settings (`mentorlog.cli.serving.server_config`):
`mentorlog serve` on the demo, and a Starlette app with one JSON endpoint. wrk
(Debian's package `wrk`) then loads each side in turn, --repeat times alternating,
with 1 thread and --connections connections for --duration seconds:
- plain: GET the Starlette endpoint (the baseline);
- plain POST: POST the trivial query's body, with the token, to a Starlette endpoint
  that decodes it and answers the same JSON (figures only: what a POST costs);
- plain POST, dressed: the same endpoint behind the API's two middlewares (its
  security headers and HTTP metrics; figures only: what they cost over HTTP);
- trivial: POST `{ __typename }` with the demo's admin token;
- list of 50: POST `{ mentorships(first: 50) { edges { node { id } } } }`, same token.
The best run of each side is compared. Targets: trivial at least 0.35x plain; the
list of 50 at least 3x its requests/s before this work, which is 0.13x plain (it was
392-469 against 9,000-10,900 requests/s, 0.043x), with p99 at most 20 ms.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from _report import Figure, Verdict, finish, parser, report

LIST = "{ mentorships(first: 50) { edges { node { id } } } }"
LUA = """
wrk.method = os.getenv("WRK_METHOD")
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
"""
PLAIN = """
import sys
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, request_response
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from mentorlog.cli.serving import server_config
from mentorlog.metrics import HttpMetrics, Metrics
from mentorlog.settings import Settings
from mentorlog.web.security import SecurityHeaders

async def answer(request):
    return JSONResponse({"data": {"__typename": "Query"}})

async def post(request):
    await request.json()
    return JSONResponse({"data": {"__typename": "Query"}})

@strawberry.type
class Query:
    hello: str = "world"

bare = GraphQL(
    strawberry.Schema(query=Query, extensions=[ParserCache(), ValidationCache()])
)
app = Starlette(
    routes=[
        Route("/plain", answer),
        Route("/post", post, methods=["POST"]),
        Route(
            "/dressed",
            SecurityHeaders(HttpMetrics(request_response(post), metrics=Metrics())),
            methods=["POST"],
        ),
        Route("/strawberry", bare),
    ]
)
config = server_config(app, Settings.from_env(), "127.0.0.1", int(sys.argv[1]))
uvicorn.Server(config).run()
"""


@dataclass(frozen=True)
class Load:
    """One wrk run: requests, seconds, and latency percentiles in ms."""

    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait until the server answers, or fail with its output."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server at {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    sys.exit(f"the server at {url} did not answer within 60 s")


@contextmanager
def served(args: list[str], url: str, log: Path) -> Iterator[None]:
    """A child process serving until the block ends."""
    with open(log, "wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_up(url, process)
            yield
        finally:
            process.terminate()
            process.wait(30)


def millis(text: str) -> float:
    """A wrk duration ('812.00us', '1.20ms', '2.01s') in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(
    url: str, method: str, body: str, token: str, args: object, script: Path
) -> Load:
    """Run wrk once against url and read its summary."""
    env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": body, "WRK_TOKEN": token}
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{args.connections}",  # type: ignore[attr-defined]
            f"-d{args.duration}s",  # type: ignore[attr-defined]
            "--latency",
            "-s",
            str(script),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    assert total, out
    seconds = float(total.group(2)) * {"s": 1.0, "ms": 1e-3, "m": 60.0}[total.group(3)]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert p50 and p99, out
    return Load(
        int(total.group(1)),
        seconds,
        millis(p50.group(1)),
        millis(p99.group(1)),
        int(bad.group(1)) if bad else 0,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Load the demo, serve both sides, load each in turn and compare."""
    p = parser(__doc__.splitlines()[0], 0, "unused")
    p.add_argument("--duration", type=int, default=4, help="seconds per run")
    p.add_argument("--connections", type=int, default=8, help="wrk connections")
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        data = Path(tmp) / "data"
        cli = [sys.executable, "-m", "mentorlog"]
        subprocess.run(
            [*cli, "demo", "--data", str(data)], check=True, capture_output=True
        )
        token = json.loads((data / "demo-tokens.json").read_text())["admin"]
        script = Path(tmp) / "post.lua"
        script.write_text(LUA)
        api_port, plain_port = free_port(), free_port()
        api = f"http://127.0.0.1:{api_port}"
        plain = f"http://127.0.0.1:{plain_port}"
        trivial_body = json.dumps({"query": "{ __typename }"})
        sides = {
            "plain Starlette JSON": (f"{plain}/plain", "GET", "", ""),
            "plain Starlette, the same POST": (
                f"{plain}/post",
                "POST",
                trivial_body,
                token,
            ),
            "plain POST, the API's middlewares": (
                f"{plain}/dressed",
                "POST",
                trivial_body,
                token,
            ),
            "bare Strawberry { __typename }": (
                f"{plain}/strawberry",
                "POST",
                trivial_body,
                "",
            ),
            "{ __typename }, admin token": (
                f"{api}/graphql",
                "POST",
                trivial_body,
                token,
            ),
            "mentorships(first: 50)": (
                f"{api}/graphql",
                "POST",
                json.dumps({"query": LIST}),
                token,
            ),
        }
        serve = [*cli, "serve", "--data", str(data), "--port", str(api_port)]
        runs: dict[str, list[Load]] = {name: [] for name in sides}
        with (
            served(serve, f"{api}/healthz", Path(tmp) / "serve.log"),
            served(
                [sys.executable, "-c", PLAIN, str(plain_port)],
                f"{plain}/plain",
                Path(tmp) / "plain.log",
            ),
        ):
            for _ in range(args.repeat):
                for name, (url, method, body, tok) in sides.items():
                    load = wrk(url, method, body, tok, args, script)
                    if load.errors:
                        sys.exit(f"{name}: {load.errors} answers were not 2xx")
                    runs[name].append(load)
    best = {
        name: max(loads, key=lambda r: r.requests / r.seconds)
        for name, loads in runs.items()
    }
    figures = [
        Figure(name, load.requests, load.seconds, unit="requests")
        for name, load in best.items()
    ]
    rate = {name: load.requests / load.seconds for name, load in best.items()}
    base, posted, dressed, bare, trivial, listing = (rate[name] for name in sides)
    list_runs = runs["mentorships(first: 50)"]
    p99 = min(load.p99 for load in list_runs)
    verdicts = [
        Verdict("plain POST (body, token) ÷ plain GET", posted / base, 0.0),
        Verdict("plain POST, middlewares ÷ without", dressed / posted, 0.0),
        Verdict("trivial ÷ plain POST", trivial / posted, 0.0),
        Verdict("trivial ÷ plain POST with middlewares", trivial / dressed, 0.0),
        Verdict("bare Strawberry ÷ plain (the stack's floor)", bare / base, 0.0),
        Verdict("trivial ÷ plain", trivial / base, 0.35),
        Verdict("list of 50 ÷ plain", listing / base, 0.13),
        Verdict("list of 50 p99 (ms)", p99, 20.0, higher_is_better=False),
    ]
    return report(
        f"Over HTTP under wrk, {args.connections} connections, best of "
        f"{args.repeat} runs of {args.duration:g} s",
        figures,
        verdicts,
        [
            "p50/p99 ms per run: "
            + "; ".join(
                f"{name} " + ", ".join(f"{r.p50:.1f}/{r.p99:.1f}" for r in loads)
                for name, loads in runs.items()
            ),
            "Both servers: uvicorn, uvloop, httptools, access log off, one process.",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
