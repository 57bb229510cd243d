"""The Starlette app: GraphQL at /graphql (HTTP, and WebSocket for subscriptions),
/healthz, auditors' bundle downloads, and a lifespan for the services, the
process's event feed and checkpoint signing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from mentorlog import __version__
from mentorlog.bundles import download
from mentorlog.schema.api import MAX_COST, make_schema
from mentorlog.schema.feed import EventFeed
from mentorlog.schema.http import GraphQLView
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings


async def healthz(request: Request) -> JSONResponse:
    """Answer that the process is up and which version it runs (no token needed)."""
    return JSONResponse({"status": "ok", "version": __version__})


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
                opened.checkpoints.stop()
                opened.runner.stop()
            if services is None:
                opened.close()

    view = GraphQLView(
        make_schema(
            introspection=settings.introspection,
            max_cost=settings.max_query_cost or MAX_COST,
        ),
        graphql_ide="graphiql" if settings.graphiql else None,
        max_body_bytes=settings.max_body_bytes,
    )
    return Starlette(
        routes=[
            # Every method reaches the view, which refuses the others as JSON.
            Route("/graphql", view),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/audit/bundles/{mentorship_id}", download, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
