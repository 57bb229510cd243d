"""The runner: catches projections up in pages, then follows new events."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError
from mentorlog.projections.base import Projection
from mentorlog.projections.store import ReadModelRecorder

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


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


class ProjectionRunner:
    """Applies the event log to every projection, a page per transaction."""

    def __init__(
        self,
        app: Application[Any],
        store: ReadModelRecorder,
        projections: Sequence[Projection],
        page_size: int = 500,
        poll_interval: float = 0.2,
    ) -> None:
        self.app = app
        self.store = store
        self.projections = list(projections)
        self.page_size = page_size
        self.poll_interval = poll_interval
        self._topics = {t for p in self.projections for t in p.topics()}
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._positions = self._read_positions()

    def _read_positions(self) -> dict[str, int]:
        return {p.name: self.store.position(p.name) for p in self.projections}

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
        """Apply every event not yet applied; return how many were read."""
        with self._lock:
            return self._catch_up(progress, max_pages)

    def _catch_up(self, progress: Progress | None, max_pages: int | None) -> int:
        read = 0
        pages = 0
        head = self.head() if progress else 0
        while max_pages is None or pages < max_pages:
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
            for projection in self.projections:
                done = self._positions[projection.name]
                if done >= last:
                    continue
                page = [
                    (i, e)
                    for i, e in decoded
                    if i > done and type(e) in projection.handlers
                ]
                try:
                    self.store.apply_page(projection, page, last)
                except IntegrityError:
                    # Another process moved this projection on; take its position.
                    self._positions = self._read_positions()
                    if self._positions[projection.name] == done:
                        raise  # nobody moved it: this page itself is at fault
                    continue
                self._positions[projection.name] = last
            read += len(notifications)
            pages += 1
            with self._changed:
                self._changed.notify_all()
            if progress:
                progress(last, max(head, last))
        return read

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every read model and replay the whole log."""
        with self._lock:
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

    def poke(self) -> None:
        """Wake the follower now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Follow the log in a background thread (polling: SQLite has no LISTEN)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._follow, name="projections", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop following and wait for the thread to finish its page."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _follow(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.catch_up()
            except Exception:
                log.exception("projection catch-up failed; retrying")
            self._wake.wait(self.poll_interval)
