"""Enumerations; each value is the string the write side and read models store."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Where a mentorship is in its lifecycle.")
class MentorshipStatus(Enum):
    PROPOSED = strawberry.enum_value("proposed", description="Proposed, not started.")
    ACTIVE = strawberry.enum_value("active", description="Started and running.")
    PAUSED = strawberry.enum_value("paused", description="Paused; it can resume.")
    COMPLETED = strawberry.enum_value(
        "completed", description="Closed as completed; nothing new can be added."
    )
    ENDED = strawberry.enum_value(
        "ended", description="Ended early with a reason; nothing new can be added."
    )
    WITHDRAWN = strawberry.enum_value(
        "withdrawn", description="The proposal was withdrawn before it started."
    )
    DECLINED = strawberry.enum_value(
        "declined", description="A proposed participant declined before it started."
    )


@strawberry.enum(description="Where a goal stands.")
class GoalStatus(Enum):
    OPEN = strawberry.enum_value("open", description="Being worked on.")
    ACHIEVED = strawberry.enum_value("achieved", description="Achieved.")
    ABANDONED = strawberry.enum_value(
        "abandoned", description="Abandoned, with a reason."
    )


@strawberry.enum(description="The horizon of a goal.")
class GoalTerm(Enum):
    SHORT = strawberry.enum_value("short", description="A short-term goal.")
    LONG = strawberry.enum_value("long", description="A long-term goal.")


@strawberry.enum(description="Where a meeting stands.")
class MeetingStatus(Enum):
    SCHEDULED = strawberry.enum_value("scheduled", description="Planned, not yet held.")
    HELD = strawberry.enum_value("held", description="Took place.")
    CANCELLED = strawberry.enum_value("cancelled", description="Cancelled.")


@strawberry.enum(description="The kind of support a mentor gives.")
class SupportKind(Enum):
    INSTRUMENTAL = strawberry.enum_value(
        "instrumental", description="Career help: coaching, sponsorship, exposure."
    )
    PSYCHOSOCIAL = strawberry.enum_value(
        "psychosocial", description="Personal help: encouragement, counsel, friendship."
    )


@strawberry.enum(description="Who gave a piece of feedback.")
class FeedbackSource(Enum):
    PARTICIPANT = strawberry.enum_value(
        "participant", description="A participant of the mentorship."
    )
    MANAGER = strawberry.enum_value("manager", description="A participant's manager.")
    PEER = strawberry.enum_value("peer", description="A colleague.")
    PROGRAM = strawberry.enum_value("program", description="The program's team.")
    SELF = strawberry.enum_value("self", description="A self-reflection.")


@strawberry.enum(description="How far into their career a person is.")
class CareerStage(Enum):
    EARLY = strawberry.enum_value("early", description="Early career.")
    MID = strawberry.enum_value("mid", description="Mid career.")
    LATE = strawberry.enum_value("late", description="Late career.")


@strawberry.enum(description="The side of a mentoring relationship a role is on.")
class RoleSide(Enum):
    MENTOR = strawberry.enum_value("mentor", description="Gives guidance.")
    MENTEE = strawberry.enum_value("mentee", description="Receives guidance.")
    PEER = strawberry.enum_value("peer", description="Gives and receives support.")


@strawberry.enum(description="The kind of value a goal framework field holds.")
class GoalFieldType(Enum):
    TEXT = strawberry.enum_value("text", description="Free text.")
    DATE = strawberry.enum_value("date", description="A date, YYYY-MM-DD.")
    BOOLEAN = strawberry.enum_value("boolean", description="True or false.")
    NUMBER = strawberry.enum_value("number", description="A number.")
    KEY_RESULTS = strawberry.enum_value(
        "key_results", description="A list of {description, target, unit} objects."
    )


@strawberry.enum(description="A kind of interaction between a mentorship's people.")
class InteractionKind(Enum):
    MEETING_HELD = strawberry.enum_value("meeting_held", description="A meeting held.")
    REVIEW = strawberry.enum_value("review", description="A review recorded.")
    GOAL_PROGRESS = strawberry.enum_value(
        "goal_progress", description="Progress on a goal recorded."
    )
    GOAL_ACHIEVED = strawberry.enum_value(
        "goal_achieved", description="A goal achieved."
    )
    FEEDBACK = strawberry.enum_value("feedback", description="Feedback given.")


@strawberry.enum(description="What a token lets its person do.")
class TokenRole(Enum):
    PARTICIPANT = strawberry.enum_value(
        "participant",
        description="Read and change the mentorships they take part in.",
    )
    ADMIN = strawberry.enum_value(
        "admin",
        description="Run one program: its mentorships' progress, status and "
        "metadata, never private content.",
    )
    AUDITOR = strawberry.enum_value(
        "auditor",
        description="Read every event's metadata and public payload, verify the "
        "hash chains; never change anything.",
    )
