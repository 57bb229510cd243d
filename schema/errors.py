"""Errors: domain failures as `UserError`s, client mistakes shown, the rest masked."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from mentorlog.core.errors import MentorlogError

ACTOR_REQUIRED = "ACTOR_REQUIRED"
PROJECTION_TIMEOUT = "PROJECTION_TIMEOUT"


@strawberry.type(description="Why a mutation was refused; nothing was recorded.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (e.g. 'title', 'fields.due'), if any."
    )
    message: str = strawberry.field(description="What is wrong, for people to read.")
    code: str = strawberry.field(
        description="A stable code for programs, e.g. NOT_FOUND, GOAL_INVALID, "
        "GOAL_LOCKED, MENTORSHIP_CLOSED, ACTOR_REQUIRED, PROJECTION_TIMEOUT."
    )


def user_errors(error: MentorlogError) -> list[UserError]:
    """One UserError per problem the domain error carries."""
    return [
        UserError(field=p.field or None, message=p.message, code=error.code)
        for p in error.problems
    ]


class ClientError(Exception):
    """A mistake in the request (a bad cursor, a page too large): shown, not masked."""


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected failures inside resolvers; keep request and client errors."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | ClientError):
        return False
    return error.path is not None
