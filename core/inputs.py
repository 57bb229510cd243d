"""Checks for plain input values, returning problems instead of raising."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mentorlog.plugins.interfaces import CAREER_STAGES, Problem

CAREER_STAGE_VALUES = CAREER_STAGES
GOAL_TERMS = ("short", "long")
SUPPORT_KINDS = ("instrumental", "psychosocial")
FEEDBACK_SOURCES = ("participant", "manager", "peer", "program", "self")
MAX_LIST = 100
# How much of a refused value an error message repeats.
MAX_ECHO = 80
# Lone surrogates (not Unicode text, so not UTF-8) and NUL (which PostgreSQL's
# text columns refuse) cannot be stored.
UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def check_text(
    field: str, value: Any, *, required: bool = True, max_len: int = 1000
) -> list[Problem]:
    """Check a text value: present when required, not too long."""
    if not isinstance(value, str):
        return [Problem(field, f"{field} must be text")]
    if required and not value.strip():
        return [Problem(field, f"{field} must not be empty")]
    if len(value) > max_len:
        return [Problem(field, f"{field} is longer than {max_len} characters")]
    return []


def check_texts(field: str, values: Any, *, required: bool = False) -> list[Problem]:
    """Check a list of short, non-empty texts."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        return [Problem(field, f"{field} must be a list of texts")]
    if required and not values:
        return [Problem(field, f"{field} needs at least one entry")]
    if len(values) > MAX_LIST:
        return [Problem(field, f"{field} has more than {MAX_LIST} entries")]
    for value in values:
        problems = check_text(field, value, max_len=500)
        if problems:
            return problems
    return []


def check_choice(field: str, value: Any, choices: Sequence[str]) -> list[Problem]:
    """Check a value is one of the allowed choices."""
    if value not in choices:
        return [Problem(field, f"{field} must be one of: {', '.join(choices)}")]
    return []


def check_number(field: str, value: Any, low: float, high: float) -> list[Problem]:
    """Check a number lies within bounds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [Problem(field, f"{field} must be a number")]
    if not low <= value <= high:
        return [Problem(field, f"{field} must be between {low:g} and {high:g}")]
    return []


def check_int(field: str, value: Any, low: int, high: int) -> list[Problem]:
    """Check a whole number lies within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        return [Problem(field, f"{field} must be a whole number")]
    return check_number(field, value, low, high)


def check_datetime(field: str, value: Any) -> list[Problem]:
    """Check an ISO 8601 date-time with a time zone."""
    if not isinstance(value, str):
        return [Problem(field, f"{field} must be an ISO 8601 date-time")]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return [Problem(field, f"{field} must be an ISO 8601 date-time")]
    if parsed.tzinfo is None:
        return [Problem(field, f"{field} needs a time zone, e.g. 2026-01-05T10:00:00Z")]
    return []


def check_email(value: object) -> list[Problem]:
    """Check an email address looks like one (a name, an @ and a domain)."""
    problems = check_text("email", value, max_len=320)
    if problems:
        return problems
    assert isinstance(value, str)
    local, _, domain = value.strip().partition("@")
    if not local or "." not in domain or " " in value.strip():
        return [Problem("email", "email must look like name@example.org")]
    return []


def excerpt(value: object, limit: int = MAX_ECHO) -> str:
    """A value as an error message may repeat it: shortened, and always printable."""
    text = value if isinstance(value, str) else repr(value)
    text = UNSTORABLE.sub("\ufffd", text)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def camel(name: str) -> str:
    """A Python parameter name as the API spells it (display_name: displayName)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def check_storable(arguments: Mapping[str, Any]) -> list[Problem]:
    """Check every text in the arguments, keys and nested values too, can be stored.

    The first problem is enough: the client learns which field holds text that is
    not valid Unicode (a lone surrogate) or holds a NUL character.
    """
    stack: list[tuple[str, Any]] = [(camel(k), v) for k, v in arguments.items()]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            problem = _unstorable(value)
            if problem:
                return [Problem(field, f"{field} holds {problem}")]
        elif isinstance(value, Mapping):
            for key, item in value.items():
                problem = _unstorable(key) if isinstance(key, str) else None
                if problem:
                    return [Problem(field, f"a field name in {field} holds {problem}")]
                stack.append((f"{field}.{excerpt(key)}", item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{field}.{n}", item) for n, item in enumerate(value))
    return []


def _unstorable(text: str) -> str | None:
    """What in the text cannot be stored, or None."""
    if text.isascii() and "\x00" not in text:
        return None
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character"
    return "a lone surrogate (not Unicode text)"
