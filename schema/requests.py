"""Reading a GraphQL request off the wire, within limits, and refusing it with a code.

The body is read up to `max_body_bytes` (Content-Length is checked first; a
chunked body is counted as it streams), decoded as UTF-8 JSON nested at most
MAX_JSON_DEPTH levels deep, and must be an object. The operation to run must be
named when the document holds several. A request that fails any of these is a
`RequestError`: an HTTP status, a message and a stable code, answered as a
GraphQL-shaped error (docs/errors.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cross_web import HTTPException
from graphql import (
    DocumentNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
)
from mentorlog.core.inputs import excerpt
from mentorlog.schema.api import CACHE_SIZE, MAX_TOKENS
from mentorlog.schema.errors import (
    BAD_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    OPERATION_NAME_REQUIRED,
    OPERATION_NOT_FOUND,
    PAYLOAD_TOO_LARGE,
)
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive
from strawberry.extensions.parser_cache import _get_parse_cache

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64
# The code of an HTTP error that does not name its own.
CODES = {
    400: BAD_REQUEST,
    404: "NOT_FOUND",
    405: METHOD_NOT_ALLOWED,
    406: NOT_ACCEPTABLE,
    413: PAYLOAD_TOO_LARGE,
}


class RequestError(HTTPException):
    """A request refused before anything ran: a status, a message and a code."""

    def __init__(self, status_code: int, reason: str, code: str | None = None) -> None:
        super().__init__(status_code, reason)
        self.code = code or CODES.get(status_code, BAD_REQUEST)


def code_of(error: HTTPException) -> str:
    """The code of an HTTP error, ours or Strawberry's."""
    if isinstance(error, RequestError):
        return error.code
    return CODES.get(error.status_code, BAD_REQUEST)


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    """A GraphQL-shaped error response body, always valid UTF-8 JSON."""
    error = {
        "message": excerpt(message, 500),
        "extensions": {"code": code, **extensions},
    }
    return json.dumps({"errors": [error]}, separators=(",", ":")).encode()


# -- the body ------------------------------------------------------------------------


class BodyTooLarge(RequestError):
    """The body is longer than the server takes."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is larger than {limit} bytes "
            "(the server's MENTORLOG_MAX_BODY_BYTES)",
            PAYLOAD_TOO_LARGE,
        )


def check_length(header: str | None, limit: int) -> None:
    """Refuse a body whose Content-Length is over the limit, before reading it."""
    if header is None:
        return
    if not header.strip().isdigit():
        raise RequestError(400, "the Content-Length header is not a number")
    if int(header) > limit:
        raise BodyTooLarge(limit)


def limited(receive: Receive, limit: int) -> Receive:
    """A receive channel that refuses a body once more than `limit` bytes arrived."""
    seen = 0

    async def receive_within_limit() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_within_limit


class BadJSON(json.JSONDecodeError):
    """A text that is not JSON we take: not UTF-8, not JSON, or nested too deeply."""

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        super().__init__(message, text, position)
        self.message = message


def decode_json(data: str | bytes) -> object:
    """Decode UTF-8 JSON nested at most MAX_JSON_DEPTH levels, or raise BadJSON."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadJSON(
                f"the JSON is not UTF-8 text (a bad byte at {error.start})"
            ) from None
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJSON(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise BadJSON(
            f"the text is not JSON: {error.msg} (line {error.lineno}, column "
            f"{error.colno})"
        ) from None
    except ValueError as error:  # e.g. a number of more digits than Python reads
        raise BadJSON(f"the JSON holds a value Python cannot read: {error}") from None
    if _depth_over(value, MAX_JSON_DEPTH):
        raise BadJSON(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def _depth_over(value: object, limit: int) -> bool:
    """Whether lists and objects nest deeper than the limit (walked, not recursed)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def kind_of(value: object) -> str:
    """A JSON value's kind, for messages: 'a string', 'null', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


# -- the parameters ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Params:
    """What a request asks to run: the GraphQL-over-HTTP spec's four parameters."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


async def read_params(request: Request) -> Params:
    """The parameters of a GET (its query string) or a POST (its JSON body), or raise.

    A POST must be `application/json`; a JSON array (a batch) is refused.
    """
    data: object
    if request.method == "GET":
        query_string = dict(request.query_params)
        data = {
            **query_string,
            **{
                name: _json_parameter(query_string[name])
                for name in ("variables", "extensions")
                if query_string.get(name)
            },
        }
    else:
        media_type = request.headers.get("content-type", "").split(";")[0]
        if "application/json" not in media_type.strip().lower():
            raise RequestError(400, "Unsupported content type")
        data = _json_parameter(await body_of(request.receive))
    if isinstance(data, list):
        raise RequestError(400, "Batching is not enabled")
    if not isinstance(data, dict):
        raise RequestError(
            400, f"the request body must be a JSON object, not {kind_of(data)}"
        )
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    if not isinstance(query, str | None):
        raise RequestError(400, f"query must be a string or null, not {kind_of(query)}")
    if not isinstance(variables, dict | None):
        raise RequestError(
            400, f"variables must be an object or null, not {kind_of(variables)}"
        )
    if not isinstance(extensions, dict | None):
        raise RequestError(
            400, f"extensions must be an object or null, not {kind_of(extensions)}"
        )
    return Params(query, variables, name_of(operation_name), extensions)


async def body_of(receive: Receive) -> bytes:
    """The whole body (`limited` bounds it), read without Starlette's stream."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _json_parameter(data: str | bytes) -> object:
    """A parameter's JSON, or a 400 saying why it is not JSON we take."""
    try:
        return decode_json(data)
    except BadJSON as error:
        raise RequestError(400, error.message, BAD_REQUEST) from None


# -- the operation -------------------------------------------------------------------


def parsed(query: object) -> DocumentNode | None:
    """The document, or None if it does not parse.

    Parsed through the schema's parser cache, with its token limit, so the schema
    finds it there.
    """
    if not isinstance(query, str):
        return None
    try:
        document: DocumentNode = _get_parse_cache(CACHE_SIZE)(
            query, max_tokens=MAX_TOKENS
        )
    except (GraphQLSyntaxError, RecursionError):
        return None
    return document


def select_operation(
    query: object, operation_name: object
) -> OperationDefinitionNode | None:
    """The operation a request runs; None if the document does not parse.

    A document of several operations needs `operationName`, which must name one.
    """
    name = name_of(operation_name)
    document = parsed(query)
    if document is None:
        return None
    return choose_operation(document, name)


def name_of(operation_name: object) -> str | None:
    """The operationName a request gives, or a 400 when it is not a string or null."""
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(
            400,
            f"operationName must be a string or null, not {kind_of(operation_name)}",
        )
    return operation_name


def choose_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The document's operation `operation_name` names (or its only one), or raise."""
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    if operation_name is None:
        if len(operations) > 1:
            raise RequestError(
                400,
                "the document holds several operations: name the one to run in "
                "operationName",
                OPERATION_NAME_REQUIRED,
            )
        return operations[0] if operations else None
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise RequestError(
        400,
        f"the document holds no operation named '{excerpt(operation_name)}'",
        OPERATION_NOT_FOUND,
    )
