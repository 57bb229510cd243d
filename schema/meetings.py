"""Meeting mutations: schedule, hold, cancel a meeting."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from mentorlog.schema import authorize as auth
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.mutation_base import (
    ID,
    INPUT,
    MEETING_ID,
    MENTORSHIP_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decode_all,
    decoded_id,
    perform,
    scoped_mentorship_id,
    scoped_node,
)
from mentorlog.schema.types import (
    Meeting,
)


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


@strawberry.type(description="The result of scheduleMeeting.")
class ScheduleMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting scheduled. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


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


@strawberry.type(description="The result of holdMeeting.")
class HoldMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting, held. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A scheduled meeting to cancel.")
class CancelMeetingInput(CommandInput):
    meeting_id: ID = strawberry.field(description=MEETING_ID)
    reason: str = strawberry.field(default="", description="Why it is cancelled.")


@strawberry.type(description="The result of cancelMeeting.")
class CancelMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting, cancelled. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="Meeting mutations: schedule, hold, cancel a meeting.")
class MeetingsMutations:
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
        meeting = await scoped_node(
            info, Meeting, decoded_id(input.mentorship_id), recorded
        )
        return ScheduleMeetingPayload(meeting=meeting, user_errors=errors)

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
        mentorship_id = scoped_mentorship_id(input.meeting_id, "Meeting", "meetingId")
        meeting = await scoped_node(info, Meeting, mentorship_id, recorded)
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
        mentorship_id = scoped_mentorship_id(input.meeting_id, "Meeting", "meetingId")
        meeting = await scoped_node(info, Meeting, mentorship_id, recorded)
        return CancelMeetingPayload(meeting=meeting, user_errors=errors)
