"""An authenticated `{ __typename }` through the ASGI app against a plain endpoint.

Setup (not timed) opens a store, registers a person and issues them a token. Each
side sends --requests requests through httpx's ASGI transport in the same process:
the service side POSTs `{ __typename }` to /graphql with the bearer token (the
app's whole request path: body and operation checks, authentication, GraphQL); the
baseline GETs a plain Starlette endpoint answering `{"data": {"__typename":
"Query"}}`. It runs twice: with the principals cache off (PRINCIPAL_CACHE_MAXSIZE=0,
every request loads the Credential and Person aggregates, as before) and on (the
steady state reads no events). The figure is requests per second; the ratio is the
service's rate over the baseline's.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from _report import Figure, Verdict, best, finish, parser, report
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mentorlog.app import create_app
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

SYSTEM = "system:bench"
QUERY = {"query": "{ __typename }"}


def plain() -> Starlette:
    """The baseline: a Starlette app with one JSON endpoint."""

    async def answer(request: Request) -> JSONResponse:
        return JSONResponse({"data": {"__typename": "Query"}})

    return Starlette(routes=[Route("/plain", answer)])


async def run(
    client: httpx.AsyncClient, label: str, requests: int, **kw: object
) -> Figure:
    """Send the requests one after another; every answer must be a 200."""
    start = time.perf_counter()
    for _ in range(requests):
        response = await client.request(**kw)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
    return Figure(label, requests, time.perf_counter() - start, unit="requests")


async def measure(
    settings: Settings, services: Services, token: str, requests: int, repeat: int
) -> list[Figure]:
    """Time the baseline and the app with the cache off and on, best of repeat."""
    app = create_app(settings, services)
    headers = {"Authorization": f"Bearer {token}"}
    figures = []
    async with app.router.lifespan_context(app):
        api = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        )
        base = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=plain()), base_url="http://bench"
        )
        async with api, base:
            principals = services.app.principals
            size = principals.maxsize
            sides: list[tuple[str, httpx.AsyncClient, int, dict[str, object]]] = [
                (
                    "plain Starlette JSON",
                    base,
                    size,
                    {"method": "GET", "url": "/plain"},
                ),
                (
                    "authenticated, cache off",
                    api,
                    0,
                    {
                        "method": "POST",
                        "url": "/graphql",
                        "json": QUERY,
                        "headers": headers,
                    },
                ),
                (
                    "authenticated, cache on",
                    api,
                    size,
                    {
                        "method": "POST",
                        "url": "/graphql",
                        "json": QUERY,
                        "headers": headers,
                    },
                ),
            ]
            for label, client, maxsize, kw in sides:
                principals.maxsize = maxsize
                await run(client, label, 20, **kw)  # warm up
                runs = [await run(client, label, requests, **kw) for _ in range(repeat)]
                figures.append(best(runs))
            principals.maxsize = size
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Issue a token, then time both sides."""
    p = parser(__doc__.splitlines()[0], 500, "requests per timed run (default 500)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        services = open_services(settings)
        try:
            person = services.app.register_person(
                actor=SYSTEM,
                display_name="Bench Auditor",
                career_stage="late",
                years_experience=10,
                tenure_years=5,
                capacity=0,
            ).id
            token, _ = services.app.issue_token(
                actor=SYSTEM, person_id=person, role="auditor"
            )
            services.runner.catch_up()
            figures = asyncio.run(
                measure(settings, services, token, args.n, args.repeat)
            )
        finally:
            services.close()
    baseline, off, on = figures
    verdicts = [
        Verdict("cache off ÷ plain (before)", off.rate / baseline.rate, 0.0),
        Verdict("cache on ÷ plain (after)", on.rate / baseline.rate, 0.25),
        Verdict("cache on ÷ cache off", on.rate / off.rate, 1.2),
    ]
    per_request = {f.name: 1e3 * f.seconds / f.items for f in figures}
    return report(
        f"Authenticated {{ __typename }} (best of {args.repeat} runs of {args.n})",
        figures,
        verdicts,
        [
            "ms per request: "
            + ", ".join(f"{name} {ms:.3f}" for name, ms in per_request.items()),
            "Same process, same httpx ASGI transport on both sides; SQLite store.",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
