"""Group commit: concurrent saves written in one transaction, one commit for all.

A thread that saves joins a queue. The first in line leads: it takes every save
queued so far, the recorder writes them in one transaction (each in a savepoint
of its own, so a conflict undoes that save alone) and commits once; then every
save of the group is answered, each only after that commit. The saves that
queued meanwhile form the next group. Nothing waits on a timer: a group is
whatever arrived while the previous commit was running.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent

MAX_GROUP = 256  # saves written in one transaction at most


class Save:
    """One caller's events, and once its group committed, their IDs or its error."""

    __slots__ = ("events", "kwargs", "ids", "links", "error", "done")

    def __init__(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> None:
        self.events = events
        self.kwargs = kwargs
        self.ids: Sequence[int] | None = None
        self.links: list[tuple[str, int, str]] = []
        self.error: BaseException | None = None
        self.done = False


class GroupCommit:
    """Writes queued saves together through write(group), one transaction per group.

    write(group) sets each save's ids or error; an exception it raises is every
    unanswered save's error (for instance the commit failing).
    """

    def __init__(self, write: Callable[[list[Save]], None]) -> None:
        self._write = write
        self._queue: deque[Save] = deque()
        self._turn = threading.Condition(threading.Lock())

    def save(self, events: Sequence[StoredEvent], **kwargs: Any) -> Save:
        """Queue the events; return once their group committed (or raise its error)."""
        mine = Save(events, kwargs)
        with self._turn:
            self._queue.append(mine)
            while not mine.done and self._queue[0] is not mine:
                self._turn.wait()
            if not mine.done:
                group = list(itertools.islice(self._queue, MAX_GROUP))
        if not mine.done:
            self._lead(group)
        if mine.error is not None:
            if mine.error.__traceback__ is None:
                raise mine.error
            # Shared by the group: each caller raises a copy of its own.
            try:
                own = copy.copy(mine.error)
            except Exception:  # noqa: BLE001 - an error that cannot be copied
                raise mine.error from None
            raise own from mine.error
        return mine

    def _lead(self, group: list[Save]) -> None:
        """Write the group, then answer it and hand the lead to the next in line."""
        try:
            self._write(group)
        except BaseException as error:  # noqa: BLE001 - each save is told
            for save in group:
                if save.error is None:
                    save.error = error
        finally:
            with self._turn:
                for save in group:
                    save.done = True
                    self._queue.popleft()
                self._turn.notify_all()
