"""The Starlette app: GraphQL at /graphql (HTTP, and WebSocket for subscriptions),
/healthz, and a lifespan for the services and the process's event feed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from mentorlog import __version__
from mentorlog.core.errors import Unavailable
from mentorlog.schema.api import make_schema
from mentorlog.schema.feed import EventFeed
from mentorlog.schema.http import GraphQLView
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

log = logging.getLogger("mentorlog.api")


async def healthz(request: Request) -> JSONResponse:
    """Answer that the process is up and which version it runs (no token needed)."""
    return JSONResponse({"status": "ok", "version": __version__})


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
        read_db = await opened.read_database().open()
        app.state.services = opened
        app.state.read_db = read_db
        app.state.follows_projections = run_projections
        app.state.feed = feed = EventFeed(opened)
        try:
            yield
        finally:
            await feed.close()
            await read_db.close()
            if run_projections:
                opened.runner.stop()
            if services is None:
                opened.close()

    view = GraphQLView(
        make_schema(introspection=settings.introspection),
        graphql_ide="graphiql" if settings.graphiql else None,
    )
    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
        exception_handlers=UNAVAILABLE_HANDLERS,  # type: ignore[arg-type]
    )
