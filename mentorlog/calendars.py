"""GET /meetings/{id}.ics: a meeting's invite, read with the API's own access rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

INVITE = "query($id: ID!) { node(id: $id) { ... on Meeting { ics } } }"


def invite_route(schema: Any) -> Callable[[Request], Awaitable[Response]]:
    """The handler, answering through the schema so a meeting reads as in GraphQL."""

    async def invite(request: Request) -> Response:
        from mentorlog.core.errors import Unauthenticated
        from mentorlog.schema.context import Context
        from mentorlog.schema.http import GraphQLView
        from mentorlog.web.session import authorization

        def error(status: int, code: str, message: str) -> Response:
            return JSONResponse(
                {"errors": [{"message": message, "extensions": {"code": code}}]},
                status_code=status,
            )

        try:
            principal = await GraphQLView._principal(request, authorization(request))
        except Unauthenticated as refused:
            return error(401, "UNAUTHENTICATED", refused.message)
        state = request.app.state
        context = Context(
            services=state.services,
            db=state.read_db,
            principal=principal,
            follows_projections=state.follows_projections,
            request=request,
            response=Response(),
            feed=state.feed,
        )
        result = await schema.execute(
            INVITE,
            variable_values={"id": request.path_params["meeting_id"]},
            context_value=context,
        )
        node = (result.data or {}).get("node") if not result.errors else None
        if not node or "ics" not in node:
            return error(404, "NOT_FOUND", "no meeting you may read by that ID")
        return Response(node["ics"], media_type="text/calendar; charset=utf-8")

    return invite
