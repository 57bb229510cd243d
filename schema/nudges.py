"""Nudges: a program's rules (`Program.nudgeRules`) and setNudgeRules.

The nudges themselves are events of each mentorship (NudgeSent, NudgeDelivered,
NudgeFailed, NudgeRetried): its history shows them, with each failed try's
error, and webhook endpoints may subscribe to them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from mentorlog.core.nudges import LIMITS
from mentorlog.projections import nudges as read
from mentorlog.projections.queries import Row
from mentorlog.schema import authorize as auth
from mentorlog.schema.commands import (
    ID,
    INPUT,
    PROGRAM_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decoded,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.graph import at


def _bounds(name: str, unit: str) -> str:
    low, high = LIMITS[name]
    return f"from {low} to {high} {unit}; null (the default) turns the rule off."


QUIET = "Nudge a mentorship's people when it has been quiet (no meeting, review, "
REMINDER = "Remind a meeting's people this many hours before it starts, "
AGREEMENT = "Nudge the participants who have not signed the expectations agreement "
CHANNELS = (
    "The notifiers nudges go through (the plugins' send_notification: built in, "
    "`email` to each person's address over SMTP and `webhook`, a NudgeSent event "
    "to the program's endpoints that take it)."
)


@strawberry.type(
    description="A program's nudge rules: which nudges its mentorships' people get, "
    "and on which channels. A nudge names the program, the person and a time, "
    "never a goal's or note's content."
)
class NudgeRules:
    quiet_after_days: int | None = strawberry.field(
        description=QUIET + "goal change or feedback) this many days; null: off."
    )
    meeting_reminder_hours: int | None = strawberry.field(
        description=REMINDER + "once per meeting time; null: off."
    )
    agreement_unsigned_days: int | None = strawberry.field(
        description=AGREEMENT + "this many days after it was recorded; null: off."
    )
    channels: list[str] = strawberry.field(description=CHANNELS)
    updated_at: datetime = strawberry.field(description="When they were last set.")

    @classmethod
    def from_row(cls, row: Row) -> NudgeRules:
        """Build from a `nudge_rules` row."""
        return cls(
            quiet_after_days=row["quiet_after_days"],
            meeting_reminder_hours=row["meeting_reminder_hours"],
            agreement_unsigned_days=row["agreement_unsigned_days"],
            channels=list(row["channels"]),
            updated_at=at(row["updated_at"]),
        )


async def rules_of(info: Info, program_id: str) -> NudgeRules | None:
    """A program's nudge rules, as the read models hold them; None if never set."""
    row = await read.rules_of(info.context.db, program_id)
    return NudgeRules.from_row(row) if row else None


@strawberry.input(
    description="A program's nudge rules, replacing the last ones; a rule left "
    "null is off."
)
class SetNudgeRulesInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    quiet_after_days: int | None = strawberry.field(
        default=None,
        description=QUIET
        + "goal change or feedback) this many days: "
        + _bounds("quiet_after_days", "days"),
    )
    meeting_reminder_hours: int | None = strawberry.field(
        default=None,
        description=REMINDER + _bounds("meeting_reminder_hours", "hours"),
    )
    agreement_unsigned_days: int | None = strawberry.field(
        default=None,
        description=AGREEMENT
        + "this many days after it was recorded: "
        + _bounds("agreement_unsigned_days", "days"),
    )
    channels: list[str] = strawberry.field(
        default_factory=lambda: ["email"],
        description=CHANNELS + " Default: email.",
    )


@strawberry.type(description="The result of setNudgeRules.")
class SetNudgeRulesPayload:
    nudge_rules: NudgeRules | None = strawberry.field(
        description="The program's rules now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class NudgeMutations:
    """The mutations of nudges."""

    @strawberry.mutation(
        description="Set a program's nudge rules: quiet mentorships, meeting "
        "reminders, unsigned agreements, and the channels nudges go through."
    )
    async def set_nudge_rules(
        self, info: Info, input: Annotated[SetNudgeRulesInput, arg(INPUT)]
    ) -> SetNudgeRulesPayload:
        command = auth.on_program(
            "set_nudge_rules",
            input.program_id,
            lambda app, program_id, actor: app.set_nudge_rules(
                program_id, actor=actor, **arguments(input, "set_nudge_rules")
            ),
        )
        recorded, errors = await perform(info, command)
        program_id = decoded(input.program_id, "Program")
        rules = (
            await rules_of(info, program_id)
            if recorded is not None and program_id is not None
            else None
        )
        return SetNudgeRulesPayload(nudge_rules=rules, user_errors=errors)
