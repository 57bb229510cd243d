"""Errors: domain failures as `UserError`s, client mistakes shown, the rest masked.

Every error carries `extensions.code` (docs/errors.md lists them). An unexpected
failure inside a resolver reaches the client as "Unexpected error" with an error
ID; the server log holds the same ID with the traceback, so a report from a client
leads to its cause without the response leaking it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator

import psycopg
import strawberry
from eventsourcing.persistence import InterfaceError, OperationalError
from graphql import GraphQLError, GraphQLSyntaxError
from mentorlog.core.errors import MentorlogError, Unavailable
from mentorlog.core.inputs import excerpt
from strawberry.extensions import MaskErrors
from strawberry.types.graphql import OperationType

PROJECTION_TIMEOUT = "PROJECTION_TIMEOUT"
INTERNAL = "INTERNAL_SERVER_ERROR"
UNAUTHENTICATED = "UNAUTHENTICATED"
# The request itself is wrong: the body, a parameter, the method, the media type.
BAD_REQUEST = "BAD_REQUEST"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"
OPERATION_NOT_FOUND = "OPERATION_NOT_FOUND"
# The document does not parse, or does not validate (limits included).
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# A variable or argument value the API refuses (a page too large, a bad cursor).
BAD_USER_INPUT = "BAD_USER_INPUT"
SUBSCRIPTION_LIMIT_REACHED = "SUBSCRIPTION_LIMIT_REACHED"
# A payload's userErrors list at most this many; a last one says how many more.
MAX_USER_ERRORS = 20
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
    """One UserError per problem the domain error carries, at most MAX_USER_ERRORS."""
    problems = error.problems
    shown = [
        UserError(
            field=excerpt(p.field) if p.field else None,
            message=excerpt(p.message, 500),
            code=error.code,
        )
        for p in problems[:MAX_USER_ERRORS]
    ]
    if len(problems) > MAX_USER_ERRORS:
        more = len(problems) - MAX_USER_ERRORS
        message = f"and {more} more problems like these"
        shown.append(UserError(field=None, message=message, code=error.code))
    return shown


class ClientError(Exception):
    """A mistake in the request (a bad cursor, a page too large): shown, not masked.

    Its `extensions` (a code, and the argument at fault) reach the client's error.
    """

    def __init__(
        self, message: str, code: str = BAD_USER_INPUT, argument: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, object] = {"code": code}
        if argument is not None:
            self.extensions["argument"] = argument


def coded(error: GraphQLError, code: str) -> GraphQLError:
    """The error with this code, unless it carries one already."""
    if "code" not in (error.extensions or {}):
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


def with_code(error: GraphQLError) -> GraphQLError:
    """The error with a code: its own, or one for its kind.

    Validation errors are coded as they are found (MaskWithErrorId.on_validate);
    what is left is a document that does not parse, variables that do not coerce
    (no path), or, in a field, a fault no client causes.
    """
    if isinstance(error, GraphQLSyntaxError):
        return coded(error, PARSE_FAILED)
    return coded(error, BAD_USER_INPUT if error.path is None else INTERNAL)


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected failures inside resolvers; keep request and client errors."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | ClientError):
        return False
    return error.path is not None


class MaskWithErrorId(MaskErrors):
    """Mask unexpected errors, logging each with an ID the client's error carries;
    give every error a code."""

    def __init__(self, should_mask_error: Callable[[GraphQLError], bool]) -> None:
        super().__init__(should_mask_error=should_mask_error)

    def on_validate(self) -> Iterator[None]:
        """Code the document's validation errors (the limits' among them)."""
        yield
        for error in self.execution_context.pre_execution_errors or []:
            coded(error, VALIDATION_FAILED)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """Mask what should be; code what carries no code yet."""
        return [with_code(error) for error in super()._process_errors(errors)]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The client's view of an unexpected error: a message and an error ID."""
        in_mutation = self.execution_context.operation_type is OperationType.MUTATION
        return anonymise(error, in_mutation)


def client_errors(errors: list[GraphQLError], in_mutation: bool) -> list[GraphQLError]:
    """The errors as a client sees them: unexpected ones masked, every one coded."""
    return [
        with_code(anonymise(error, in_mutation) if should_mask(error) else error)
        for error in errors
    ]


def anonymise(error: GraphQLError, in_mutation: bool) -> GraphQLError:
    """The client's view of an unexpected error: a message and an error ID, logged.

    Outside a command, a mutation's lost connection may follow its write, so a
    retry is not offered as safe.
    """
    error_id = uuid.uuid4().hex[:16]
    original = error.original_error
    if isinstance(original, (Unavailable, *CONNECTION_LOST)):
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
