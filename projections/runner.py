"""The runner: catches projections up in pages, then follows new events."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
)
from mentorlog.core.commands.base import drain_pools, first_line
from mentorlog.projections.base import Projection
from mentorlog.projections.sqlite import ReadModelRecorder

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
# A dropped database connection: the follower backs off and tries again.
CONNECTION_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)
RETRY_MAX_SECONDS = 10.0  # the longest pause between two attempts
MAX_FAILURES = 20  # attempts in a row (about 2.5 minutes) before the follower stops


class ReadModelStore(Protocol):
    """Where projections keep their rows and positions (SQLite or PostgreSQL)."""

    def apply_page(
        self, projection: Projection, events: Sequence[tuple[int, Any]], last_id: int
    ) -> None:
        """Apply a page of (position, event) and move the position to last_id."""

    def position(self, name: str) -> int:
        """The last notification ID a projection has applied (0 for none)."""

    def reset(self, projection: Projection) -> None:
        """Drop a projection's rows and position."""

    def page(self) -> AbstractContextManager[None]:
        """One transaction for the apply_page calls inside: all commit, or none."""


class Wakeup(Protocol):
    """Calls back when new events may have been recorded (e.g. LISTEN/NOTIFY)."""

    def start(self, wake: Callable[[], None]) -> None:
        """Begin calling wake on each notification."""

    def stop(self) -> None:
        """Stop calling back."""


class Leader(Protocol):
    """A lock that lets one process at a time apply events (e.g. advisory lock)."""

    def acquire(self) -> bool:
        """Take the lock if free, without waiting; True while this process holds it."""

    def release(self) -> None:
        """Give the lock up."""


class ProjectionsBusy(RuntimeError):
    """Another process holds the projections' lock."""


@dataclass(frozen=True)
class Lag:
    """How far one projection is behind the event log."""

    name: str
    position: int
    head: int

    @property
    def behind(self) -> int:
        """Events recorded but not yet applied."""
        return max(self.head - self.position, 0)


# On SQLite the follower polls. Given a `wakeup` (PostgreSQL LISTEN/NOTIFY) it is also
# woken as soon as events are recorded; given a `leader` lock (a PostgreSQL advisory
# lock) only the process holding it applies events, while the others wait, keep their
# positions fresh for read-your-writes, and take over when the holder stops or dies.
class ProjectionRunner:
    """Applies the event log to every projection, a page per transaction."""

    def __init__(
        self,
        app: Application[Any],
        store: ReadModelRecorder | ReadModelStore,
        projections: Sequence[Projection],
        page_size: int = 500,
        poll_interval: float = 0.2,
        wakeup: Wakeup | None = None,
        leader: Leader | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.projections = list(projections)
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.wakeup = wakeup
        self.leader = leader
        self._leading = False
        self._topics = {t for p in self.projections for t in p.topics()}
        # For each event class, the projections that follow it.
        self._followers: dict[type, list[str]] = {}
        for projection in self.projections:
            for event_class in projection.handlers:
                self._followers.setdefault(event_class, []).append(projection.name)
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Why the follower stopped by itself (None while it runs or was stopped).
        self.failure: str | None = None
        self._positions = self._read_positions()
        # By projection name: called after a page gave that projection events.
        self._listeners: dict[str, list[Callable[[], None]]] = {}

    def _read_positions(self) -> dict[str, int]:
        names = [p.name for p in self.projections]
        positions = getattr(self.store, "positions", None)
        if positions is not None:  # one query for all (PostgreSQL)
            return dict(positions(names))
        return {name: self.store.position(name) for name in names}

    @property
    def leading(self) -> bool:
        """True when this runner may apply events (always, without a leader lock)."""
        return self.leader is None or self._leading

    def _lead(self) -> bool:
        """Hold the leader lock if there is one; on taking it, re-read positions."""
        if self.leader is None:
            return True
        leading = self.leader.acquire()
        if leading and not self._leading:
            log.info("projections: this process now applies events")
            self._positions = self._read_positions()
        self._leading = leading
        return leading

    def _refresh(self) -> None:
        """Take the positions another process reached, waking those who wait."""
        positions = self._read_positions()
        if positions != self._positions:
            self._positions = positions
            with self._changed:
                self._changed.notify_all()

    @property
    def position(self) -> int:
        """The notification ID every projection has reached."""
        return min(self._positions.values(), default=0)

    def head(self) -> int:
        """The newest notification ID in the event log."""
        return self.app.recorder.max_notification_id() or 0

    def status(self) -> list[Lag]:
        """Each projection's position and the log's head."""
        head = self.head()
        positions = self._read_positions()
        return [Lag(p.name, positions[p.name], head) for p in self.projections]

    def catch_up(
        self, progress: Progress | None = None, max_pages: int | None = None
    ) -> int:
        """Apply every event not yet applied; return how many were read.

        With a leader lock held by another process, apply nothing and return 0 (the
        holder applies them); the positions it reached are read instead.
        """
        with self._lock:
            if not self._lead():
                self._refresh()
                return 0
            return self._catch_up(progress, max_pages)

    def _catch_up(
        self,
        progress: Progress | None,
        max_pages: int | None,
        interruptible: bool = False,
    ) -> int:
        read = 0
        pages = 0
        head = self.head() if progress else 0
        while max_pages is None or pages < max_pages:
            if interruptible and self._stopping.is_set():
                break  # stop() waits for this page only, not the whole backlog
            start = self.position
            notifications = self.app.recorder.select_notifications(
                start, self.page_size, inclusive_of_start=False
            )
            if not notifications:
                break
            last = notifications[-1].id
            decoded = [
                (n.id, self.app.mapper.to_domain_event(n))
                for n in notifications
                if n.topic in self._topics
            ]
            applied = self._pages(decoded, last)
            if not self._apply(applied, last):
                continue  # another process moved a projection on: go from there
            read += len(notifications)
            pages += 1
            with self._changed:
                self._changed.notify_all()
            for projection, events in applied:
                if events:
                    for listener in self._listeners.get(projection.name, ()):
                        listener()
            if progress:
                progress(last, max(head, last))
        return read

    def _pages(
        self, decoded: Sequence[tuple[int, Any]], last: int
    ) -> list[tuple[Projection, list[tuple[int, Any]]]]:
        """Each projection behind last, with the events of the page it follows."""
        behind = [p for p in self.projections if self._positions[p.name] < last]
        pages: dict[str, list[tuple[int, Any]]] = {p.name: [] for p in behind}
        followers = self._followers
        for position, event in decoded:
            for name in followers.get(type(event), ()):
                page = pages.get(name)
                if page is not None and position > self._positions[name]:
                    page.append((position, event))
        return [(p, pages[p.name]) for p in behind]

    def _apply(
        self, pages: Sequence[tuple[Projection, list[tuple[int, Any]]]], last: int
    ) -> bool:
        """Apply every projection's page in one transaction and move them to last.

        Each projection's rows commit with its position, and all of them at once.
        False when another process had moved a projection on (nothing is applied).
        """
        before = dict(self._positions)
        try:
            with self.store.page():
                for projection, events in pages:
                    self.store.apply_page(projection, events, last)
        except IntegrityError:
            self._positions = self._read_positions()
            if self._positions == before:
                raise  # nobody moved a projection: this page itself is at fault
            return False
        for projection, _ in pages:
            self._positions[projection.name] = last
        return True

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every read model and replay the whole log."""
        with self._lock:
            if not self._lead():
                raise ProjectionsBusy(
                    "another process is running the projections; stop it before "
                    "rebuilding"
                )
            for projection in self.projections:
                self.store.reset(projection)
            self._positions = self._read_positions()
            return self._catch_up(progress, None)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until every projection has reached position; False on timeout."""
        self.poke()
        with self._changed:
            return self._changed.wait_for(lambda: self.position >= position, timeout)

    async def wait_for_async(self, position: int, timeout: float) -> bool:
        """Wait, without blocking the event loop, until projections reach position."""
        if self.position >= position:
            return True
        self.poke()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.001
        while self.position < position:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)
        return True

    def listen(self, projection: str, listener: Callable[[], None]) -> None:
        """Call listener (quick, non-blocking) after each page that gave the named
        projection events, e.g. to wake what sends its rows on."""
        self._listeners.setdefault(projection, []).append(listener)

    def unlisten(self, projection: str, listener: Callable[[], None]) -> None:
        """Stop calling a listener."""
        listeners = self._listeners.get(projection, [])
        if listener in listeners:
            listeners.remove(listener)

    def poke(self) -> None:
        """Wake the follower now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Follow the log in a background thread: polling, and woken by a wakeup."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self.failure = None
        self._thread = threading.Thread(
            target=self._follow, name="projections", daemon=True
        )
        self._thread.start()
        if self.wakeup is not None:
            self.wakeup.start(self.poke)

    def stop(self) -> None:
        """Stop following, wait for the thread's page, and give up the leader lock."""
        self._stopping.set()
        self._wake.set()
        if self.wakeup is not None:
            self.wakeup.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.leader is not None:
            with self._lock:
                self.leader.release()
                self._leading = False

    def _follow(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                with self._lock:
                    if self._lead():
                        self._catch_up(None, None, interruptible=True)
                    else:
                        self._refresh()
                failures = 0
            except CONNECTION_ERRORS as error:
                # The pools' idle connections most likely dropped with this one.
                drain_pools(self.store, self.app.recorder)
                failures += 1
                if failures == 1:
                    continue  # a stale connection: try a fresh one at once
                if failures >= MAX_FAILURES:
                    self._fail(f"the database stayed unreachable: {first_line(error)}")
                    return
                pause = min(self.poll_interval * 2 ** (failures - 1), RETRY_MAX_SECONDS)
                log.warning(
                    "projections: database connection lost (%s); retrying in %.1fs",
                    first_line(error),
                    pause,
                )
                self._stopping.wait(pause)
                continue
            except Exception as error:
                # Not a dropped connection (the schema is gone, a handler fails):
                # trying again would fail the same way.
                if not isinstance(error, PersistenceError | psycopg.Error):
                    log.exception("projections: unexpected failure")
                self._fail(first_line(error))
                return
            self._wake.wait(self.poll_interval)

    def _fail(self, reason: str) -> None:
        """Stop following for good, saying why (see `failure`)."""
        self.failure = reason
        log.error("projections stopped: %s", reason)
        with self._changed:
            self._changed.notify_all()
