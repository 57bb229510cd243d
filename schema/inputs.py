"""Mutation inputs: one per command; IDs are global IDs, defaults as in core."""

from __future__ import annotations

from datetime import datetime

import strawberry
from mentorlog.schema.enums import (
    CareerStage,
    FeedbackSource,
    GoalTerm,
    SupportKind,
    TokenRole,
)
from strawberry.scalars import JSON

ID = strawberry.ID
MENTORSHIP_ID = "The mentorship's global ID."
PROGRAM_ID = "The program's global ID."
GOAL_ID = "The goal's global ID."
MEETING_ID = "The meeting's global ID."


@strawberry.input(description="What every command input carries.")
class CommandInput:
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string unique to this change, chosen by the client; "
        "retrying with the same key records the change once and returns "
        "the same result.",
    )


# -- programs ---------------------------------------------------------------------


@strawberry.input(
    description="A new program's criteria, formats and default framework."
)
class CreateProgramInput(CommandInput):
    name: str = strawberry.field(description="The program's name.")
    description: str = strawberry.field(default="", description="What it is for.")
    mentor_min_years_experience: float = strawberry.field(
        default=0, description="Years of experience a mentor needs at least."
    )
    mentee_min_tenure_years: float = strawberry.field(
        default=0, description="Years of tenure a mentee needs at least."
    )
    duration_months: int = strawberry.field(
        default=12, description="How long mentorships run, 1-120 months."
    )
    cadence_days: int = strawberry.field(
        default=30, description="Days between meetings, 1-365."
    )
    formats: list[str] = strawberry.field(
        default_factory=lambda: ["one_on_one"],
        description="Names of the formats to enable (see Query.formats).",
    )
    default_framework: str = strawberry.field(
        default="smart", description="The goal framework goals use by default."
    )
    admins: list[ID] = strawberry.field(
        default_factory=list,
        description="Global IDs of the people who administer it; whoever creates "
        "it is one of them.",
    )


@strawberry.input(
    description="A goal every new mentorship of a program will start with."
)
class AddStarterGoalInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    title: str = strawberry.field(description="The goal's title.")
    framework: str | None = strawberry.field(
        default=None, description="The goal framework; the program's default if null."
    )
    fields: JSON | None = strawberry.field(
        default=None, description="The framework's field values, as an object."
    )
    term: GoalTerm = strawberry.field(
        default=GoalTerm.SHORT, description="Short or long."
    )
    locked: bool = strawberry.field(
        default=False, description="Whether only a program admin may change it later."
    )


@strawberry.input(description="One meeting of a connection plan.")
class PlannedMeetingInput:
    title: str = strawberry.field(description="What the meeting is called.")
    week_start: int = strawberry.field(description="The first week it may fall in.")
    week_end: int = strawberry.field(description="The last week it may fall in.")
    agenda: list[str] = strawberry.field(
        default_factory=list, description="The default agenda items."
    )


@strawberry.input(description="A program's new connection plan, replacing the old one.")
class SetConnectionPlanInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    meetings: list[PlannedMeetingInput] = strawberry.field(
        description="The planned meetings, in order; they are numbered from 1."
    )


@strawberry.input(description="A registered person to make an admin of a program.")
class AddProgramAdminInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description="The person's global ID.")


# -- people -----------------------------------------------------------------------


@strawberry.input(description="A person's career profile and capacity.")
class RegisterPersonInput(CommandInput):
    display_name: str = strawberry.field(description="The name to show.")
    career_stage: CareerStage = strawberry.field(
        description="Early, mid or late career."
    )
    years_experience: float = strawberry.field(description="Years of work experience.")
    tenure_years: float = strawberry.field(description="Years at this organisation.")
    skills: list[str] = strawberry.field(
        default_factory=list, description="Skills they can share."
    )
    interests: list[str] = strawberry.field(
        default_factory=list, description="What they want to learn."
    )
    capacity: int = strawberry.field(
        default=1, description="How many mentorships they take at once."
    )
    email: str | None = strawberry.field(
        default=None,
        description="Contact email; stored sealed with the person's own key, "
        "so erasing them erases it.",
    )


# -- mentorship lifecycle ---------------------------------------------------------


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


# -- agreement --------------------------------------------------------------------


@strawberry.input(description="The expectations agreement the participants will sign.")
class RecordAgreementInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    communication: str = strawberry.field(description="How they communicate.")
    confidentiality: str = strawberry.field(description="What stays between them.")
    schedule: str = strawberry.field(description="When and how often they meet.")
    outcomes: list[str] = strawberry.field(description="The outcomes they expect.")


@strawberry.input(
    description="Which mentorship's agreement the acting participant signs."
)
class SignAgreementInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)


# -- goals ------------------------------------------------------------------------


@strawberry.input(description="A new goal in a goal framework.")
class SetGoalInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    title: str = strawberry.field(description="The goal's title.")
    framework: str | None = strawberry.field(
        default=None, description="The goal framework; the program's default if null."
    )
    fields: JSON | None = strawberry.field(
        default=None, description="The framework's field values, as an object."
    )
    term: GoalTerm = strawberry.field(
        default=GoalTerm.SHORT, description="Short or long."
    )
    private: bool = strawberry.field(
        default=False, description="Whether only its owner may see it."
    )
    owner_id: ID | None = strawberry.field(
        default=None,
        description="The owning participant's global ID; the acting person if null.",
    )


@strawberry.input(description="A goal's new title or fields, with a reason.")
class ReviseGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    title: str | None = strawberry.field(
        default=None, description="The new title; unchanged if null."
    )
    fields: JSON | None = strawberry.field(
        default=None, description="The new field values; unchanged if null."
    )
    reason: str = strawberry.field(default="", description="Why it changes.")


@strawberry.input(
    description="Progress on a goal: a percent, or each key result's value."
)
class RecordGoalProgressInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    percent: float | None = strawberry.field(
        default=None, description="Percent complete, 0-100 (most frameworks)."
    )
    key_results: list[float] | None = strawberry.field(
        default=None, description="The current value of each key result (OKR)."
    )
    note: str = strawberry.field(default="", description="A note on the progress.")


@strawberry.input(description="Which goal was achieved.")
class AchieveGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    note: str = strawberry.field(default="", description="A note on the achievement.")


@strawberry.input(description="Which goal is abandoned, and why.")
class AbandonGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    reason: str = strawberry.field(description="Why it is abandoned.")


# -- milestones -------------------------------------------------------------------


@strawberry.input(description="A milestone reached, optionally towards a goal.")
class ReachMilestoneInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    title: str = strawberry.field(description="What was reached.")
    goal_id: ID | None = strawberry.field(
        default=None, description="The goal it marks progress towards, if any."
    )
    note: str = strawberry.field(default="", description="A note about it.")


@strawberry.input(description="How a milestone was celebrated.")
class CelebrateMilestoneInput(CommandInput):
    milestone_id: ID = strawberry.field(description="The milestone's global ID.")
    how: str = strawberry.field(description="How it was celebrated.")


# -- meetings ---------------------------------------------------------------------


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


# -- reviews and feedback ---------------------------------------------------------


@strawberry.input(description="A periodic review (check-in).")
class RecordReviewInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    progress_rating: int = strawberry.field(description="Progress so far, 1 to 5.")
    went_well: str = strawberry.field(default="", description="What went well.")
    challenges: str = strawberry.field(default="", description="What was hard.")
    support: list[SupportKind] = strawberry.field(
        default_factory=list, description="The kinds of support given."
    )
    next_steps: str = strawberry.field(default="", description="What comes next.")


@strawberry.input(description="Feedback on a mentorship or one of its participants.")
class GiveFeedbackInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    text: str = strawberry.field(description="The feedback itself.")
    source: FeedbackSource = strawberry.field(
        default=FeedbackSource.PARTICIPANT, description="Who gives it."
    )
    about_id: ID | None = strawberry.field(
        default=None, description="The global ID of the participant it is about."
    )
    rating: int | None = strawberry.field(default=None, description="A 1-5 rating.")


# -- notes and sharing -------------------------------------------------------------

NOTE_ID = "The note's global ID."
SHARED_WITH = (
    "The global IDs of the partners (participants of the mentorship) who may read "
    "it, besides its owner; this list replaces the previous one, and an empty list "
    "shares it with nobody."
)


@strawberry.input(description="A note by the acting participant, maybe on a meeting.")
class WriteNoteInput(CommandInput):
    mentorship_id: ID = strawberry.field(description=MENTORSHIP_ID)
    text: str = strawberry.field(description="What the note says (up to 20,000).")
    meeting_id: ID | None = strawberry.field(
        default=None, description="The global ID of the meeting it is about, if any."
    )
    private: bool = strawberry.field(
        default=True,
        description="Whether only its author, and the partners they share it with, "
        "may read it (the default); a note that is not private is read by all who "
        "read the mentorship.",
    )


@strawberry.input(description="A note's new text, by its author.")
class ReviseNoteInput(CommandInput):
    note_id: ID = strawberry.field(description=NOTE_ID)
    text: str = strawberry.field(description="The new text.")


@strawberry.input(description="Whom the owner of a private goal shares it with.")
class ShareGoalInput(CommandInput):
    goal_id: ID = strawberry.field(description=GOAL_ID)
    shared_with: list[ID] = strawberry.field(description=SHARED_WITH)


@strawberry.input(description="Whom the author of a private note shares it with.")
class ShareNoteInput(CommandInput):
    note_id: ID = strawberry.field(description=NOTE_ID)
    shared_with: list[ID] = strawberry.field(description=SHARED_WITH)


# -- people and tokens ------------------------------------------------------------


@strawberry.input(description="Whose personal data to erase, and why.")
class ErasePersonInput(CommandInput):
    person_id: ID = strawberry.field(description="The person's global ID.")
    reason: str = strawberry.field(default="", description="Why, for the record.")


@strawberry.input(
    description="Whom a new token names, in which role and program. A token cannot "
    "be issued twice, so this input takes no idempotency key."
)
class IssueTokenInput:
    person_id: ID = strawberry.field(description="The person's global ID.")
    role: TokenRole = strawberry.field(
        description="PARTICIPANT or ADMIN (auditor tokens come from the CLI)."
    )
    program_id: ID = strawberry.field(
        description="The program it is bound to: one you administer."
    )


@strawberry.input(description="Which token to revoke, and why.")
class RevokeTokenInput(CommandInput):
    credential_id: str = strawberry.field(
        description="The token's credential ID (see Query.viewer, issueToken)."
    )
    reason: str = strawberry.field(default="", description="Why, for the record.")
