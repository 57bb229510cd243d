"""The per-request context: services, the read database, loaders and the actor."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from mentorlog.core.application import person_actor
from mentorlog.projections import queries
from mentorlog.projections.queries import ReadDatabase
from mentorlog.schema.ids import parse_global_id
from mentorlog.schema.loaders import Loaders
from strawberry.types import Info as StrawberryInfo

from mentorlog.services import Services

ACTOR_HEADER = "X-Mentorlog-Actor"
SYSTEM_PREFIX = "system:"
MAX_SYSTEM_NAME = 100


@dataclass
class Context:
    """What every resolver of one request can reach."""

    services: Services
    db: ReadDatabase
    actor_header: str | None = None
    follows_projections: bool = True
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)

    def refresh(self) -> None:
        """Forget what this request has read, so later reads see a new write."""
        self.loaders = Loaders(self.db)

    async def actor(self) -> tuple[str | None, str]:
        """The core actor string for the header, or None and why it is refused."""
        value = (self.actor_header or "").strip()
        if not value:
            return None, f"send the {ACTOR_HEADER} header: a Person ID or system:<name>"
        if value.startswith(SYSTEM_PREFIX):
            name = value.removeprefix(SYSTEM_PREFIX)
            if name.strip() and len(name) <= MAX_SYSTEM_NAME and name.isprintable():
                return value, ""
            return None, f"{ACTOR_HEADER}: system:<name> needs a short, printable name"
        parsed = parse_global_id(value)
        if parsed is None or parsed[0] != "Person":
            return None, f"{ACTOR_HEADER} is neither a Person ID nor system:<name>"
        if await self.loaders.person.load(parsed[1]) is None:
            return None, f"{ACTOR_HEADER} names no registered person"
        return person_actor(parsed[1]), ""

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
