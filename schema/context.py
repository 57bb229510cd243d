"""The per-request context: services, the read database, loaders and the principal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from mentorlog.core.access import Principal
from mentorlog.core.history import HistoryEntry, history
from mentorlog.core.policy import ReadScope, read_scope
from mentorlog.projections import queries
from mentorlog.projections.queries import Reader
from mentorlog.projections.readers import Item, Readers, mark_erased, private_readers
from mentorlog.schema.loaders import Loaders
from strawberry.types import Info as StrawberryInfo

from mentorlog.services import Services

if TYPE_CHECKING:
    from mentorlog.schema.feed import EventFeed

# Who a WebSocket connection acts as until its connection_init names a token: nobody.
NOBODY = Principal(credential_id="", person_id="", role="none")
# Worker threads one request may keep busy at once: a request that reads many
# streams queues its reads behind each other, not in front of other requests'.
REQUEST_THREADS = 2

T = TypeVar("T")
Stream = tuple[list[HistoryEntry], dict[Item, Readers]]


@dataclass
class Context:
    """What every resolver of one request can reach, and who is asking."""

    services: Services
    db: Reader
    principal: Principal
    follows_projections: bool = True
    request: Any = None
    response: Any = None
    feed: EventFeed | None = None
    connection_params: dict[str, Any] | None = None
    scope: ReadScope = field(init=False)
    loaders: Loaders = field(init=False)
    _threads: asyncio.Semaphore = field(init=False)
    _streams: dict[str, asyncio.Future[Stream]] = field(init=False)

    @classmethod
    def of(cls, request: Any, principal: Principal) -> Context:
        """The context of a request the app serves, acting as the principal."""
        state = request.app.state
        return cls(
            services=state.services,
            db=state.read_db,
            principal=principal,
            follows_projections=state.follows_projections,
            request=request,
            feed=state.feed,
        )

    def __post_init__(self) -> None:
        self.scope = read_scope(self.principal)
        self.loaders = Loaders(self.db, self.scope)
        self._threads = asyncio.Semaphore(REQUEST_THREADS)
        self._streams = {}

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run blocking work in a worker thread, at most REQUEST_THREADS at once."""
        async with self._threads:
            return await asyncio.to_thread(function, *args)

    async def stream(self, mentorship_id: str) -> Stream:
        """A mentorship's events and its private items' readers, read once."""
        found = self._streams.get(mentorship_id)
        if found is None:
            app = self.services.app

            def read() -> Stream:
                entries = history(app, mentorship_id)
                return entries, mark_erased(
                    private_readers(entries), app.sealer.keys.get
                )

            found = asyncio.ensure_future(self.in_thread(read))
            self._streams[mentorship_id] = found
        return await asyncio.shield(found)

    def sign_in(self, principal: Principal) -> None:
        """Act as this principal from now on (a WebSocket's connection_init)."""
        self.principal = principal
        self.scope = read_scope(principal)
        self.refresh()

    def refresh(self) -> None:
        """Forget what this request has read, so later reads see a new write."""
        self.loaders = Loaders(self.db, self.scope)
        self._streams = {}

    async def wait_for(self, position: int) -> bool:
        """Wait until the read models reach position; False on timeout."""
        timeout = self.services.settings.write_timeout
        if self.follows_projections:
            return await self.services.runner.wait_for_async(position, timeout)
        # Another process runs the projections: watch their tracking positions.
        names = [p.name for p in self.services.runner.projections]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await queries.projection_position(self.db, names) < position:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True


Info = StrawberryInfo[Context, None]
