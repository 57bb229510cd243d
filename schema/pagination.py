"""Cursor pagination: opaque cursors over the `seq` column, page-size limits."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import strawberry
from mentorlog.core.inputs import excerpt
from mentorlog.projections.queries import Page, PageRequest
from mentorlog.schema.errors import ClientError
from strawberry import relay

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
CURSOR_PREFIX = "seq:"

FIRST = "Return at most this many items from the start (default 20, at most 100)."
AFTER = "Return items after this cursor."
LAST = "Return at most this many items from the end (at most 100)."
BEFORE = "Return items before this cursor."

# The Relay arguments of a paged field, described.
First = Annotated[int | None, strawberry.argument(description=FIRST)]
After = Annotated[str | None, strawberry.argument(description=AFTER)]
Last = Annotated[int | None, strawberry.argument(description=LAST)]
Before = Annotated[str | None, strawberry.argument(description=BEFORE)]


def encode_cursor(seq: int) -> str:
    """An opaque cursor for the row at this position."""
    return base64.b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode()


def decode_cursor(cursor: str, argument: str) -> int:
    """The position a cursor stands for, or a ClientError naming the argument."""
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode()
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    number = text.removeprefix(CURSOR_PREFIX)
    if not text.startswith(CURSOR_PREFIX) or not number.isdigit():
        raise ClientError(
            f"'{excerpt(cursor)}' is not a valid cursor for {argument}",
            argument=argument,
        )
    return int(number)


def page_request(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageRequest:
    """Check Relay arguments and turn them into a keyset page request."""
    if first is not None and last is not None:
        raise ClientError("give either first or last, not both", argument="last")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(
                f"{name} must be between 0 and {MAX_PAGE_SIZE}; page through larger "
                "lists with cursors",
                argument=name,
            )
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    return PageRequest(
        first=first,
        after=decode_cursor(after, "after") if after is not None else None,
        last=last,
        before=decode_cursor(before, "before") if before is not None else None,
    )


def page_info(page: Page) -> relay.PageInfo:
    """Relay page info for a page of rows."""
    return relay.PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=encode_cursor(page.rows[0]["seq"]) if page.rows else None,
        end_cursor=encode_cursor(page.rows[-1]["seq"]) if page.rows else None,
    )
