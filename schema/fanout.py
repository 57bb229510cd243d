"""Fan-out: each event's answer worked out once per group of alike subscriptions.

Subscriptions over the socket whose document, operation name and variables are the
same, and whose principals read alike (the same role, program and person: what
decides which mentorships they see and whose private content is hidden), form a
group. Every subscription still follows the feed on its own (its own position,
catch-up, revocation and access checks); but an event's selection is executed once
for the group, through the schema as any subscription's is, and the same JSON text
of its `next` payload is sent to each member's socket, framed with its operation ID.

The payload is worked out before the members are woken: the feed hands each page
to `Groups.prepare` before it queues the page's events, and each group executes its
selection for the events its members follow, with the first member's context. The
members then find it ready and only send it; one that is behind (catching up, or
past what a group keeps) works its payload out when it asks, once for its group.

The socket handler (schema/websocket.py) makes a `Delivery` for each subscription
it starts and hands it to the subscription's task in a context variable; the
resolvers (schema/subscriptions.py) send through it when there is one, and yield
nodes as before when there is none (a subscription run by `schema.subscribe`
directly).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from mentorlog.core.access import Principal
from starlette.websockets import WebSocketDisconnect

log = logging.getLogger(__name__)

RECENT = 256  # events whose payloads a group keeps for members a little behind

Payload = str | None  # the `next` payload's JSON text; None: nothing to send


@dataclass(frozen=True)
class Rendering:
    """The root value of a group's one execution: the event to answer with."""

    node: Any


def scope_of(principal: Principal) -> tuple[str, str | None, str]:
    """What decides what a principal reads of an event: role, program and person."""
    return (principal.role, principal.program_id, principal.person_id)


def group_key(
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    principal: Principal,
) -> tuple[object, ...]:
    """Subscriptions with the same key get the same payload for every event."""
    canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    return (query, operation_name, canonical, scope_of(principal))


@dataclass(frozen=True)
class Renderer:
    """How one member works out payloads: which events it follows, and the work."""

    follows: Callable[[Any], bool]
    render: Callable[[Any], Awaitable[Payload]]


@dataclass(eq=False)
class Group:
    """Alike subscriptions: each event's payload, worked out once for them all."""

    key: tuple[object, ...]
    members: int = 0
    executions: int = 0  # selections executed, for tests and benchmarks
    _recent: OrderedDict[int, asyncio.Future[Payload]] = field(
        default_factory=OrderedDict
    )
    _renderers: dict[object, Renderer] = field(default_factory=dict)

    def add_renderer(self, member: object, renderer: Renderer) -> None:
        """Let this member's context work out the group's payloads ahead."""
        self._renderers[member] = renderer

    def remove_renderer(self, member: object) -> None:
        """Forget a member that left."""
        self._renderers.pop(member, None)

    async def prepare(self, items: Sequence[Any]) -> None:
        """Work out the payloads of the items the members follow, before they ask."""
        renderer = next(iter(self._renderers.values()), None)
        if renderer is None or len(items) > RECENT:  # a burst: members ask instead
            return
        for item in items:
            if not renderer.follows(item):
                continue
            position = item.notification_id
            try:
                await self.payload(position, partial(renderer.render, item))
            except Exception:  # each member tries again when it asks
                log.debug("fan-out: preparing %s failed", position, exc_info=True)

    async def payload(
        self, position: int, work: Callable[[], Awaitable[Payload]]
    ) -> Payload:
        """The payload of the event at this position of the log, worked out once."""
        found = self._recent.get(position)
        if found is not None and found.done() and not found.cancelled():
            return found.result()  # prepared: the usual case
        if found is None:
            self.executions += 1
            found = asyncio.ensure_future(work())
            self._recent[position] = found
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
            # One member's failure is not kept for the others: they try again.
            found.add_done_callback(lambda done: self._forget_failed(position, done))
        return await asyncio.shield(found)

    def _forget_failed(self, position: int, done: asyncio.Future[Payload]) -> None:
        if (done.cancelled() or done.exception() is not None) and (
            self._recent.get(position) is done
        ):
            del self._recent[position]


class Groups:
    """A process's groups of alike subscriptions, each kept while it has members."""

    def __init__(self) -> None:
        self._groups: dict[tuple[object, ...], Group] = {}

    def join(self, key: tuple[object, ...]) -> Group:
        """The group of this key, with one member more."""
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = Group(key)
        group.members += 1
        return group

    def leave(self, group: Group) -> None:
        """One member fewer; a group without members is forgotten."""
        group.members -= 1
        if group.members <= 0 and self._groups.get(group.key) is group:
            del self._groups[group.key]

    async def prepare(self, items: Sequence[Any]) -> None:
        """Work out every group's payloads of a page of the feed, before it is
        queued for the members."""
        if items and self._groups:
            await asyncio.gather(*(g.prepare(items) for g in self.groups()))

    def groups(self) -> list[Group]:
        """The groups there are now."""
        return list(self._groups.values())

    def __len__(self) -> int:
        return len(self._groups)


GROUPS = Groups()


@dataclass(eq=False)
class Delivery:
    """Where one subscription's events go: its socket, its operation ID, its group."""

    operation_id: str
    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    principal: Principal
    send_text: Callable[[str], Awaitable[None]]

    @property
    def key(self) -> tuple[object, ...]:
        """The key of the group this subscription belongs to."""
        return group_key(
            self.query, self.operation_name, self.variables, self.principal
        )

    async def send(self, payload: str) -> bool:
        """Send a `next` message holding the payload (JSON text); False when the
        socket is gone."""
        try:
            await self.send_text(
                f'{{"id":{json.dumps(self.operation_id)},"type":"next",'
                f'"payload":{payload}}}'
            )
        except (WebSocketDisconnect, RuntimeError):  # closed under us
            return False
        return True


DELIVERY: ContextVar[Delivery | None] = ContextVar("delivery", default=None)
