"""A mentorship's lifecycle: propose (withdraw, decline), start, pause ... end."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.application import Recorded
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    PROGRAM_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError
from mentorlog.schema.mentorships.types import Mentorship


@strawberry.input(description="A person proposed for a role.")
class ParticipantInput:
    person_id: ID = strawberry.field(description="The person's global ID.")
    role: str = strawberry.field(description="The role's name in the format.")


@strawberry.input(
    description="A proposed mentorship: program, format and people in roles."
)
class ProposeMentorshipInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    format: str = strawberry.field(
        description="The format's name; the program enables it."
    )
    participants: list[ParticipantInput] = strawberry.field(
        description="The people and their roles."
    )
    purpose: str = strawberry.field(
        default="", description="What the mentorship is for."
    )


@strawberry.input(description="Which proposal to withdraw, and why.")
class WithdrawProposalInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    reason: str = strawberry.field(default="", description="Why it is withdrawn.")


@strawberry.input(description="Which proposal you decline, and why.")
class DeclineProposalInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    reason: str = strawberry.field(description="Why you decline it.")


@strawberry.type(description="The result of withdrawProposal.")
class WithdrawProposalPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The proposal, withdrawn. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of declineProposal.")
class DeclineProposalPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The proposal, declined. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Which proposed mentorship to start.")
class StartMentorshipInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)


@strawberry.input(description="Which active mentorship to pause, and why.")
class PauseMentorshipInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    reason: str = strawberry.field(default="", description="Why it pauses.")


@strawberry.input(description="Which paused mentorship to resume.")
class ResumeMentorshipInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)


@strawberry.input(description="Which mentorship completed, with a closing note.")
class CompleteMentorshipInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    note: str = strawberry.field(default="", description="A closing note.")


@strawberry.input(description="Which mentorship ends early, and why.")
class EndMentorshipInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    reason: str = strawberry.field(description="Why it ends.")


@strawberry.type(description="The result of proposeMentorship.")
class ProposeMentorshipPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship proposed. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of startMentorship.")
class StartMentorshipPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, now active. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of pauseMentorship.")
class PauseMentorshipPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, now paused. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of resumeMentorship.")
class ResumeMentorshipPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, active again. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of completeMentorship.")
class CompleteMentorshipPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, now completed. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of endMentorship.")
class EndMentorshipPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, now ended. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _mentorship(info: Info, recorded: Recorded | None) -> Mentorship | None:
    """The mentorship a command changed, as the read models show it now."""
    if recorded is None:
        return None
    row = await info.context.loaders.mentorship.load(recorded.id)
    return Mentorship.from_row(row) if row else None


@strawberry.type
class LifecycleMutations:
    """The mutations of a mentorship's lifecycle."""

    @strawberry.mutation(
        description="Propose a mentorship in a format, with people in roles."
    )
    async def propose_mentorship(
        self, info: Info, input: Annotated[ProposeMentorshipInput, arg(INPUT)]
    ) -> ProposeMentorshipPayload:
        command = auth.on_program(
            "propose_mentorship",
            input.program_id,
            lambda app, program_id, actor: app.propose_mentorship(
                actor=actor,
                **arguments(
                    input,
                    "propose_mentorship",
                    program_id=program_id,
                    participants=[
                        {
                            "person_id": ids.decode(
                                x.person_id, "Person", "participants"
                            ),
                            "role": x.role,
                        }
                        for x in input.participants
                    ],
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        return ProposeMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Start a proposed mentorship: checks eligibility and capacity, "
        "and copies the program's starter goals."
    )
    async def start_mentorship(
        self, info: Info, input: Annotated[StartMentorshipInput, arg(INPUT)]
    ) -> StartMentorshipPayload:
        command = auth.on_mentorship(
            "start_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.start_mentorship(
                mentorship_id, actor=actor, **arguments(input, "start_mentorship")
            ),
        )
        recorded, errors = await perform(info, command)
        return StartMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Pause an active mentorship.")
    async def pause_mentorship(
        self, info: Info, input: Annotated[PauseMentorshipInput, arg(INPUT)]
    ) -> PauseMentorshipPayload:
        command = auth.on_mentorship(
            "pause_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.pause_mentorship(
                mentorship_id, actor=actor, **arguments(input, "pause_mentorship")
            ),
        )
        recorded, errors = await perform(info, command)
        return PauseMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Resume a paused mentorship.")
    async def resume_mentorship(
        self, info: Info, input: Annotated[ResumeMentorshipInput, arg(INPUT)]
    ) -> ResumeMentorshipPayload:
        command = auth.on_mentorship(
            "resume_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.resume_mentorship(
                mentorship_id, actor=actor, **arguments(input, "resume_mentorship")
            ),
        )
        recorded, errors = await perform(info, command)
        return ResumeMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Complete a mentorship and free its participants' capacity."
    )
    async def complete_mentorship(
        self, info: Info, input: Annotated[CompleteMentorshipInput, arg(INPUT)]
    ) -> CompleteMentorshipPayload:
        command = auth.on_mentorship(
            "complete_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.complete_mentorship(
                mentorship_id, actor=actor, **arguments(input, "complete_mentorship")
            ),
        )
        recorded, errors = await perform(info, command)
        return CompleteMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="End a mentorship early, with a reason; the reason 'rematch' "
        "returns both people to their program's pool, and metrics count it apart "
        "(rematched, not ended)."
    )
    async def end_mentorship(
        self, info: Info, input: Annotated[EndMentorshipInput, arg(INPUT)]
    ) -> EndMentorshipPayload:
        command = auth.on_mentorship(
            "end_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.end_mentorship(
                mentorship_id, actor=actor, **arguments(input, "end_mentorship")
            ),
        )
        recorded, errors = await perform(info, command)
        return EndMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Withdraw a proposal before it starts; it is not counted as an "
        "ended mentorship."
    )
    async def withdraw_proposal(
        self, info: Info, input: Annotated[WithdrawProposalInput, arg(INPUT)]
    ) -> WithdrawProposalPayload:
        command = auth.on_mentorship(
            "withdraw_proposal",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.withdraw_proposal(
                mentorship_id, actor=actor, **arguments(input, "withdraw_proposal")
            ),
        )
        recorded, errors = await perform(info, command)
        return WithdrawProposalPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Decline a proposal you are proposed in, before it starts."
    )
    async def decline_proposal(
        self, info: Info, input: Annotated[DeclineProposalInput, arg(INPUT)]
    ) -> DeclineProposalPayload:
        command = auth.on_mentorship(
            "decline_proposal",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.decline_proposal(
                mentorship_id, actor=actor, **arguments(input, "decline_proposal")
            ),
        )
        recorded, errors = await perform(info, command)
        return DeclineProposalPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )
