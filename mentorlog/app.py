"""The Starlette app: GraphQL at /graphql (HTTP, and WebSocket for subscriptions),
/healthz, /readyz, /metrics, auditors' bundle downloads, invitation codes redeemed
(/invitations/redeem), the web pages and their static files (mentorlog/web/), and
a lifespan for the services, the event feed and checkpoint signing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from mentorlog import __version__
from mentorlog.bundles import download
from mentorlog.calendars import feed, invite
from mentorlog.core.errors import Unavailable
from mentorlog.invitations import redeem
from mentorlog.metrics import HttpMetrics, Metrics, operation_metrics
from mentorlog.schema.api import MAX_COST, limit_rules, make_schema
from mentorlog.schema.feed import EventFeed
from mentorlog.schema.http import GraphQLView
from mentorlog.schema.operations import Operations
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from mentorlog.web import dashboard, pages, provider
from mentorlog.web.reading import ReadFailed
from mentorlog.web.security import SecurityHeaders
from mentorlog.web.templating import STATIC_PATH, graphiql_page, static_files

log = logging.getLogger("mentorlog.api")
READY_TIMEOUT = 2.0  # seconds each readiness check may take


async def healthz(request: Request) -> JSONResponse:
    """Answer that the process is up and which version it runs (no token needed)."""
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> JSONResponse:
    """Ready (200) when the database answers and the projections keep up; else 503."""
    state = request.app.state
    services: Services = state.services
    reasons: list[str] = []
    lag: dict[str, int] = {}
    try:
        await asyncio.wait_for(state.read_db.fetch("SELECT 1 AS one"), READY_TIMEOUT)
        statuses = await asyncio.wait_for(
            asyncio.to_thread(services.runner.status), READY_TIMEOUT
        )
        lag = {status.name: status.behind for status in statuses}
        database = "ok"
    except Exception as error:  # whatever the failure, the database does not serve
        database = "unreachable"
        reasons.append(f"the database does not answer ({type(error).__name__})")
    limit = services.settings.ready_max_lag
    behind = max(lag.values(), default=0)
    if behind > limit:
        reasons.append(f"the projections are {behind} events behind (at most {limit})")
    failure = services.runner.failure
    if state.follows_projections and failure is not None:
        reasons.append(f"the projections stopped: {failure}")
    return JSONResponse(
        {
            "status": "not ready" if reasons else "ready",
            "reasons": reasons,
            "database": database,
            "maxLag": limit,
            "lag": lag,
        },
        status_code=503 if reasons else 200,
    )


async def metrics_endpoint(request: Request) -> Response:
    """The process's metrics in Prometheus's text format."""
    metrics: Metrics = request.app.state.metrics
    body = await asyncio.to_thread(generate_latest, metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    """A request the database could not serve (e.g. its token could not be read)."""
    retryable = error.retryable if isinstance(error, Unavailable) else True
    message = (
        error.message
        if isinstance(error, Unavailable)
        else "the database is unavailable; try again shortly"
    )
    log.warning(
        "database unavailable at %s: %s", request.url.path, type(error).__name__
    )
    return JSONResponse(
        {
            "errors": [
                {
                    "message": message,
                    "extensions": {"code": Unavailable.code, "retryable": retryable},
                }
            ]
        },
        status_code=503,
        headers={"Retry-After": "1"},
    )


UNAVAILABLE_HANDLERS = {
    cls: database_unavailable
    for cls in (Unavailable, OperationalError, InterfaceError, psycopg.OperationalError)
}


def create_app(
    settings: Settings, services: Services | None = None, run_projections: bool = True
) -> Starlette:
    """Build the app; its lifespan opens services (unless given), runs projections."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened: Services = (
            services
            if services is not None
            else await asyncio.to_thread(open_services, settings)
        )
        if run_projections:
            await asyncio.to_thread(opened.runner.catch_up)
            opened.runner.start()
            opened.checkpoints.start()  # signs every N events or T seconds
            opened.webhooks.start()  # sends the deliveries the outbox holds
            opened.nudges.start()  # sends the nudges programs' rules make due
        read_db = await opened.read_database().open()
        app.state.services = opened
        app.state.read_db = read_db
        app.state.follows_projections = run_projections
        app.state.feed = feed = EventFeed(opened)
        app.state.metrics = metrics
        app.state.schema = schema  # the pages read its types' descriptions
        app.state.operations = operations  # what HTTP, the pages and invites run
        opened.app.observer = metrics
        metrics.watch(opened, feed, getattr(read_db, "reads", None))
        try:
            yield
        finally:
            opened.app.observer = None
            await feed.close()
            await read_db.close()
            if run_projections:
                opened.nudges.stop()
                opened.webhooks.stop()
                opened.checkpoints.stop()
                opened.runner.stop()
            if services is None:
                opened.close()

    metrics = Metrics()
    schema = make_schema(
        introspection=settings.introspection,
        max_cost=settings.max_query_cost or MAX_COST,
    )
    # First, so it sees the errors as clients do (masked, with their codes).
    schema.extensions = (operation_metrics(metrics), *schema.extensions)
    operations = Operations(
        schema,
        limit_rules(settings.introspection),
        settings.max_query_cost or MAX_COST,
        metrics,
    )
    view = GraphQLView(
        schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        max_body_bytes=settings.max_body_bytes,
        ide_page=graphiql_page(),
    )
    return Starlette(
        routes=[
            # Every method reaches the view, which refuses the others as JSON.
            Route("/graphql", view),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/audit/bundles/{mentorship_id}", download, methods=["GET"]),
            Route("/meetings/{meeting_id}.ics", invite, methods=["GET"]),
            Route("/calendar/{token}.ics", feed, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/invitations/redeem", redeem, methods=["POST"]),
            *pages.ROUTES,
            *provider.ROUTES,
            *dashboard.ROUTES,
            Mount(STATIC_PATH, static_files(), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(HttpMetrics, metrics=metrics),
        ],
        lifespan=lifespan,
        exception_handlers={  # type: ignore[arg-type]
            **UNAVAILABLE_HANDLERS,
            ReadFailed: pages.read_failed,
        },
    )
