"""Calendar feeds: creating and revoking your own private feed of your meetings."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import Forbidden, NotFound
from mentorlog.core.policy import may_create_calendar_feed, may_revoke_calendar_feed
from mentorlog.schema.commands import (
    ID,
    INPUT,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    optional_id,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError

FEED_PATH = "/calendar/{token}.ics"


@strawberry.input(
    description="Which meetings your calendar feed shows. A feed's address is "
    "shown once, so this input takes no idempotency key."
)
class CreateCalendarFeedInput:
    program_id: ID | None = strawberry.field(
        default=None,
        description="Only this program's mentorships. By default every mentorship "
        "you take part in; with a participant token bound to a program, only that "
        "program's (and naming another is refused).",
    )


@strawberry.input(description="Why you revoke your calendar feed.")
class RevokeCalendarFeedInput(CommandInput):
    reason: str = strawberry.field(default="", description="Why, for the record.")


@strawberry.type(description="The result of createCalendarFeed.")
class CreateCalendarFeedPayload:
    url: str | None = strawberry.field(
        description="The feed's address (GET, no token needed: the address is the "
        "secret), on the host this request reached. Shown this once: only its "
        "token's hash is stored. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of revokeCalendarFeed.")
class RevokeCalendarFeedPayload:
    revoked: bool = strawberry.field(
        description="Whether the feed was revoked; its address answers 404 now."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def feed_url(info: Info, token: str) -> str:
    """The feed's absolute address, on the base URL the request came to."""
    path = FEED_PATH.format(token=token)
    request = info.context.request
    if request is None:
        return path
    return str(request.base_url).rstrip("/") + path


@strawberry.type
class CalendarFeedMutations:
    """The mutations of calendar feeds."""

    @strawberry.mutation(
        description="Create your private calendar feed: an iCalendar (RFC 5545) "
        "address your calendar app subscribes to, listing the meetings of your "
        "mentorships that have not ended (moved and cancelled ones too, with their "
        "STATUS), with their participants' names. It replaces the feed you had: the "
        "old address answers 404 from then on."
    )
    async def create_calendar_feed(
        self, info: Info, input: Annotated[CreateCalendarFeedInput, arg(INPUT)]
    ) -> CreateCalendarFeedPayload:
        made: list[str] = []

        def command(app: Mentoring, principal: Principal) -> Recorded:
            if principal.is_auditor:
                raise Forbidden("your token may not keep a calendar feed")
            program_id = optional_id(input.program_id, "Program", "programId")
            if program_id is None and principal.role == "participant":
                program_id = principal.program_id  # no wider than the token
            if not may_create_calendar_feed(principal, program_id):
                raise NotFound(f"no program with ID {program_id}", "programId")
            token, recorded = app.create_calendar_feed(
                actor=principal.actor,
                **arguments(input, "create_calendar_feed", program_id=program_id),
            )
            made.append(token)
            return recorded

        recorded, errors = await perform(info, command)
        return CreateCalendarFeedPayload(
            url=feed_url(info, made[0]) if recorded else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Revoke your calendar feed: its address answers 404 at once."
    )
    async def revoke_calendar_feed(
        self, info: Info, input: Annotated[RevokeCalendarFeedInput, arg(INPUT)]
    ) -> RevokeCalendarFeedPayload:
        def command(app: Mentoring, principal: Principal) -> Recorded:
            if not may_revoke_calendar_feed(principal):
                raise Forbidden("your token may not keep a calendar feed")
            return app.revoke_calendar_feed(
                actor=principal.actor, **arguments(input, "revoke_calendar_feed")
            )

        recorded, errors = await perform(info, command)
        return RevokeCalendarFeedPayload(
            revoked=recorded is not None, user_errors=errors
        )
