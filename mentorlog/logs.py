"""Logging setup: text or JSON lines, and access lines without query strings.

A GET request carries its GraphQL query and variables (which may hold private
text) in the query string, so access lines show the path only; tokens travel in
headers, which are never logged, except a calendar feed's, which is its path and
is logged as `/calendar/[token].ics`; request errors, which quote the document, are
not logged (the client gets them).
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


FEED_TOKEN = re.compile(r"^/calendar/[^/]*\.ics$")


class PathOnly(logging.Filter):
    """Drop the query string from uvicorn's access lines, and a feed's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path argument; keep the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            if FEED_TOKEN.match(path):
                path = "/calendar/[token].ics"
            record.args = (*args[:2], path, *args[3:])
        return True


def log_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A logging.config dict for mentorlog and uvicorn in the chosen format."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if log_format == "json"
        else {"format": "%(levelname)s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "filters": {"path_only": {"()": PathOnly}},
        "handlers": {
            "default": handler,
            "access": {**handler, "filters": ["path_only"]},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": level,
                "propagate": False,
            },
            # Strawberry logs each request error with the lines of the document,
            # which may hold private text; the client has the error, and the
            # unexpected ones are logged with an error ID (schema/errors.py).
            "strawberry.execution": {"level": "CRITICAL"},
        },
        "root": {"handlers": ["default"], "level": level},
    }


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Set up logging for a process (the worker; uvicorn takes log_config)."""
    logging.config.dictConfig(log_config(log_format, level))
