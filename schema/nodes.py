"""Any object by its global ID: the node types and the node and nodes queries."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from mentorlog.schema import ids
from mentorlog.schema.context import Info
from mentorlog.schema.errors import ClientError
from mentorlog.schema.feedback import Feedback
from mentorlog.schema.goals import Goal
from mentorlog.schema.graph import ID_ARG, one
from mentorlog.schema.identities import Invitation
from mentorlog.schema.meetings import Meeting
from mentorlog.schema.mentorships.types import Mentorship
from mentorlog.schema.milestones import Milestone
from mentorlog.schema.notes import Note
from mentorlog.schema.pagination import MAX_PAGE_SIZE
from mentorlog.schema.people import Person
from mentorlog.schema.programs.types import Program
from mentorlog.schema.reviews import Review
from mentorlog.schema.webhooks import WebhookEndpoint
from strawberry import relay

NODE_TYPES: dict[str, type[relay.Node]] = {
    t.__name__: t
    for t in (
        Program,
        Person,
        Mentorship,
        Goal,
        Milestone,
        Meeting,
        Review,
        Feedback,
        Note,
        WebhookEndpoint,
        Invitation,
    )
}


async def _node(info: Info, value: str) -> relay.Node | None:
    """The object with a global ID, of whichever node type it names."""
    parsed = ids.parse_global_id(value)
    if parsed is None:
        return None
    return await one(info, value, NODE_TYPES[parsed[0]])


@strawberry.type
class NodeQueries:
    """Any object by its global ID."""

    @strawberry.field(
        description="Any object by its global ID; null if none has it or you may "
        "not read it."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> relay.Node | None:
        return await _node(info, id)

    @strawberry.field(
        description=f"Objects by global ID, in order; null where none has it or you "
        f"may not read it (at most {MAX_PAGE_SIZE} IDs)."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Global IDs.")
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise ClientError(
                f"ask for at most {MAX_PAGE_SIZE} IDs at once", argument="ids"
            )
        return list(await asyncio.gather(*(_node(info, value) for value in ids)))
