"""The newest committed link of each stream, kept in memory by the recorders."""

from __future__ import annotations

import threading
from collections.abc import Sequence

LINK_CACHE_SIZE = 100_000  # streams whose newest link a recorder keeps


class CommittedLinks:
    """Each stream's newest committed link, as (version, hash), kept in memory.

    A link never changes once committed, so a hit saves reading it back before
    the stream's next write; a miss reads it from the links table.
    """

    def _keep_links(self) -> None:
        self._committed: dict[str, tuple[int, str]] = {}
        self._cache_lock = threading.Lock()
        self._pending = threading.local()  # the links of this thread's insert

    def _remember(self, links: Sequence[tuple[str, int, str]]) -> None:
        """Keep each stream's newest committed link (forgetting all past a bound)."""
        with self._cache_lock:
            if len(self._committed) > LINK_CACHE_SIZE:
                self._committed.clear()
            for key, version, digest in links:
                if self._committed.get(key, (0, ""))[0] < version:
                    self._committed[key] = (version, digest)

    def _cached_head(self, key: str, version: int) -> str | None:
        """The committed hash of the event before `version`, if kept."""
        with self._cache_lock:
            cached = self._committed.get(key)
        return cached[1] if cached is not None and cached[0] == version - 1 else None
