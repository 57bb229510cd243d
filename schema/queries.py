"""The Query type: nodes by global ID, paged lists with filters, the plugin catalog."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from mentorlog.core.errors import NotFound
from mentorlog.projections.queries import MentorshipFilter as Where
from mentorlog.schema import ids
from mentorlog.schema.context import Info
from mentorlog.schema.enums import CareerStage, MentorshipStatus
from mentorlog.schema.errors import ClientError
from mentorlog.schema.pagination import MAX_PAGE_SIZE
from mentorlog.schema.types import (
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    NODE_TYPES,
    Format,
    GoalFramework,
    Mentorship,
    MentorshipConnection,
    Person,
    PersonConnection,
    Program,
    ProgramConnection,
)
from strawberry import relay

First = Annotated[int | None, strawberry.argument(description=FIRST)]
After = Annotated[str | None, strawberry.argument(description=AFTER)]
Last = Annotated[int | None, strawberry.argument(description=LAST)]
Before = Annotated[str | None, strawberry.argument(description=BEFORE)]


@strawberry.input(
    description="Conditions a mentorship must meet; leave a field out for any."
)
class MentorshipFilter:
    program_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only mentorships of this program."
    )
    format: str | None = strawberry.field(
        default=None, description="Only mentorships in this format (its name)."
    )
    status: MentorshipStatus | None = strawberry.field(
        default=None, description="Only mentorships in this status."
    )
    participant_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only mentorships this person takes part in."
    )

    def to_query(self) -> Where:
        """The read-model filter, with global IDs decoded."""
        try:
            program = (
                ids.decode(self.program_id, "Program", "programId")
                if self.program_id is not None
                else None
            )
            person = (
                ids.decode(self.participant_id, "Person", "participantId")
                if self.participant_id is not None
                else None
            )
        except NotFound as error:
            raise ClientError(f"filter.{error.field}: {error.message}") from None
        return Where(
            program_id=program,
            format=self.format,
            status=self.status.value if self.status else None,
            participant_id=person,
        )


async def _node(info: Info, value: str) -> relay.Node | None:
    parsed = ids.parse_global_id(value)
    if parsed is None:
        return None
    type_name, node_id = parsed
    found = await NODE_TYPES[type_name].resolve_nodes(info=info, node_ids=[node_id])
    return next(iter(found), None)  # type: ignore[arg-type]


async def _one(info: Info, value: str, type_name: str) -> relay.Node | None:
    parsed = ids.parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    return await _node(info, value)


ID_ARG = "A global ID."


@strawberry.type(
    description="Read programs, people, mentorships and the plugin catalog."
)
class Query:
    @strawberry.field(description="Any object by its global ID; null if none has it.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> relay.Node | None:
        return await _node(info, id)

    @strawberry.field(
        description=f"Objects by global ID, in order; null where none has it "
        f"(at most {MAX_PAGE_SIZE} IDs)."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Global IDs.")
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise ClientError(f"ask for at most {MAX_PAGE_SIZE} IDs at once")
        return list(await asyncio.gather(*(_node(info, value) for value in ids)))

    @strawberry.field(description="Programs, oldest first.")
    async def programs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ProgramConnection:
        return await ProgramConnection.load(info, first, after, last, before)

    @strawberry.field(description="A program by its global ID; null if none has it.")
    async def program(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> Program | None:
        return await _one(info, id, "Program")  # type: ignore[return-value]

    @strawberry.field(description="People, oldest registration first.")
    async def people(
        self,
        info: Info,
        career_stage: Annotated[
            CareerStage | None,
            strawberry.argument(description="Only people at this career stage."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PersonConnection:
        stage = career_stage.value if career_stage else None
        return await PersonConnection.load(info, stage, first, after, last, before)

    @strawberry.field(description="A person by their global ID; null if none has it.")
    async def person(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> Person | None:
        return await _one(info, id, "Person")  # type: ignore[return-value]

    @strawberry.field(description="Mentorships matching a filter, oldest first.")
    async def mentorships(
        self,
        info: Info,
        filter: Annotated[
            MentorshipFilter | None,
            strawberry.argument(description="Conditions the mentorships must meet."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MentorshipConnection:
        where = filter.to_query() if filter else Where()
        return await MentorshipConnection.load(info, where, first, after, last, before)

    @strawberry.field(description="A mentorship by its global ID; null if none has it.")
    async def mentorship(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> Mentorship | None:
        return await _one(info, id, "Mentorship")  # type: ignore[return-value]

    @strawberry.field(description="Every mentoring format the loaded plugins provide.")
    def formats(self, info: Info) -> list[Format]:
        catalog = info.context.services.catalog
        return [Format.from_plugin(f) for _, f in sorted(catalog.formats.items())]

    @strawberry.field(description="Every goal framework the loaded plugins provide.")
    def goal_frameworks(self, info: Info) -> list[GoalFramework]:
        catalog = info.context.services.catalog
        return [
            GoalFramework.from_plugin(f) for _, f in sorted(catalog.frameworks.items())
        ]
