"""Errors: domain failures as `UserError`s, client mistakes shown, the rest masked.

An unexpected failure inside a resolver reaches the client as "Unexpected error"
with an error ID; the server log holds the same ID with the traceback, so a report
from a client leads to its cause without the response leaking it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import psycopg
import strawberry
from eventsourcing.persistence import InterfaceError, OperationalError
from graphql import GraphQLError
from mentorlog.core.errors import MentorlogError, Unavailable
from strawberry.extensions import MaskErrors
from strawberry.types.graphql import OperationType

PROJECTION_TIMEOUT = "PROJECTION_TIMEOUT"
INTERNAL = "INTERNAL_SERVER_ERROR"
UNAUTHENTICATED = "UNAUTHENTICATED"
# A dropped database connection that retries on a fresh one did not overcome.
CONNECTION_LOST = (OperationalError, InterfaceError, psycopg.OperationalError)

log = logging.getLogger("mentorlog.api")


@strawberry.type(description="Why a mutation was refused; nothing was recorded.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (e.g. 'title', 'fields.due'), if any."
    )
    message: str = strawberry.field(description="What is wrong, for people to read.")
    code: str = strawberry.field(
        description="A stable code for programs, e.g. NOT_FOUND (also for what your "
        "token may not change), FORBIDDEN (a command your token may not run at "
        "all), GOAL_INVALID, GOAL_LOCKED, MENTORSHIP_CLOSED, PROJECTION_TIMEOUT."
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


class MaskWithErrorId(MaskErrors):
    """Mask unexpected errors; log each with an ID the client's error also carries."""

    def __init__(self, should_mask_error: Callable[[GraphQLError], bool]) -> None:
        super().__init__(should_mask_error=should_mask_error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The client's view of an unexpected error: a message and an error ID."""
        error_id = uuid.uuid4().hex[:16]
        original = error.original_error
        if isinstance(original, (Unavailable, *CONNECTION_LOST)):
            # Outside a command, a mutation's lost connection may follow its write.
            in_mutation = (
                self.execution_context.operation_type is OperationType.MUTATION
            )
            return unavailable(error, original, error_id, in_mutation)
        log.error(
            "unexpected error %s at %s: %r",
            error_id,
            ".".join(str(p) for p in error.path or []),
            original,
            exc_info=(type(original), original, original.__traceback__)
            if original is not None
            else None,
        )
        return GraphQLError(
            message=f"Unexpected error (error ID {error_id}).",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": INTERNAL, "errorId": error_id},
        )


def unavailable(
    error: GraphQLError, original: BaseException, error_id: str, in_mutation: bool
) -> GraphQLError:
    """The database was unreachable: code UNAVAILABLE, and whether a retry is safe."""
    if isinstance(original, Unavailable):
        retryable = original.retryable
    else:
        retryable = not in_mutation
    log.warning(
        "database unavailable %s at %s: %s",
        error_id,
        ".".join(str(p) for p in error.path or []),
        type(original).__name__,
    )
    message = (
        original.message
        if isinstance(original, Unavailable)
        else "the database is unavailable; try again shortly"
    )
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={
            "code": Unavailable.code,
            "retryable": retryable,
            "errorId": error_id,
        },
    )
