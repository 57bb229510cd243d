"""The event feed: one follower of the event log per process, fanned out to subscribers.

Subscriptions do not each poll the store. The process's one `EventFeed` reads new
notifications from the position it reached (mentorship events, token revocations
and erasures of people) a page at a time, decodes each once, looks up once what the
access rules need (the mentorship's program, people, private goals and notes) and
its chain hash, and puts it on the queue of every subscriber it concerns. A revoked
token's subscriptions end, and so do those of an erased person's tokens, of an
unlinked identity and of a revoked grant.

It wakes on its own poll interval (SQLite), when this process records an event
(`poke`, called after every mutation), and on PostgreSQL as soon as any process
commits events, through the same LISTEN/NOTIFY listener the projection runner uses.
It runs only while someone subscribes; a subscriber sees the events recorded after
it subscribed, in the order of the log, or, subscribing `after` a position, first
the events since then: it catches up by reading the log itself (its own pages, its
own facts) and joins the feed once it has reached the feed's position, at a moment
when the feed is not dispatching, so no event is missed or sent twice at the seam.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from mentorlog.core.access import REVOKED_TOPIC, Principal
from mentorlog.core.errors import Unauthenticated
from mentorlog.core.history import HistoryEntry, to_entry
from mentorlog.core.identity import UNLINKED_TOPIC
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import ERASED_TOPIC, GRANT_REVOKED_TOPIC
from mentorlog.projections.postgres import PostgresListener, PostgresReadModelRecorder
from mentorlog.projections.readers import Item, Readers, track
from mentorlog.schema.fanout import GROUPS

from mentorlog.services import Services

log = logging.getLogger(__name__)

PAGE_SIZE = 500
QUEUE_SIZE = 10_000  # events a subscriber may fall behind by before it is ended
FACTS_CACHE = 10_000  # mentorships whose facts are remembered
PG_FALLBACK_POLL = 1.0  # seconds between polls when LISTEN/NOTIFY wakes the feed


class FeedEnded(Exception):
    """The feed ended a subscription: token revoked, person erased, or fell behind."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Facts:
    """What the access rules need to know about a mentorship."""

    program_id: str
    person_ids: frozenset[str]
    readers: dict[Item, Readers]

    @classmethod
    def of(cls, mentorship: Mentorship) -> Facts:
        """The facts of a mentorship as rebuilt from its events."""
        readers = {
            (kind, item_id): Readers(item[owner], frozenset(item["shared_with"]))
            for kind, items, owner in (
                ("goal", mentorship.goals, "owner_id"),
                ("note", mentorship.notes, "author_id"),
            )
            for item_id, item in items.items()
            if item["private"]
        }
        return cls(
            program_id=str(mentorship.program_id),
            person_ids=frozenset(mentorship.person_ids()),
            readers=readers,
        )


@dataclass(frozen=True)
class FeedItem:
    """One new mentorship event: its place in the log, its mentorship and entry."""

    notification_id: int
    mentorship_id: str
    facts: Facts
    entry: HistoryEntry


@dataclass(frozen=True)
class Endings:
    """Whose subscriptions a page of the log ends, and where: revoked tokens (by
    credential ID) and erased people (by person ID), each at its notification ID."""

    credentials: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)

    def of(self, subscriber: Subscriber) -> tuple[int, FeedEnded] | None:
        """Where the subscriber's subscription ends in this page, and why; or None."""
        if not self.credentials and not self.people:
            return None
        endings = []
        revoked = self.credentials.get(subscriber.credential_id)
        if revoked is not None:
            endings.append((revoked, "the token (or grant) has been revoked"))
        unlinked = self.credentials.get(subscriber.identity_id or "")
        if unlinked is not None:
            endings.append((unlinked, "the identity has been unlinked"))
        erased = self.people.get(subscriber.person_id)
        if erased is not None:
            endings.append((erased, "the token's person has been erased"))
        if not endings:
            return None
        at, why = min(endings)  # the first: nothing after it may reach them
        return at, FeedEnded(why, "UNAUTHENTICATED")


@dataclass(eq=False)
class Subscriber:
    """One subscription's queue, its token and person, and what it follows."""

    after: int
    credential_id: str
    person_id: str
    mentorship_id: str | None = None
    program_id: str | None = None
    identity_id: str | None = None
    queue: asyncio.Queue[FeedItem | FeedEnded] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    ended: bool = False
    # Still reading the log from `after` itself: the feed only ends it meanwhile.
    catching_up: bool = False
    # How the feed hands it an item itself, sparing it a wake-up (the socket's
    # subscriptions, schema/fanout.py); used only while it waits with nothing queued.
    direct: Callable[[FeedItem], Awaitable[None]] | None = None
    waiting: bool = False

    def wants(self, item: FeedItem) -> bool:
        """True when the item is new to this subscriber and about what it follows."""
        if item.notification_id <= self.after:
            return False
        if self.mentorship_id is not None:
            return item.mentorship_id == self.mentorship_id
        return item.facts.program_id == self.program_id

    def put(self, item: FeedItem) -> None:
        """Queue an item; a subscriber that fell too far behind is ended instead."""
        if self.ended:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.end(
                FeedEnded(
                    "the subscription fell too far behind the events; subscribe again",
                    "SUBSCRIPTION_OVERFLOW",
                ),
                force=True,
            )

    def end(self, reason: FeedEnded, force: bool = False) -> None:
        """End the subscription with a reason its stream raises after what it holds."""
        if self.ended:
            return
        self.ended = True
        if force or self.queue.full():
            while not self.queue.empty():
                self.queue.get_nowait()
        self.queue.put_nowait(reason)


class EventFeed:
    """Follows the event log for this process's subscriptions."""

    def __init__(
        self,
        services: Services,
        poll_interval: float | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.app = services.app
        self.page_size = page_size
        self.subscribers: set[Subscriber] = set()
        self.position = 0
        self.reads = 0  # pages read from the store, for tests and benchmarks
        mentorship_topics = [
            get_topic(value)
            for value in vars(Mentorship).values()
            if isinstance(value, type) and issubclass(value, Mentorship.Event)
        ]
        self._topics = sorted(
            {
                *mentorship_topics,
                REVOKED_TOPIC,
                ERASED_TOPIC,
                UNLINKED_TOPIC,
                GRANT_REVOKED_TOPIC,
            }
        )
        self._facts: OrderedDict[str, Facts] = OrderedDict()
        self._listener: PostgresListener | None = None
        read_models = services.read_models
        channel = getattr(self.app.recorder, "channel_name", None)
        if isinstance(read_models, PostgresReadModelRecorder) and channel:
            self._listener = PostgresListener(read_models.connect, [channel])
        interval = services.settings.poll_interval
        if poll_interval is not None:
            interval = poll_interval
        self.poll_interval = (
            max(interval, PG_FALLBACK_POLL) if self._listener else interval
        )
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._closing = False

    # -- subscribing ------------------------------------------------------------

    async def subscribe(
        self,
        credential_id: str,
        person_id: str,
        mentorship_id: str | None = None,
        program_id: str | None = None,
        after: int | None = None,
        principal: Principal | None = None,
    ) -> Subscriber:
        """A subscriber to the events recorded from now on (or after a position of
        the log), about one mentorship or one program's mentorships (for
        `principal`, if given, else the token's)."""
        if principal is None:
            principal = Principal(credential_id, person_id, "participant")
        head = await asyncio.to_thread(self.app.recorder.max_notification_id) or 0
        if after is not None and after > head:
            raise FeedEnded(
                f"the log has no position {after} yet: resume from a cursor it gave",
                "BAD_USER_INPUT",
            )
        subscriber = Subscriber(
            after=head if after is None else after,
            credential_id=credential_id,
            person_id=person_id,
            mentorship_id=mentorship_id,
            program_id=program_id,
            catching_up=after is not None and after < head,
            identity_id=principal.identity_id,
        )
        if not self.subscribers:
            self.position = head  # nobody needs what came before
        self.subscribers.add(subscriber)
        self._start()
        # The token may have gone since the socket opened: what happened before
        # `after` is checked here, in the store (a kept principal may be as old as
        # its refresh), what happens later reaches the feed.
        try:
            await asyncio.to_thread(self.app.recheck, principal)
        except Unauthenticated as refused:
            self.unsubscribe(subscriber)
            raise FeedEnded(refused.message, refused.code) from None
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop delivering to a subscriber."""
        self.subscribers.discard(subscriber)

    async def items(self, subscriber: Subscriber) -> AsyncIterator[FeedItem]:
        """A subscriber's items as they come; raises FeedEnded when it is ended."""
        try:
            if subscriber.catching_up:
                async for caught in self._catch_up(subscriber):
                    yield caught
            while True:
                subscriber.waiting = True
                try:
                    item = await subscriber.queue.get()
                finally:
                    subscriber.waiting = False
                if isinstance(item, FeedEnded):
                    raise item
                yield item
        finally:
            self.unsubscribe(subscriber)

    async def _catch_up(self, subscriber: Subscriber) -> AsyncIterator[FeedItem]:
        """The subscriber's items from its position until it reaches the feed's,
        read from the log here; then it joins the feed."""
        facts: OrderedDict[str, Facts] = OrderedDict()
        wanted = (
            subscriber.program_id is not None,
            frozenset([subscriber.mentorship_id] if subscriber.mentorship_id else []),
        )
        while not subscriber.ended:
            # No await between this check and the switch: the feed dispatches
            # only what lies past its position, which the subscriber has reached.
            if subscriber.after >= self.position:
                subscriber.catching_up = False
                return
            items, endings, last, _ = await asyncio.to_thread(
                self._read, subscriber.after, wanted, facts
            )
            ending = endings.of(subscriber)
            for item in items:
                if ending is not None and item.notification_id > ending[0]:
                    break
                if subscriber.wants(item):
                    yield item
            if ending is not None:
                subscriber.end(ending[1])
            subscriber.after = max(subscriber.after, last)

    def poke(self) -> None:
        """Read the log now rather than at the next poll (thread-safe)."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(wake.set)

    # -- following ---------------------------------------------------------------

    def _start(self) -> None:
        if self._task is not None and not self._task.done():
            self._wake_now()
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._follow(), name="event-feed")
        if self._listener is not None:
            self._listener.start(self.poke)

    def _wake_now(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def close(self) -> None:
        """Stop following and end every subscription."""
        self._closing = True
        if self._listener is not None:
            await asyncio.to_thread(self._listener.stop)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscriber in list(self.subscribers):
            subscriber.end(FeedEnded("the server is shutting down", "SHUTTING_DOWN"))
        self.subscribers.clear()

    async def _follow(self) -> None:
        assert self._wake is not None
        while not self._closing:
            if not self.subscribers:
                self._wake.clear()
                await self._wake.wait()
                continue
            self._wake.clear()
            try:
                items, endings, last, count = await asyncio.to_thread(
                    self._read, self.position, self._needs_facts(), self._facts
                )
            except Exception:
                log.exception("event feed: reading the log failed; retrying")
                items, endings, last, count = [], Endings(), self.position, 0
            self.reads += 1
            await GROUPS.prepare(items)
            direct = self._dispatch(items, endings)
            self.position = max(self.position, last)
            await self._hand_over(direct)
            if count >= self.page_size:
                continue  # more may be waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    def _needs_facts(self) -> tuple[bool, frozenset[str]]:
        """Whether any program is followed, and which mentorships are."""
        programs = False
        mentorships = set()
        for s in self.subscribers:
            if s.mentorship_id is not None:
                mentorships.add(s.mentorship_id)
            elif s.program_id is not None:
                programs = True
        return programs, frozenset(mentorships)

    def _dispatch(
        self, items: Sequence[FeedItem], endings: Endings
    ) -> list[tuple[Subscriber, FeedItem]]:
        """Queue each item for whom it concerns; end subscriptions where they end.

        A subscriber whose token was revoked (or person erased) in this page gets
        the items before that point only. Returns the items to hand straight to
        subscribers that wait with nothing queued, in order.
        """
        direct: list[tuple[Subscriber, FeedItem]] = []
        for subscriber in list(self.subscribers):
            ending = endings.of(subscriber)
            until = ending[0] if ending is not None else None
            handed = (
                ending is None
                and subscriber.direct is not None
                and subscriber.waiting
                and subscriber.queue.empty()
            )
            for item in [] if subscriber.catching_up else items:
                if until is not None and item.notification_id > until:
                    break
                if not subscriber.wants(item):
                    continue
                if handed:
                    direct.append((subscriber, item))
                else:
                    subscriber.put(item)
            if ending is not None:
                subscriber.end(ending[1])
        return direct

    async def _hand_over(self, direct: list[tuple[Subscriber, FeedItem]]) -> None:
        """Hand items to waiting subscribers; one whose hand-over fails gets the
        rest of its items queued, where its own task meets the failure."""
        failed: set[Subscriber] = set()
        for subscriber, item in direct:
            if subscriber.ended or subscriber not in self.subscribers:
                continue
            hand = subscriber.direct
            if hand is None or subscriber in failed or not subscriber.waiting:
                subscriber.put(item)
                continue
            try:
                await hand(item)
            except Exception:
                failed.add(subscriber)
                subscriber.put(item)

    def _read(
        self,
        position: int,
        wanted: tuple[bool, frozenset[str]],
        known: OrderedDict[str, Facts],
    ) -> tuple[list[FeedItem], Endings, int, int]:
        """Read a page after position (in a worker thread), keeping the facts of
        the mentorships it reads in `known`.

        Returns the items, the revoked credentials and erased people, the last
        notification ID read and how many notifications were read.
        """
        notifications = self.app.recorder.select_notifications(
            position, self.page_size, topics=self._topics, inclusive_of_start=False
        )
        if not notifications:
            return [], Endings(), position, 0
        programs, mentorships = wanted
        endings = Endings()
        decoded: list[tuple[int, Any]] = []
        for notification in notifications:
            if notification.topic == GRANT_REVOKED_TOPIC:
                revoked = self.app.mapper.to_domain_event(notification)
                endings.credentials.setdefault(
                    str(revoked.grant_id),  # type: ignore[attr-defined]
                    notification.id,
                )
                continue
            if notification.topic in (REVOKED_TOPIC, UNLINKED_TOPIC):
                endings.credentials.setdefault(
                    str(notification.originator_id), notification.id
                )
                continue
            if notification.topic == ERASED_TOPIC:
                endings.people.setdefault(
                    str(notification.originator_id), notification.id
                )
                continue
            key = str(notification.originator_id)
            if programs or key in mentorships:
                decoded.append(
                    (notification.id, self.app.mapper.to_domain_event(notification))
                )
            else:
                # Facts kept of it would miss this event (a share, say): forget them.
                known.pop(key, None)
        links: dict[str, dict[int, str]] = {}
        items = []
        for notification_id, event in decoded:
            key = str(event.originator_id)
            if key not in links:
                recorder: Any = self.app.recorder
                links[key] = dict(recorder.select_links(event.originator_id))
            entry = to_entry(event, links[key].get(event.originator_version, ""))
            facts = self._facts_of(key, entry, known)
            items.append(FeedItem(notification_id, key, facts, entry))
        return items, endings, notifications[-1].id, len(notifications)

    def _facts_of(
        self, mentorship_id: str, entry: HistoryEntry, known: OrderedDict[str, Facts]
    ) -> Facts:
        """The mentorship's facts right after this event, kept as its events go by."""
        facts = known.get(mentorship_id)
        if facts is None:
            # As of this event, so each event is shown to whom it was readable by.
            state: Any = self.app.repository.get(
                UUID(mentorship_id), version=entry.sequence
            )
            facts = Facts.of(state)
        else:
            readers = dict(facts.readers)
            if track(readers, entry.type, entry.payload):
                facts = Facts(facts.program_id, facts.person_ids, readers)
        known[mentorship_id] = facts
        known.move_to_end(mentorship_id)
        while len(known) > FACTS_CACHE:
            known.popitem(last=False)
        return facts
