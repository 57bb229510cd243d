"""Programs' queries: pages of programs, and a program by its global ID."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.schema.context import Info
from mentorlog.schema.graph import ID_ARG, one
from mentorlog.schema.pagination import After, Before, First, Last
from mentorlog.schema.programs.types import Program, ProgramConnection


@strawberry.type
class ProgramQueries:
    """Programs by page or by ID."""

    @strawberry.field(description="The programs you may read, oldest first.")
    async def programs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ProgramConnection:
        return await ProgramConnection.load(info, first, after, last, before)

    @strawberry.field(
        description="A program by its global ID; null if none has it or you may "
        "not read it."
    )
    async def program(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> Program | None:
        return await one(info, id, Program)  # type: ignore[return-value]
