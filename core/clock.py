"""When events happen: the wall clock, unless in-process code simulates another.

Every mentorlog aggregate stamps its events with `now()`. The demo runs its
commands under `simulated(clock)` to record months of history in a second; the
clock lives in a context variable that only code in the same process can set,
so nothing a client sends can choose an event's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from eventsourcing.domain import Aggregate

_CLOCK: ContextVar[Callable[[], datetime] | None] = ContextVar(
    "mentorlog_clock", default=None
)


def now() -> datetime:
    """The time to stamp an event with: the simulated clock's, or the wall clock's."""
    clock = _CLOCK.get()
    return clock() if clock is not None else datetime.now(UTC)


@contextmanager
def simulated(clock: Callable[[], datetime]) -> Iterator[None]:
    """Stamp the events recorded in this context (this thread) by clock."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


class ClockedAggregate(Aggregate):
    """An aggregate whose events are stamped by `now()`."""

    class Event(Aggregate.Event):
        """An event of a mentorlog aggregate."""

        @staticmethod
        def create_timestamp() -> datetime:
            """The event's time, from `now()`."""
            return now()
