"""What a projection is: its tables and a handler per event class; shared helpers."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from eventsourcing.utils import get_topic
from mentorlog.core.privacy import MemoryKeyStore, Sealer

Row = dict[str, Any]
# A handler method, called unbound: a projection's takes (self, cursor, event,
# position), the as-of replay's (self, state, entry, payload, at).
Handler = Callable[..., None]
H = TypeVar("H", bound=Handler)
# How private content whose key was destroyed (an erased owner) reads.
ERASED_CONTENT = "[erased]"


def handles(*event_classes: type) -> Callable[[H], H]:
    """Mark a method as the handler of these event classes."""

    def mark(method: H) -> H:
        method.__dict__["_handles"] = event_classes
        return method

    return mark


class EventHandlers:
    """A class whose `@handles` methods are collected: one handler per event class."""

    handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {}
        for klass in reversed(cls.__mro__):  # inherited handlers, then overrides
            for name, value in vars(klass).items():
                for event_class in getattr(value, "_handles", ()):
                    cls.handlers[event_class] = getattr(cls, name)


class Projection(EventHandlers):
    """A read model: its DDL, its tables, and handlers keyed by event class."""

    name: ClassVar[str]
    # Bump when the tables' shape or meaning changes: the projection then replays.
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[str, ...]]
    ddl: ClassVar[tuple[str, ...]]
    # Its events that count as the participants interacting, by kind: the activity
    # table (projections/activity.py) follows them.
    interactions: ClassVar[dict[type, str]] = {}

    def __init__(self, sealer: Sealer | None = None) -> None:
        self.sealer = sealer or Sealer(MemoryKeyStore())

    def topics(self) -> list[str]:
        """The topics of the events this projection follows."""
        return [get_topic(cls) for cls in self.handlers]

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Apply one event, if this projection follows its class."""
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(self, cursor, event, position)

    def apply_page(self, cursor: Any, events: Sequence[tuple[int, Any]]) -> None:
        """Apply a page of (position, event) in order; an override may batch writes."""
        handlers = self.handlers
        for position, event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(self, cursor, event, position)


# What json.dumps(value, separators=(",", ":"), sort_keys=True) builds on each call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


def dumps(value: Any) -> str:
    """Encode a JSON column."""
    return _ENCODER.encode(value)


def iso(moment: datetime) -> str:
    """Encode a timestamp column as ISO 8601 in UTC."""
    return moment.isoformat()


# An event is usually applied by several projections, and a stream's events come
# close together: each ID is formatted once (the cache keeps the latest ones).
@functools.lru_cache(maxsize=4096)
def _text(originator_id: Any) -> str:
    return str(originator_id)


def oid(event: Any) -> str:
    """The event's originator ID as text."""
    return _text(event.originator_id)


def append_json(
    cursor: Any, table: str, column: str, row_id: str, item: Any, updated_at: str
) -> None:
    """Append an item to a JSON list column (portable: read, then write)."""
    cursor.execute(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,))
    items = json.loads(cursor.fetchone()[0])
    items.append(item)
    cursor.execute(
        f"UPDATE {table} SET {column} = ?, updated_at = ? WHERE id = ?",
        (dumps(items), updated_at, row_id),
    )


class VersionedTables:
    """Re-creates the tables of each projection whose version changed (it replays).

    The steps are the same on every database; a store supplies the transaction and
    the statements of its dialect.
    """

    projections: list[Projection]

    def migrate(self, created: Iterable[str] = ()) -> list[str]:
        """Drop and re-create each projection whose shape changed; it then replays.

        Projections named in `created` had all their tables made just now, in the
        current shape: their version is recorded without dropping anything.
        """
        fresh = set(created)
        rebuilt = []
        with self._ddl_transaction() as cursor:
            known = self._known_versions(cursor)
            for projection in self.projections:
                if known.get(projection.name) == projection.version:
                    continue
                if projection.name not in fresh:
                    self._recreate(cursor, projection)
                    rebuilt.append(projection.name)
                self._set_version(cursor, projection)
        return rebuilt

    def _ddl_transaction(self) -> AbstractContextManager[Any]:
        """A transaction that no other process changes the tables during."""
        raise NotImplementedError

    def _known_versions(self, cursor: Any) -> dict[str, int]:
        """The version each projection's tables were made for."""
        raise NotImplementedError

    def _recreate(self, cursor: Any, projection: Projection) -> None:
        """Drop and create the projection's tables, and forget its position."""
        raise NotImplementedError

    def _set_version(self, cursor: Any, projection: Projection) -> None:
        """Record the version the projection's tables are made for now."""
        raise NotImplementedError
