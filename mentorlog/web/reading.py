"""What the pages read: GraphQL operations run in-process as the viewer.

The pages run operations as the API runs them over HTTP (schema/operations.py),
with the viewer's principal in the context, so every read goes through the same
access rules (core/policy.py) and private content is hidden exactly as the API
hides it.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from mentorlog.core.access import Principal
from mentorlog.schema.context import Context
from mentorlog.schema.operations import Operations


class ReadFailed(Exception):
    """An operation the pages sent answered with errors."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def read(
    request: Request,
    principal: Principal,
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a query as the principal; its data, or raise ReadFailed."""
    operations: Operations = request.app.state.operations
    result = await operations.run(
        query, variables, None, Context.of(request, principal), "POST"
    )
    if result.errors:
        error = result.errors[0]
        code = (error.extensions or {}).get("code", "INTERNAL")
        raise ReadFailed(str(code), error.message)
    data: dict[str, Any] = result.data or {}
    return data


def in_words(type_name: str) -> str:
    """An event's type name in words: MentorshipProposed -> Mentorship proposed."""
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", type_name)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else ""


def description_of(request: Request, type_name: str) -> str:
    """A GraphQL type's description (an event's docstring), or ''."""
    found = request.app.state.schema.get_type_by_name(type_name)
    return (getattr(found, "description", None) or "").strip()
