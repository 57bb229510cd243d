"""Meetings: the Meeting node, its invite, and scheduling, moving, holding them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.schema import authorize as auth
from mentorlog.schema.commands import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decode_all,
    decoded,
    perform,
    scoped,
    scoped_id,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import MeetingStatus
from mentorlog.schema.errors import UserError
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
)
from mentorlog.schema.ics import Attendee, calendar_of
from mentorlog.schema.people import Person, people_of
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(description="A meeting of a mentorship: scheduled, held or cancelled.")
class Meeting(relay.Node):
    id: relay.NodeID[str]
    scheduled_for: datetime = strawberry.field(description="When it is (or was) due.")
    duration_minutes: int = strawberry.field(
        description="Planned length, or the actual length once held."
    )
    agenda: list[str] = strawberry.field(description="The agenda items.")
    plan_number: int | None = strawberry.field(
        description="The connection-plan meeting it stands for, if any."
    )
    status: MeetingStatus = strawberry.field(
        description="Scheduled, held or cancelled."
    )
    notes: str = strawberry.field(description="Shared notes, once held.")
    reason: str = strawberry.field(description="Why it was cancelled, if it was.")
    scheduled_by: Actor = strawberry.field(description="Who scheduled it.")
    time_zone: str = strawberry.field(
        description="The IANA time zone it is held in, e.g. Europe/Berlin."
    )
    location: str = strawberry.field(description="Where it is held, if in person.")
    conference_url: str = strawberry.field(
        description="The conference link (http or https), if online."
    )
    revision: int = strawberry.field(
        description="How many times it was rescheduled (the invite's SEQUENCE)."
    )
    row: strawberry.Private[Row]
    attendee_ids: strawberry.Private[list[str]]
    created_at: datetime = strawberry.field(description="When it was scheduled.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    mentorship_id: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Meeting:
        """Build from a `meetings` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            scheduled_for=at(row["scheduled_for"]),
            duration_minutes=row["duration_minutes"],
            agenda=list(row["agenda"]),
            plan_number=row["plan_number"],
            status=MeetingStatus(row["status"]),
            notes=row["notes"],
            reason=row["reason"],
            scheduled_by=Actor.parse(row["scheduled_by"]),
            time_zone=row["time_zone"],
            location=row["location"],
            conference_url=row["conference_url"],
            revision=row["revision"],
            row=row,
            attendee_ids=list(row["attended"]),
            created_at=at(row["created_at"]),
            updated_at=at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Meeting | None]:
        """Load meetings by node ID."""
        rows = await load_scoped(info, "Meeting", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(
        description="The meeting as an iCalendar (RFC 5545) invite: a VEVENT with "
        "its zone's VTIMEZONE, SEQUENCE its revision, an ATTENDEE per participant "
        "you may read (display name, no email), no agenda or notes."
    )
    async def ics(self, info: Info) -> str:
        rows = await info.context.loaders.participants.load(self.mentorship_id)
        people = await people_of(info, [r["person_id"] for r in rows])
        attendees = [Attendee(str(p.id), p.display_name) for p in people]
        return calendar_of([self.row], {self.mentorship_id: attendees}).decode()

    @strawberry.field(description="Who attended, once held (empty before).")
    async def attended(self, info: Info) -> list[Person]:
        return await people_of(info, self.attendee_ids)

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)


MEETING_ID = "The meeting's global ID."


@strawberry.input(description="A meeting to schedule.")
class ScheduleMeetingInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    scheduled_for: datetime = strawberry.field(
        description="When it is, with a time zone, e.g. 2026-01-05T10:00:00Z."
    )
    agenda: list[str] = strawberry.field(
        default_factory=list,
        description="Agenda items; with a plan number and none given, the plan's.",
    )
    duration_minutes: int = strawberry.field(
        default=60, description="Planned length in minutes."
    )
    plan_number: int | None = strawberry.field(
        default=None, description="The program's connection-plan meeting it stands for."
    )
    time_zone: str = strawberry.field(
        default="UTC", description="The IANA time zone it is held in."
    )
    location: str = strawberry.field(
        default="", description="Where it is held, if in person."
    )
    conference_url: str = strawberry.field(
        default="", description="The conference link, http or https, if online."
    )


@strawberry.input(description="A scheduled meeting to move to a new time.")
class RescheduleMeetingInput(CommandInput):
    meeting_id: ID = strawberry.field(description="The meeting's global ID.")
    scheduled_for: datetime = strawberry.field(
        description="Its new time, with a time zone, e.g. 2026-01-05T10:00:00Z."
    )
    time_zone: str | None = strawberry.field(
        default=None, description="A new IANA time zone; null keeps the old one."
    )
    location: str | None = strawberry.field(
        default=None, description="A new place; null keeps the old one."
    )
    conference_url: str | None = strawberry.field(
        default=None, description="A new conference link; null keeps the old one."
    )


@strawberry.input(description="A meeting that took place, with shared notes.")
class HoldMeetingInput(CommandInput):
    meeting_id: ID = strawberry.field(description=MEETING_ID)
    notes: str = strawberry.field(default="", description="Shared notes.")
    duration_minutes: int = strawberry.field(
        default=60, description="How long it actually took, in minutes."
    )
    attended: list[ID] | None = strawberry.field(
        default=None,
        description="Global IDs of the participants who came; everyone if null.",
    )


@strawberry.input(description="A scheduled meeting to cancel.")
class CancelMeetingInput(CommandInput):
    meeting_id: ID = strawberry.field(description=MEETING_ID)
    reason: str = strawberry.field(default="", description="Why it is cancelled.")


@strawberry.type(description="The result of scheduleMeeting.")
class ScheduleMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting scheduled. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of rescheduleMeeting.")
class RescheduleMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting, moved. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of holdMeeting.")
class HoldMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting, held. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of cancelMeeting.")
class CancelMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting, cancelled. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class MeetingMutations:
    """The mutations of meetings."""

    @strawberry.mutation(
        description="Schedule a meeting; with a plan number, the plan's agenda is "
        "the default."
    )
    async def schedule_meeting(
        self, info: Info, input: Annotated[ScheduleMeetingInput, arg(INPUT)]
    ) -> ScheduleMeetingPayload:
        command = auth.on_mentorship(
            "schedule_meeting",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.schedule_meeting(
                mentorship_id, actor=actor, **arguments(input, "schedule_meeting")
            ),
        )
        recorded, errors = await perform(info, command)
        meeting = await scoped(info, Meeting, decoded(input.mentorship_id), recorded)
        return ScheduleMeetingPayload(meeting=meeting, user_errors=errors)

    @strawberry.mutation(
        description="Move a scheduled meeting to a new time, maybe a new zone or place."
    )
    async def reschedule_meeting(
        self, info: Info, input: Annotated[RescheduleMeetingInput, arg(INPUT)]
    ) -> RescheduleMeetingPayload:
        command = auth.on_scoped(
            "reschedule_meeting",
            input.meeting_id,
            "Meeting",
            "meetingId",
            lambda app, mentorship_id, meeting_id, actor: app.reschedule_meeting(
                mentorship_id,
                meeting_id,
                actor=actor,
                **arguments(input, "reschedule_meeting"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_id(input.meeting_id, "Meeting", "meetingId")
        meeting = await scoped(info, Meeting, mentorship_id, recorded)
        return RescheduleMeetingPayload(meeting=meeting, user_errors=errors)

    @strawberry.mutation(description="Record that a meeting took place, with notes.")
    async def hold_meeting(
        self, info: Info, input: Annotated[HoldMeetingInput, arg(INPUT)]
    ) -> HoldMeetingPayload:
        command = auth.on_scoped(
            "hold_meeting",
            input.meeting_id,
            "Meeting",
            "meetingId",
            lambda app, mentorship_id, meeting_id, actor: app.hold_meeting(
                mentorship_id,
                meeting_id,
                actor=actor,
                **arguments(
                    input,
                    "hold_meeting",
                    attended=None
                    if input.attended is None
                    else decode_all(input.attended, "Person", "attended"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_id(input.meeting_id, "Meeting", "meetingId")
        meeting = await scoped(info, Meeting, mentorship_id, recorded)
        return HoldMeetingPayload(meeting=meeting, user_errors=errors)

    @strawberry.mutation(description="Cancel a scheduled meeting.")
    async def cancel_meeting(
        self, info: Info, input: Annotated[CancelMeetingInput, arg(INPUT)]
    ) -> CancelMeetingPayload:
        command = auth.on_scoped(
            "cancel_meeting",
            input.meeting_id,
            "Meeting",
            "meetingId",
            lambda app, mentorship_id, meeting_id, actor: app.cancel_meeting(
                mentorship_id,
                meeting_id,
                actor=actor,
                **arguments(input, "cancel_meeting"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = scoped_id(input.meeting_id, "Meeting", "meetingId")
        meeting = await scoped(info, Meeting, mentorship_id, recorded)
        return CancelMeetingPayload(meeting=meeting, user_errors=errors)
