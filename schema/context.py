"""The per-request context: services, the read database, loaders and the principal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mentorlog.core.access import Principal
from mentorlog.core.policy import ReadScope, read_scope
from mentorlog.projections import queries
from mentorlog.projections.queries import Reader
from mentorlog.schema.loaders import Loaders
from strawberry.types import Info as StrawberryInfo

from mentorlog.services import Services

if TYPE_CHECKING:
    from mentorlog.schema.feed import EventFeed

# Who a WebSocket connection acts as until its connection_init names a token: nobody.
NOBODY = Principal(credential_id="", person_id="", role="none")


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

    def __post_init__(self) -> None:
        self.scope = read_scope(self.principal)
        self.loaders = Loaders(self.db, self.scope)

    def sign_in(self, principal: Principal) -> None:
        """Act as this principal from now on (a WebSocket's connection_init)."""
        self.principal = principal
        self.scope = read_scope(principal)
        self.refresh()

    def refresh(self) -> None:
        """Forget what this request has read, so later reads see a new write."""
        self.loaders = Loaders(self.db, self.scope)

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
