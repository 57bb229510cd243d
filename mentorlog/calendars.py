"""GET /meetings/{id}.ics: a meeting's invite, read with the API's own access rules;
GET /calendar/{token}.ics: a person's private calendar feed, opened by its token."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

INVITE = "query($id: ID!) { node(id: $id) { ... on Meeting { ics } } }"


async def invite(request: Request) -> Response:
    """A meeting's invite, read through the API's operations as in GraphQL."""
    from mentorlog.core.errors import Unauthenticated
    from mentorlog.schema.context import Context
    from mentorlog.schema.http import GraphQLView, error_response
    from mentorlog.schema.operations import Operations
    from mentorlog.web.session import authorization

    try:
        principal = await GraphQLView._principal(request, authorization(request))
    except Unauthenticated as refused:
        return error_response(401, refused.message, "UNAUTHENTICATED", None)
    operations: Operations = request.app.state.operations
    result = await operations.run(
        INVITE,
        {"id": request.path_params["meeting_id"]},
        None,
        Context.of(request, principal),
        "GET",
    )
    node = (result.data or {}).get("node") if not result.errors else None
    if not node or "ics" not in node:
        return error_response(
            404, "no meeting you may read by that ID", "NOT_FOUND", None
        )
    return Response(node["ics"], media_type="text/calendar; charset=utf-8")


# Whoever holds the address reads it: no cache between keeps a copy, no link leaks it.
FEED_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


async def feed(request: Request) -> Response:
    """A person's calendar feed; 404 without detail for a token that opens none.

    The read model names the token hash's person; the Person, loaded from the store
    on each request, says whether the feed still holds: a revoked feed answers 404
    at once, in every process (no cache to wait for).
    """
    from mentorlog.core.commands.calendars import feed_hash
    from mentorlog.projections.queries import calendar_feed_person
    from mentorlog.schema.ics import person_calendar

    state = request.app.state
    token = request.path_params["token"]
    digest = feed_hash(token)
    person_id = await calendar_feed_person(state.read_db, digest) if digest else None
    opened = None
    if person_id is not None:
        opened = await asyncio.to_thread(
            state.services.app.calendar_feed, person_id, token
        )
    if opened is None:
        return Response(status_code=404, headers=FEED_HEADERS)
    body = await person_calendar(
        state.read_db, opened.person_id, opened.program_id, datetime.now(UTC)
    )
    return Response(
        body, media_type="text/calendar; charset=utf-8", headers=FEED_HEADERS
    )
