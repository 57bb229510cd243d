"""The Mutation type: one mutation per command of the Mentoring service.

Each runs its command in a worker thread (the event store is synchronous), maps domain
errors to `userErrors`, then waits until the read models hold the new facts, so the
payload reads its own write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import MentorlogError, NotFound
from mentorlog.schema import ids
from mentorlog.schema import inputs as i
from mentorlog.schema import payloads as p
from mentorlog.schema.context import Info
from mentorlog.schema.errors import (
    ACTOR_REQUIRED,
    PROJECTION_TIMEOUT,
    UserError,
    user_errors,
)
from mentorlog.schema.types import Feedback as FeedbackType
from mentorlog.schema.types import (
    Goal,
    Meeting,
    Mentorship,
    Milestone,
    Person,
    Program,
)
from mentorlog.schema.types import Review as ReviewType

Command = Callable[[Mentoring, str], Recorded]


async def perform(
    info: Info, command: Command
) -> tuple[Recorded | None, list[UserError]]:
    """Run a command as the request's actor; return what it recorded, or why not."""
    context = info.context
    actor, problem = await context.actor()
    if actor is None:
        return None, [UserError(field=None, message=problem, code=ACTOR_REQUIRED)]
    try:
        recorded = await asyncio.to_thread(command, context.services.app, actor)
    except MentorlogError as error:
        return None, user_errors(error)
    context.refresh()
    if not await context.wait_for(recorded.position):
        timeout = context.services.settings.write_timeout
        message = (
            f"recorded, but the read models did not catch up within {timeout:g}s; "
            "read it again shortly"
        )
        return None, [UserError(field=None, message=message, code=PROJECTION_TIMEOUT)]
    return recorded, []


def _decode_all(values: list[str], type_name: str, field: str) -> list[str]:
    return [ids.decode(v, type_name, field) for v in values]


def _optional(value: str | None, type_name: str, field: str) -> str | None:
    return ids.decode(value, type_name, field) if value is not None else None


async def _program(
    info: Info, recorded: Recorded | None, program_id: str | None = None
) -> Program | None:
    if recorded is None:
        return None
    row = await info.context.loaders.program.load(program_id or recorded.id)
    return Program.from_row(row) if row else None


async def _mentorship(info: Info, recorded: Recorded | None) -> Mentorship | None:
    if recorded is None:
        return None
    row = await info.context.loaders.mentorship.load(recorded.id)
    return Mentorship.from_row(row) if row else None


async def _scoped(
    info: Info, cls: Any, mentorship_id: str | None, recorded: Recorded | None
) -> Any:
    if recorded is None or mentorship_id is None:
        return None
    row = await info.context.loaders.by_key(cls.__name__).load(
        (mentorship_id, recorded.id)
    )
    return cls.from_row(row) if row else None


def _scoped_id(value: str, type_name: str, field: str) -> tuple[str | None, str | None]:
    """Decode for the payload; a bad ID gives (None, None); the command reports it."""
    try:
        return ids.decode_scoped(value, type_name, field)
    except NotFound:
        return None, None


def _decoded(value: str, type_name: str = "Mentorship") -> str | None:
    """Decode for the payload; a bad ID yields None and the command reports it."""
    try:
        return ids.decode(value, type_name, "id")
    except NotFound:
        return None


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


INPUT = "What the command needs."


@strawberry.type(
    description="Record facts; each mutation runs one command of the service."
)
class Mutation:
    # -- programs -------------------------------------------------------------------

    @strawberry.mutation(description="Create a program with its criteria and formats.")
    async def create_program(
        self, info: Info, input: Annotated[i.CreateProgramInput, _arg(INPUT)]
    ) -> p.CreateProgramPayload:
        def command(app: Mentoring, actor: str) -> Recorded:
            return app.create_program(
                actor=actor,
                idempotency_key=input.idempotency_key,
                name=input.name,
                description=input.description,
                mentor_min_years_experience=input.mentor_min_years_experience,
                mentee_min_tenure_years=input.mentee_min_tenure_years,
                duration_months=input.duration_months,
                cadence_days=input.cadence_days,
                formats=input.formats,
                default_framework=input.default_framework,
                admins=_decode_all(input.admins, "Person", "admins"),
            )

        recorded, errors = await perform(info, command)
        return p.CreateProgramPayload(
            program=await _program(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Add a starter goal each new mentorship of the program receives."
    )
    async def add_starter_goal(
        self, info: Info, input: Annotated[i.AddStarterGoalInput, _arg(INPUT)]
    ) -> p.AddStarterGoalPayload:
        def command(app: Mentoring, actor: str) -> Recorded:
            return app.add_starter_goal(
                ids.decode(input.program_id, "Program", "programId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                title=input.title,
                framework=input.framework,
                fields=input.fields,  # type: ignore[arg-type]
                term=input.term.value,
                locked=input.locked,
            )

        recorded, errors = await perform(info, command)
        program = await _program(info, recorded, _decoded(input.program_id, "Program"))
        starters = program.starter_goals if program and recorded else []
        starter = next((g for g in starters if recorded and g.id == recorded.id), None)
        return p.AddStarterGoalPayload(
            program=program, starter_goal=starter, user_errors=errors
        )

    @strawberry.mutation(description="Replace a program's connection plan.")
    async def set_connection_plan(
        self, info: Info, input: Annotated[i.SetConnectionPlanInput, _arg(INPUT)]
    ) -> p.SetConnectionPlanPayload:
        def command(app: Mentoring, actor: str) -> Recorded:
            return app.set_connection_plan(
                ids.decode(input.program_id, "Program", "programId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                meetings=[
                    {
                        "title": m.title,
                        "week_start": m.week_start,
                        "week_end": m.week_end,
                        "agenda": m.agenda,
                    }
                    for m in input.meetings
                ],
            )

        recorded, errors = await perform(info, command)
        return p.SetConnectionPlanPayload(
            program=await _program(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Make a registered person an admin of a program.")
    async def add_program_admin(
        self, info: Info, input: Annotated[i.AddProgramAdminInput, _arg(INPUT)]
    ) -> p.AddProgramAdminPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.add_program_admin(
                ids.decode(input.program_id, "Program", "programId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                person_id=ids.decode(input.person_id, "Person", "personId"),
            ),
        )
        return p.AddProgramAdminPayload(
            program=await _program(info, recorded), user_errors=errors
        )

    # -- people --------------------------------------------------------------------

    @strawberry.mutation(description="Register a person with their career profile.")
    async def register_person(
        self, info: Info, input: Annotated[i.RegisterPersonInput, _arg(INPUT)]
    ) -> p.RegisterPersonPayload:
        def command(app: Mentoring, actor: str) -> Recorded:
            return app.register_person(
                actor=actor,
                idempotency_key=input.idempotency_key,
                display_name=input.display_name,
                career_stage=input.career_stage.value,
                years_experience=input.years_experience,
                tenure_years=input.tenure_years,
                skills=input.skills,
                interests=input.interests,
                capacity=input.capacity,
                email=input.email,
            )

        recorded, errors = await perform(info, command)
        person = None
        if recorded is not None:
            row = await info.context.loaders.person.load(recorded.id)
            person = Person.from_row(row) if row else None
        return p.RegisterPersonPayload(person=person, user_errors=errors)

    # -- mentorship lifecycle ------------------------------------------------------

    @strawberry.mutation(
        description="Propose a mentorship in a format, with people in roles."
    )
    async def propose_mentorship(
        self, info: Info, input: Annotated[i.ProposeMentorshipInput, _arg(INPUT)]
    ) -> p.ProposeMentorshipPayload:
        def command(app: Mentoring, actor: str) -> Recorded:
            return app.propose_mentorship(
                actor=actor,
                idempotency_key=input.idempotency_key,
                program_id=ids.decode(input.program_id, "Program", "programId"),
                format=input.format,
                participants=[
                    {
                        "person_id": ids.decode(x.person_id, "Person", "participants"),
                        "role": x.role,
                    }
                    for x in input.participants
                ],
                purpose=input.purpose,
            )

        recorded, errors = await perform(info, command)
        return p.ProposeMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Start a proposed mentorship: checks eligibility and capacity, "
        "and copies the program's starter goals."
    )
    async def start_mentorship(
        self, info: Info, input: Annotated[i.StartMentorshipInput, _arg(INPUT)]
    ) -> p.StartMentorshipPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.start_mentorship(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
            ),
        )
        return p.StartMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Pause an active mentorship.")
    async def pause_mentorship(
        self, info: Info, input: Annotated[i.PauseMentorshipInput, _arg(INPUT)]
    ) -> p.PauseMentorshipPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.pause_mentorship(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                reason=input.reason,
            ),
        )
        return p.PauseMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Resume a paused mentorship.")
    async def resume_mentorship(
        self, info: Info, input: Annotated[i.ResumeMentorshipInput, _arg(INPUT)]
    ) -> p.ResumeMentorshipPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.resume_mentorship(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
            ),
        )
        return p.ResumeMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Complete a mentorship and free its participants' capacity."
    )
    async def complete_mentorship(
        self, info: Info, input: Annotated[i.CompleteMentorshipInput, _arg(INPUT)]
    ) -> p.CompleteMentorshipPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.complete_mentorship(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                note=input.note,
            ),
        )
        return p.CompleteMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="End a mentorship early, with a reason.")
    async def end_mentorship(
        self, info: Info, input: Annotated[i.EndMentorshipInput, _arg(INPUT)]
    ) -> p.EndMentorshipPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.end_mentorship(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                reason=input.reason,
            ),
        )
        return p.EndMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    # -- agreement -----------------------------------------------------------------

    @strawberry.mutation(
        description="Record the expectations agreement; each participant then signs it."
    )
    async def record_agreement(
        self, info: Info, input: Annotated[i.RecordAgreementInput, _arg(INPUT)]
    ) -> p.RecordAgreementPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.record_agreement(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                communication=input.communication,
                confidentiality=input.confidentiality,
                schedule=input.schedule,
                outcomes=input.outcomes,
            ),
        )
        return p.RecordAgreementPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Sign the agreement as the acting participant.")
    async def sign_agreement(
        self, info: Info, input: Annotated[i.SignAgreementInput, _arg(INPUT)]
    ) -> p.SignAgreementPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.sign_agreement(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
            ),
        )
        return p.SignAgreementPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    # -- goals ---------------------------------------------------------------------

    @strawberry.mutation(description="Set a goal; its framework checks the fields.")
    async def set_goal(
        self, info: Info, input: Annotated[i.SetGoalInput, _arg(INPUT)]
    ) -> p.SetGoalPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.set_goal(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                title=input.title,
                framework=input.framework,
                fields=input.fields,  # type: ignore[arg-type]
                term=input.term.value,
                private=input.private,
                owner_id=_optional(input.owner_id, "Person", "ownerId"),
            ),
        )
        goal = await _scoped(info, Goal, _decoded(input.mentorship_id), recorded)
        return p.SetGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Revise a goal's title or fields, with a reason; locked starter "
        "goals need a program admin."
    )
    async def revise_goal(
        self, info: Info, input: Annotated[i.ReviseGoalInput, _arg(INPUT)]
    ) -> p.ReviseGoalPayload:
        mentorship_id, goal_id = _scoped_id(input.goal_id, "Goal", "goalId")

        def command(app: Mentoring, actor: str) -> Recorded:
            m, g = ids.decode_scoped(input.goal_id, "Goal", "goalId")
            return app.revise_goal(
                m,
                g,
                actor=actor,
                idempotency_key=input.idempotency_key,
                title=input.title,
                fields=input.fields,  # type: ignore[arg-type]
                reason=input.reason,
            )

        recorded, errors = await perform(info, command)
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.ReviseGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Record progress on a goal: a percent, or each key result's value."
    )
    async def record_goal_progress(
        self, info: Info, input: Annotated[i.RecordGoalProgressInput, _arg(INPUT)]
    ) -> p.RecordGoalProgressPayload:
        mentorship_id, _ = _scoped_id(input.goal_id, "Goal", "goalId")

        def command(app: Mentoring, actor: str) -> Recorded:
            m, g = ids.decode_scoped(input.goal_id, "Goal", "goalId")
            return app.record_goal_progress(
                m,
                g,
                actor=actor,
                idempotency_key=input.idempotency_key,
                percent=input.percent,
                key_results=input.key_results,
                note=input.note,
            )

        recorded, errors = await perform(info, command)
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.RecordGoalProgressPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(description="Mark a goal achieved.")
    async def achieve_goal(
        self, info: Info, input: Annotated[i.AchieveGoalInput, _arg(INPUT)]
    ) -> p.AchieveGoalPayload:
        mentorship_id, _ = _scoped_id(input.goal_id, "Goal", "goalId")

        def command(app: Mentoring, actor: str) -> Recorded:
            m, g = ids.decode_scoped(input.goal_id, "Goal", "goalId")
            return app.achieve_goal(
                m,
                g,
                actor=actor,
                note=input.note,
                idempotency_key=input.idempotency_key,
            )

        recorded, errors = await perform(info, command)
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.AchieveGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Abandon a goal, with a reason; locked starter goals need a "
        "program admin."
    )
    async def abandon_goal(
        self, info: Info, input: Annotated[i.AbandonGoalInput, _arg(INPUT)]
    ) -> p.AbandonGoalPayload:
        mentorship_id, _ = _scoped_id(input.goal_id, "Goal", "goalId")

        def command(app: Mentoring, actor: str) -> Recorded:
            m, g = ids.decode_scoped(input.goal_id, "Goal", "goalId")
            return app.abandon_goal(
                m,
                g,
                actor=actor,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            )

        recorded, errors = await perform(info, command)
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.AbandonGoalPayload(goal=goal, user_errors=errors)

    # -- milestones ----------------------------------------------------------------

    @strawberry.mutation(
        description="Record a milestone reached, optionally towards a goal."
    )
    async def reach_milestone(
        self, info: Info, input: Annotated[i.ReachMilestoneInput, _arg(INPUT)]
    ) -> p.ReachMilestonePayload:
        def command(app: Mentoring, actor: str) -> Recorded:
            mentorship_id = ids.decode(
                input.mentorship_id, "Mentorship", "mentorshipId"
            )
            goal_id = None
            if input.goal_id is not None:
                goal_mentorship, goal_id = ids.decode_scoped(
                    input.goal_id, "Goal", "goalId"
                )
                if goal_mentorship != mentorship_id:
                    raise NotFound("the goal belongs to another mentorship", "goalId")
            return app.reach_milestone(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                title=input.title,
                goal_id=goal_id,
                note=input.note,
            )

        recorded, errors = await perform(info, command)
        milestone = await _scoped(
            info, Milestone, _decoded(input.mentorship_id), recorded
        )
        return p.ReachMilestonePayload(milestone=milestone, user_errors=errors)

    @strawberry.mutation(description="Record how a milestone was celebrated.")
    async def celebrate_milestone(
        self, info: Info, input: Annotated[i.CelebrateMilestoneInput, _arg(INPUT)]
    ) -> p.CelebrateMilestonePayload:
        mentorship_id, _ = _scoped_id(input.milestone_id, "Milestone", "milestoneId")

        def command(app: Mentoring, actor: str) -> Recorded:
            m, x = ids.decode_scoped(input.milestone_id, "Milestone", "milestoneId")
            return app.celebrate_milestone(
                m, x, actor=actor, how=input.how, idempotency_key=input.idempotency_key
            )

        recorded, errors = await perform(info, command)
        milestone = await _scoped(info, Milestone, mentorship_id, recorded)
        return p.CelebrateMilestonePayload(milestone=milestone, user_errors=errors)

    # -- meetings ------------------------------------------------------------------

    @strawberry.mutation(
        description="Schedule a meeting; with a plan number, the plan's agenda is "
        "the default."
    )
    async def schedule_meeting(
        self, info: Info, input: Annotated[i.ScheduleMeetingInput, _arg(INPUT)]
    ) -> p.ScheduleMeetingPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.schedule_meeting(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                scheduled_for=input.scheduled_for.isoformat(),
                agenda=input.agenda,
                duration_minutes=input.duration_minutes,
                plan_number=input.plan_number,
            ),
        )
        meeting = await _scoped(info, Meeting, _decoded(input.mentorship_id), recorded)
        return p.ScheduleMeetingPayload(meeting=meeting, user_errors=errors)

    @strawberry.mutation(description="Record that a meeting took place, with notes.")
    async def hold_meeting(
        self, info: Info, input: Annotated[i.HoldMeetingInput, _arg(INPUT)]
    ) -> p.HoldMeetingPayload:
        mentorship_id, _ = _scoped_id(input.meeting_id, "Meeting", "meetingId")

        def command(app: Mentoring, actor: str) -> Recorded:
            m, x = ids.decode_scoped(input.meeting_id, "Meeting", "meetingId")
            return app.hold_meeting(
                m,
                x,
                actor=actor,
                idempotency_key=input.idempotency_key,
                notes=input.notes,
                duration_minutes=input.duration_minutes,
                attended=None
                if input.attended is None
                else _decode_all(input.attended, "Person", "attended"),
            )

        recorded, errors = await perform(info, command)
        meeting = await _scoped(info, Meeting, mentorship_id, recorded)
        return p.HoldMeetingPayload(meeting=meeting, user_errors=errors)

    @strawberry.mutation(description="Cancel a scheduled meeting.")
    async def cancel_meeting(
        self, info: Info, input: Annotated[i.CancelMeetingInput, _arg(INPUT)]
    ) -> p.CancelMeetingPayload:
        mentorship_id, _ = _scoped_id(input.meeting_id, "Meeting", "meetingId")

        def command(app: Mentoring, actor: str) -> Recorded:
            m, x = ids.decode_scoped(input.meeting_id, "Meeting", "meetingId")
            return app.cancel_meeting(
                m,
                x,
                actor=actor,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            )

        recorded, errors = await perform(info, command)
        meeting = await _scoped(info, Meeting, mentorship_id, recorded)
        return p.CancelMeetingPayload(meeting=meeting, user_errors=errors)

    # -- reviews and feedback ------------------------------------------------------

    @strawberry.mutation(description="Record a periodic review (check-in).")
    async def record_review(
        self, info: Info, input: Annotated[i.RecordReviewInput, _arg(INPUT)]
    ) -> p.RecordReviewPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.record_review(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                progress_rating=input.progress_rating,
                went_well=input.went_well,
                challenges=input.challenges,
                support=[s.value for s in input.support],
                next_steps=input.next_steps,
            ),
        )
        review = await _scoped(
            info, ReviewType, _decoded(input.mentorship_id), recorded
        )
        return p.RecordReviewPayload(review=review, user_errors=errors)

    @strawberry.mutation(
        description="Give feedback on a mentorship or one of its participants."
    )
    async def give_feedback(
        self, info: Info, input: Annotated[i.GiveFeedbackInput, _arg(INPUT)]
    ) -> p.GiveFeedbackPayload:
        recorded, errors = await perform(
            info,
            lambda app, actor: app.give_feedback(
                ids.decode(input.mentorship_id, "Mentorship", "mentorshipId"),
                actor=actor,
                idempotency_key=input.idempotency_key,
                text=input.text,
                source=input.source.value,
                about_id=_optional(input.about_id, "Person", "aboutId"),
                rating=input.rating,
            ),
        )
        feedback = await _scoped(
            info, FeedbackType, _decoded(input.mentorship_id), recorded
        )
        return p.GiveFeedbackPayload(feedback=feedback, user_errors=errors)
