"""Mentorships' queries: pages of mentorships by filter, one now or as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry
from mentorlog.core.errors import NotFound
from mentorlog.core.history import history
from mentorlog.core.inputs import check_storable
from mentorlog.projections.asof import Replayed, replay
from mentorlog.projections.queries import MentorshipFilter as Where
from mentorlog.projections.readers import mark_erased, private_readers
from mentorlog.schema import ids
from mentorlog.schema.context import Info
from mentorlog.schema.enums import MentorshipStatus
from mentorlog.schema.errors import ClientError
from mentorlog.schema.graph import ID_ARG, one
from mentorlog.schema.mentorships.types import Mentorship, MentorshipConnection
from mentorlog.schema.pagination import After, Before, First, Last

MAX_QUIET_DAYS = 3650


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
            raise ClientError(
                f"filter.{error.field}: {error.message}", argument="filter"
            ) from None
        problems = check_storable({"format": self.format})
        if problems:
            raise ClientError(f"filter.{problems[0].message}", argument="filter")
        quiet_before = None
        if self.quiet_for_days is not None:
            if not 0 <= self.quiet_for_days <= MAX_QUIET_DAYS:
                raise ClientError(
                    f"filter.quietForDays must be between 0 and {MAX_QUIET_DAYS}",
                    argument="filter",
                )
            since = datetime.now(UTC) - timedelta(days=self.quiet_for_days)
            quiet_before = since.isoformat()
        return Where(
            program_id=program,
            format=self.format,
            status=str(self.status.value) if self.status else None,
            participant_id=person,
            quiet_before=quiet_before,
        )


AS_OF_ARG = (
    "Show the mentorship as it was at this moment (with a time zone), rebuilt by "
    "replaying its events; null if it did not exist yet. Leave out for now."
)


async def _as_of(info: Info, found: Mentorship, as_of: datetime) -> Mentorship | None:
    """The mentorship as it was at a moment, replayed from its events."""
    if as_of.tzinfo is None:
        raise ClientError(
            "asOf needs a time zone, e.g. 2026-01-31T12:00:00Z", argument="asOf"
        )
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

    replayed = await info.context.in_thread(rebuild)
    return Mentorship.from_replay(replayed) if replayed else None


@strawberry.type
class MentorshipQueries:
    """Mentorships by filter, or one by ID (now or as of a moment)."""

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
        found = await one(info, id, Mentorship)
        if found is None or as_of is None:
            return found  # type: ignore[return-value]
        return await _as_of(info, found, as_of)  # type: ignore[arg-type]
