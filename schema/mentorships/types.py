"""Mentorships: the Mentorship node, its activity and pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from mentorlog.projections import queries
from mentorlog.projections.activity import days_since
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import MentorshipFilter, Row
from mentorlog.projections.readers import mark_erased, private_readers
from mentorlog.schema import history as events
from mentorlog.schema.agreement import Agreement
from mentorlog.schema.context import Info
from mentorlog.schema.enums import InteractionKind, MentorshipStatus, RoleSide
from mentorlog.schema.feedback import Feedback
from mentorlog.schema.goals import Goal
from mentorlog.schema.graph import at, when
from mentorlog.schema.meetings import Meeting
from mentorlog.schema.milestones import Milestone
from mentorlog.schema.notes import Note
from mentorlog.schema.pagination import encode_cursor, page_info, page_request
from mentorlog.schema.programs.catalog import Format
from mentorlog.schema.programs.types import Program
from mentorlog.schema.reviews import Review
from mentorlog.schema.values import Actor, Participant
from strawberry import relay


@strawberry.type(
    description="When a mentorship's people last interacted, for nudging quiet ones."
)
class Activity:
    last_kind: InteractionKind | None = strawberry.field(
        description="The kind of the last interaction; null before the first."
    )
    last_at: datetime | None = strawberry.field(
        description="When the last interaction was recorded."
    )
    last_by: Actor | None = strawberry.field(description="Who recorded it.")
    quiet_since: datetime = strawberry.field(
        description="Since when nothing happened: the last interaction, or the start "
        "or resumption if later (time paused does not count)."
    )
    quiet_days: int = strawberry.field(
        description="Whole days quiet, up to now (or the moment an asOf view shows)."
    )
    interactions: int = strawberry.field(description="How many interactions so far.")

    @classmethod
    def from_row(cls, row: Row, now: datetime) -> Activity:
        """Build from an `activity` row, counting quiet days up to now."""
        return cls(
            last_kind=InteractionKind(row["last_kind"]) if row["last_kind"] else None,
            last_at=when(row["last_at"]),
            last_by=Actor.parse(row["last_by"]) if row["last_by"] else None,
            quiet_since=at(row["quiet_since"]),
            quiet_days=days_since(row["quiet_since"], now),
            interactions=row["interactions"],
        )


TYPES_ARG = "Only events of these types; all when left out."


AS_OF = (
    "Null for the current state; else the moment this view shows, rebuilt by "
    "replaying the mentorship's events up to it."
)


@strawberry.type(
    description="A mentoring relationship in one format, from proposal to end."
)
class Mentorship(relay.Node):
    id: relay.NodeID[str]
    format_name: str = strawberry.field(description="The name of its format.")
    purpose: str = strawberry.field(description="What the mentorship is for.")
    status: MentorshipStatus = strawberry.field(
        description="Where it is in its lifecycle."
    )
    status_reason: str = strawberry.field(
        description="Why it was paused or ended, or the note it completed with."
    )
    agreement: Agreement | None = strawberry.field(
        description="The expectations agreement, once recorded."
    )
    version: int = strawberry.field(
        description="The version of its event stream the lifecycle fields reflect."
    )
    created_at: datetime = strawberry.field(description="When it was proposed.")
    started_at: datetime | None = strawberry.field(description="When it started.")
    closed_at: datetime | None = strawberry.field(
        description="When it completed or ended."
    )
    updated_at: datetime = strawberry.field(
        description="When its lifecycle last changed."
    )
    program_id: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Mentorship:
        """Build from a `mentorships` row (or a replayed one)."""
        return cls(
            id=row["id"],
            format_name=row["format"],
            purpose=row["purpose"],
            status=MentorshipStatus(row["status"]),
            status_reason=row["status_reason"],
            agreement=Agreement.from_dict(row["agreement"])
            if row["agreement"]
            else None,
            version=row["version"],
            created_at=at(row["created_at"]),
            started_at=when(row["started_at"]),
            closed_at=when(row["closed_at"]),
            updated_at=at(row["updated_at"]),
            program_id=row["program_id"],
            replay=replay,
        )

    @classmethod
    def from_replay(cls, replay: Replayed) -> Mentorship:
        """Build the view of a mentorship at a past moment."""
        return cls.from_row(replay.mentorship, replay)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Mentorship | None]:
        """Load mentorships by node ID."""
        rows = await info.context.loaders.mentorship.load_many(list(node_ids))
        return [cls.from_row(r) if r else None for r in rows]

    async def _rows(self, info: Info, table: str) -> list[Row]:
        """The rows of a per-mentorship table, replayed or from the read models."""
        if self.replay is not None:
            return self.replay.rows(table)
        loaders = info.context.loaders
        loader = {
            "participants": loaders.participants,
            "goals": loaders.goals,
            "milestones": loaders.milestones,
            "meetings": loaders.meetings,
            "reviews": loaders.reviews,
            "feedback": loaders.feedback_given,
            "notes": loaders.notes,
        }[table]
        return await loader.load(self.id)

    @strawberry.field(description=AS_OF)
    def as_of(self) -> datetime | None:
        return self.replay.as_of if self.replay else None

    @strawberry.field(description="The program it belongs to.")
    async def program(self, info: Info) -> Program | None:
        row = await info.context.loaders.program.load(self.program_id)
        return Program.from_row(row) if row else None

    @strawberry.field(
        description="Its format, or null when the format's plugin is not loaded."
    )
    def format(self, info: Info) -> Format | None:
        found = info.context.services.catalog.format(self.format_name)
        return Format.from_plugin(found) if found else None

    @strawberry.field(description="The people taking part, with their roles.")
    async def participants(self, info: Info) -> list[Participant]:
        return [
            Participant(
                role=r["role"], side=RoleSide(r["side"]), person_id=r["person_id"]
            )
            for r in await self._rows(info, "participants")
        ]

    @strawberry.field(description="Its goals, in the order they were set.")
    async def goals(self, info: Info) -> list[Goal]:
        return [Goal.from_row(r, self.replay) for r in await self._rows(info, "goals")]

    @strawberry.field(description="Milestones reached, in order.")
    async def milestones(self, info: Info) -> list[Milestone]:
        rows = await self._rows(info, "milestones")
        return [Milestone.from_row(r, self.replay) for r in rows]

    @strawberry.field(description="Meetings, in the order they were scheduled.")
    async def meetings(self, info: Info) -> list[Meeting]:
        rows = await self._rows(info, "meetings")
        return [Meeting.from_row(r, self.replay) for r in rows]

    @strawberry.field(description="Periodic reviews (check-ins), in order.")
    async def reviews(self, info: Info) -> list[Review]:
        rows = await self._rows(info, "reviews")
        return [Review.from_row(r, self.replay) for r in rows]

    @strawberry.field(description="Feedback given, in order.")
    async def feedback(self, info: Info) -> list[Feedback]:
        rows = await self._rows(info, "feedback")
        return [Feedback.from_row(r, self.replay) for r in rows]

    @strawberry.field(
        description="Its participants' notes, in the order they were written. A "
        "private note's text is for its author and the partners they share it with."
    )
    async def notes(self, info: Info) -> list[Note]:
        rows = await self._rows(info, "notes")
        return [Note.from_row(r, self.replay) for r in rows]

    @strawberry.field(
        description="When its people last interacted, and since when it is quiet."
    )
    async def activity(self, info: Info) -> Activity | None:
        if self.replay is not None:
            return Activity.from_row(self.replay.activity, self.replay.as_of)
        row = await info.context.loaders.activity.load(self.id)
        return Activity.from_row(row, datetime.now(UTC)) if row else None

    @strawberry.field(
        description="Its recorded events, oldest first, each with its sequence, "
        "time, actor and chain hash (up to the moment an asOf view shows)."
    )
    async def history(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Return at most this many events (default 20, at most 100)."
            ),
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Return events after this.")
        ] = None,
        types: Annotated[
            list[events.MentorshipEventType] | None,  # type: ignore[valid-type]
            strawberry.argument(description=TYPES_ARG),
        ] = None,
    ) -> events.MentorshipEventConnection:
        context = info.context
        replay = self.replay
        if replay is None:
            entries, readers = await context.stream(self.id)
        elif replay.readers is not None:
            entries, readers = replay.entries, replay.readers
        else:
            entries = replay.entries
            keys = context.services.app.sealer.keys
            readers = await context.in_thread(
                mark_erased, private_readers(entries), keys.get
            )
        # Opening sealed values reads the key store: off the event loop too.
        return await context.in_thread(
            events.page_of_events,
            entries,
            self.id,
            context.principal,
            context.services.app.sealer.open,
            first,
            after,
            [str(t.value) for t in types] if types is not None else None,  # type: ignore[attr-defined]
            readers,
        )


@strawberry.type(description="A page of mentorships.")
class MentorshipConnection(relay.Connection[Mentorship]):
    @classmethod
    async def load(
        cls,
        info: Info,
        where: MentorshipFilter,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> MentorshipConnection:
        """Load one keyset page of mentorships matching the filter."""
        request = page_request(first, after, last, before)
        page = await queries.page_mentorships(
            info.context.db, request, where, info.context.scope
        )
        return cls(
            page_info=page_info(page),
            edges=[
                relay.Edge(cursor=encode_cursor(r["seq"]), node=Mentorship.from_row(r))
                for r in page.rows
            ],
        )
