"""The principals of tokens that held, kept in-process and current with the log.

Authenticating a request looks its credential up here; only a miss loads the
Credential and Person aggregates. An entry goes when this process records its
token's revocation or its person's erasure (`forget`, `forget_person`: refused at
once; likewise an identity's unlinking and a person's revoked grant), and when the
log shows another process did: a lookup first reads the
revocations and erasures recorded since the position it reached, at most once
every `refresh` seconds. So every process refuses a revoked token or an erased
person's within `refresh` seconds of it being recorded (REFRESH_SECONDS, 1 s
unless the application's env sets PRINCIPAL_CACHE_REFRESH), and an idle process
reads nothing.

A miss's load may race a revocation: an entry is kept only if nothing was dropped
while it loaded (`generation`), so no stale entry outlives the sync that saw it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from mentorlog.core.access import REVOKED_TOPIC, Principal
from mentorlog.core.identity import UNLINKED_TOPIC
from mentorlog.core.person import ERASED_TOPIC, GRANT_REVOKED_TOPIC

REFRESH_SECONDS = 1.0  # the bound: how stale another process's revocation may be
MAXSIZE = 10_000  # principals kept (least recently used go first)
PAGE = 500
TOPICS = sorted((REVOKED_TOPIC, ERASED_TOPIC, UNLINKED_TOPIC, GRANT_REVOKED_TOPIC))
# Topics whose originator is a person: their principals all go.
PERSON_TOPICS = (ERASED_TOPIC, GRANT_REVOKED_TOPIC)


class Principals:
    """Credential ID (or identity and grant) -> Principal, as last loaded."""

    def __init__(
        self,
        recorder: Any,
        refresh: float = REFRESH_SECONDS,
        maxsize: int = MAXSIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recorder = recorder
        self.refresh = refresh
        self.maxsize = maxsize
        self.clock = clock
        self.syncs = 0  # reads of the log, for tests and benchmarks
        self._entries: OrderedDict[str, Principal] = OrderedDict()
        self._lock = threading.Lock()  # the entries and the generation
        self._syncing = threading.Lock()  # one thread reads the log at a time
        self._position: int | None = None  # the log read up to here
        self._checked = float("-inf")
        self._generation = 0  # bumped whenever entries may have been dropped

    @property
    def enabled(self) -> bool:
        """False with a size of 0: every lookup misses."""
        return self.maxsize > 0

    def get(self, credential_id: str) -> tuple[Principal | None, int]:
        """The kept principal (or None) and the generation to `put` a load with.

        Reads the log first when the last read is `refresh` seconds old.
        """
        if not self.enabled:
            return None, 0
        if self.clock() - self._checked >= self.refresh:
            self.sync()
        with self._lock:
            principal = self._entries.get(credential_id)
            if principal is not None:
                self._entries.move_to_end(credential_id)
            return principal, self._generation

    def kept(self, credential_id: str) -> Principal | None:
        """The kept principal when no read of the log is due, without any I/O."""
        if not self.enabled or self.clock() - self._checked >= self.refresh:
            return None
        with self._lock:
            principal = self._entries.get(credential_id)
            if principal is not None:
                self._entries.move_to_end(credential_id)
            return principal

    def put(
        self, principal: Principal, generation: int, key: str | None = None
    ) -> None:
        """Keep a principal (under its credential ID, or `key`) loaded after `get`
        gave this generation, unless something was dropped since (the load may
        predate it)."""
        if not self.enabled:
            return
        key = key or principal.credential_id
        with self._lock:
            if generation != self._generation:
                return
            self._entries[key] = principal
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def forget(self, credential_ids: set[str], person_ids: set[str]) -> None:
        """Drop the principals of these credentials (or identities) and people."""
        with self._lock:
            self._generation += 1
            for key, principal in list(self._entries.items()):
                if (
                    key in credential_ids
                    or principal.credential_id in credential_ids
                    or principal.identity_id in credential_ids
                    or principal.person_id in person_ids
                ):
                    del self._entries[key]

    def sync(self) -> None:
        """Read the revocations and erasures recorded since the last read; drop
        their principals."""
        with self._syncing:
            started = self.clock()
            if started - self._checked < self.refresh:
                return  # another thread read the log meanwhile
            head = self.recorder.max_notification_id() or 0
            position = self._position
            if position is not None and head > position:
                self._drop_recorded(position, head)
            # Before the first read nothing is kept: every load comes after it.
            self._position = head
            self.syncs += 1
            self._checked = started

    def _drop_recorded(self, position: int, head: int) -> None:
        credentials: set[str] = set()
        people: set[str] = set()
        while True:
            page = self.recorder.select_notifications(
                position, PAGE, stop=head, topics=TOPICS, inclusive_of_start=False
            )
            for notification in page:
                person = notification.topic in PERSON_TOPICS
                ids = people if person else credentials
                ids.add(str(notification.originator_id))
            if len(page) < PAGE:
                break
            position = page[-1].id
        if credentials or people:
            self.forget(credentials, people)
