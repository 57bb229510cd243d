"""The Query type: nodes by global ID, paged lists with filters, the plugin catalog."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry
from mentorlog.core.errors import NotFound
from mentorlog.core.history import history
from mentorlog.projections.asof import Replayed, replay
from mentorlog.projections.queries import MentorshipFilter as Where
from mentorlog.projections.readers import mark_erased, private_readers
from mentorlog.schema import ids
from mentorlog.schema.audit import StoreVerification, StreamVerification, Viewer
from mentorlog.schema.context import Info
from mentorlog.schema.enums import CareerStage, MentorshipStatus
from mentorlog.schema.errors import ClientError
from mentorlog.schema.mentorships.types import Mentorship, MentorshipConnection
from mentorlog.schema.nodes import NODE_TYPES
from mentorlog.schema.pagination import AFTER, BEFORE, FIRST, LAST, MAX_PAGE_SIZE
from mentorlog.schema.people import Person, PersonConnection
from mentorlog.schema.programs.catalog import Format, GoalFramework
from mentorlog.schema.programs.types import Program, ProgramConnection
from strawberry import relay

MAX_QUIET_DAYS = 3650

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
    quiet_for_days: int | None = strawberry.field(
        default=None,
        description="Only active mentorships whose people have not interacted (held "
        "a meeting, reviewed, recorded goal progress or feedback) for more than this "
        "many days, counting from the start or resumption: the ones to nudge.",
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
        quiet_before = None
        if self.quiet_for_days is not None:
            if not 0 <= self.quiet_for_days <= MAX_QUIET_DAYS:
                raise ClientError(
                    f"filter.quietForDays must be between 0 and {MAX_QUIET_DAYS}"
                )
            since = datetime.now(UTC) - timedelta(days=self.quiet_for_days)
            quiet_before = since.isoformat()
        return Where(
            program_id=program,
            format=self.format,
            status=self.status.value if self.status else None,
            participant_id=person,
            quiet_before=quiet_before,
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
AS_OF_ARG = (
    "Show the mentorship as it was at this moment (with a time zone), rebuilt by "
    "replaying its events; null if it did not exist yet. Leave out for now."
)


async def _as_of(info: Info, found: Mentorship, as_of: datetime) -> Mentorship | None:
    """The mentorship as it was at a moment, replayed from its events."""
    if as_of.tzinfo is None:
        raise ClientError("asOf needs a time zone, e.g. 2026-01-31T12:00:00Z")
    app = info.context.services.app

    def rebuild() -> Replayed | None:
        everything = history(app, found.id)
        entries = [e for e in everything if e.occurred_at <= as_of]
        replayed = replay(found.id, entries, as_of, app.sealer.open)
        if replayed is not None:
            # Private content is read as it is shared now (a withdrawn share stays
            # withdrawn) and as its owner's key stands now (erased stays erased).
            readers = private_readers(everything)
            replayed.readers = mark_erased(readers, app.sealer.keys.get)
            replayed.forget_erased()
        return replayed

    replayed = await asyncio.to_thread(rebuild)
    return Mentorship.from_replay(replayed) if replayed else None


@strawberry.type(
    description="Read programs, people, mentorships, their histories and the plugin "
    "catalog; verify the hash chains. Every read shows only what your token may "
    "read: what you may not read is null or left out, as if it did not exist."
)
class Query:
    @strawberry.field(description="Who your token names: person, role and program.")
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(info.context.principal)

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
            raise ClientError(f"ask for at most {MAX_PAGE_SIZE} IDs at once")
        return list(await asyncio.gather(*(_node(info, value) for value in ids)))

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
        return await _one(info, id, "Program")  # type: ignore[return-value]

    @strawberry.field(description="The people you may read, oldest registration first.")
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

    @strawberry.field(
        description="A person by their global ID; null if none has it or you may "
        "not read it."
    )
    async def person(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
    ) -> Person | None:
        return await _one(info, id, "Person")  # type: ignore[return-value]

    @strawberry.field(
        description="The mentorships you may read that match a filter, oldest first."
    )
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

    @strawberry.field(
        description="A mentorship by its global ID, now or at a past moment; null if "
        "none has it or you may not read it."
    )
    async def mentorship(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARG)],
        as_of: Annotated[
            datetime | None, strawberry.argument(description=AS_OF_ARG)
        ] = None,
    ) -> Mentorship | None:
        found = await _one(info, id, "Mentorship")
        if found is None or as_of is None:
            return found  # type: ignore[return-value]
        return await _as_of(info, found, as_of)  # type: ignore[arg-type]

    @strawberry.field(
        description="Verify one mentorship's hash chain: recompute each event's link "
        "and compare it with the stored one. Auditors only; null for others and for "
        "an unknown mentorship."
    )
    async def verify(
        self,
        info: Info,
        mentorship_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The mentorship's global ID."),
        ],
    ) -> StreamVerification | None:
        return await StreamVerification.of_mentorship(info, mentorship_id)

    @strawberry.field(
        description="Verify every stream of the store (mentorships, programs, people, "
        "credentials...) and digest the whole. Auditors only; null for others."
    )
    async def verify_all(self, info: Info) -> StoreVerification | None:
        return await StoreVerification.of_store(info)

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
