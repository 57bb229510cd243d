"""Mutation payloads: the resulting object (null when refused) and `userErrors`."""

from __future__ import annotations

import strawberry
from mentorlog.schema.errors import UserError
from mentorlog.schema.feedback import Feedback
from mentorlog.schema.goals import Goal
from mentorlog.schema.meetings import Meeting
from mentorlog.schema.mentorships.types import Mentorship
from mentorlog.schema.milestones import Milestone
from mentorlog.schema.notes import Note
from mentorlog.schema.people import Person
from mentorlog.schema.programs.types import Program, StarterGoal
from mentorlog.schema.reviews import Review

USER_ERRORS = "Why the mutation was refused (nothing was recorded); empty on success."


@strawberry.type(description="The result of createProgram.")
class CreateProgramPayload:
    program: Program | None = strawberry.field(
        description="The program created. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of addStarterGoal.")
class AddStarterGoalPayload:
    program: Program | None = strawberry.field(
        description="The program, with the new starter goal. Null when refused."
    )
    starter_goal: StarterGoal | None = strawberry.field(
        description="The starter goal added."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of setConnectionPlan.")
class SetConnectionPlanPayload:
    program: Program | None = strawberry.field(
        description="The program, with its new plan. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of addProgramAdmin.")
class AddProgramAdminPayload:
    program: Program | None = strawberry.field(
        description="The program, with its new admin. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of registerPerson.")
class RegisterPersonPayload:
    person: Person | None = strawberry.field(
        description="The person registered. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


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


@strawberry.type(description="The result of recordAgreement.")
class RecordAgreementPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, with the agreement. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of signAgreement.")
class SignAgreementPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship, with the signature. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of setGoal.")
class SetGoalPayload:
    goal: Goal | None = strawberry.field(description="The goal set. Null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of shareGoal.")
class ShareGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, with whom it is shared now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of writeNote.")
class WriteNotePayload:
    note: Note | None = strawberry.field(
        description="The note written. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of reviseNote.")
class ReviseNotePayload:
    note: Note | None = strawberry.field(
        description="The note, revised. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of shareNote.")
class ShareNotePayload:
    note: Note | None = strawberry.field(
        description="The note, with whom it is shared now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of reviseGoal.")
class ReviseGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, revised. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of recordGoalProgress.")
class RecordGoalProgressPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, with its progress. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of achieveGoal.")
class AchieveGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, achieved. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of abandonGoal.")
class AbandonGoalPayload:
    goal: Goal | None = strawberry.field(
        description="The goal, abandoned. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of reachMilestone.")
class ReachMilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone reached. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of celebrateMilestone.")
class CelebrateMilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone, celebrated. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of scheduleMeeting.")
class ScheduleMeetingPayload:
    meeting: Meeting | None = strawberry.field(
        description="The meeting scheduled. Null when refused."
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


@strawberry.type(description="The result of recordReview.")
class RecordReviewPayload:
    review: Review | None = strawberry.field(
        description="The review recorded. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of giveFeedback.")
class GiveFeedbackPayload:
    feedback: Feedback | None = strawberry.field(
        description="The feedback given. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of erasePerson.")
class ErasePersonPayload:
    person: Person | None = strawberry.field(
        description="The person, now erased. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of issueToken.")
class IssueTokenPayload:
    token: str | None = strawberry.field(
        description="The bearer token. Shown this once: only its hash is stored. "
        "Null when refused."
    )
    credential_id: str | None = strawberry.field(
        description="The token's credential ID, to revoke it later."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of revokeToken.")
class RevokeTokenPayload:
    credential_id: str | None = strawberry.field(
        description="The credential revoked; its token authenticates nobody now. "
        "Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)
