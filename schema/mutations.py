"""The Mutation type: one mutation per command of the Mentoring service.

Each runs its command in a worker thread (the event store is synchronous) as the
token's person, after checking the token may run it on its target (see
schema/authorize.py); it maps domain errors to `userErrors`, then waits until the
read models hold the new facts, so the payload reads its own write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import MentorlogError, NotFound
from mentorlog.core.policy import ReadScope, may_command, may_issue_token
from mentorlog.projections import queries
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema import inputs as i
from mentorlog.schema import payloads as p
from mentorlog.schema.authorize import Command
from mentorlog.schema.context import Info
from mentorlog.schema.errors import PROJECTION_TIMEOUT, UserError, user_errors
from mentorlog.schema.feedback import Feedback as FeedbackType
from mentorlog.schema.goals import Goal
from mentorlog.schema.loaders import Loaders
from mentorlog.schema.meetings import Meeting
from mentorlog.schema.mentorships.types import Mentorship
from mentorlog.schema.milestones import Milestone
from mentorlog.schema.notes import Note
from mentorlog.schema.people import Person
from mentorlog.schema.programs.types import Program
from mentorlog.schema.reviews import Review as ReviewType

Check = Callable[[], Awaitable[None]]


async def perform(
    info: Info, command: Command, check: Check | None = None
) -> tuple[Recorded | None, list[UserError]]:
    """Run a command as the token's person; return what it recorded, or why not."""
    context = info.context
    try:
        if check is not None:
            await check()
        recorded = await asyncio.to_thread(
            command, context.services.app, context.principal
        )
    except MentorlogError as error:
        return None, user_errors(error)
    if context.feed is not None:
        context.feed.poke()  # this process's subscribers hear of it at once
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


def _creator(info: Info) -> Loaders:
    """Loaders that show the creator what they just created, wherever it is."""
    principal = info.context.principal
    return Loaders(info.context.db, ReadScope(principal.person_id, everything=True))


async def _program(
    info: Info,
    recorded: Recorded | None,
    program_id: str | None = None,
    loaders: Loaders | None = None,
) -> Program | None:
    if recorded is None:
        return None
    loader = (loaders or info.context.loaders).program
    row = await loader.load(program_id or recorded.id)
    return Program.from_row(row) if row else None


async def _person(
    info: Info, recorded: Recorded | None, loaders: Loaders | None = None
) -> Person | None:
    if recorded is None:
        return None
    row = await (loaders or info.context.loaders).person.load(recorded.id)
    return Person.from_row(row) if row else None


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


def _scoped_id(value: str, type_name: str, field: str) -> str | None:
    """The mentorship of a scoped ID, for the payload; None if malformed."""
    try:
        return ids.decode_scoped(value, type_name, field)[0]
    except NotFound:
        return None


def _decoded(value: str, type_name: str = "Mentorship") -> str | None:
    """Decode for the payload; a bad ID yields None and the command reports it."""
    try:
        return ids.decode(value, type_name, "id")
    except NotFound:
        return None


async def _related(info: Info, value: str, field: str) -> str:
    """A person the token may read (in their program), or the NotFound of a stranger."""
    person_id = ids.decode(value, "Person", field)
    context = info.context
    found = await queries.people_by_id(context.db, [person_id], context.scope)
    if person_id not in found:
        raise NotFound(f"no person with ID {person_id}", field)
    return person_id


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


INPUT = "What the command needs."


@strawberry.type(
    description="Record facts; each mutation runs one command of the service as "
    "the token's person. A target the token may not change is refused exactly like "
    "an unknown ID (NOT_FOUND), and nothing is recorded."
)
class Mutation:
    # -- programs -------------------------------------------------------------------

    @strawberry.mutation(
        description="Create a program with its criteria and formats (admins only); "
        "its creator administers it."
    )
    async def create_program(
        self, info: Info, input: Annotated[i.CreateProgramInput, _arg(INPUT)]
    ) -> p.CreateProgramPayload:
        def command(app: Mentoring, principal: Principal) -> Recorded:
            auth.anywhere(principal, "create_program", "create programs")
            admins = [
                principal.person_id,
                *_decode_all(input.admins, "Person", "admins"),
            ]
            return app.create_program(
                actor=principal.actor,
                idempotency_key=input.idempotency_key,
                name=input.name,
                description=input.description,
                mentor_min_years_experience=input.mentor_min_years_experience,
                mentee_min_tenure_years=input.mentee_min_tenure_years,
                duration_months=input.duration_months,
                cadence_days=input.cadence_days,
                formats=input.formats,
                default_framework=input.default_framework,
                admins=list(dict.fromkeys(admins)),
            )

        recorded, errors = await perform(info, command)
        return p.CreateProgramPayload(
            program=await _program(info, recorded, loaders=_creator(info)),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Add a starter goal each new mentorship of the program receives."
    )
    async def add_starter_goal(
        self, info: Info, input: Annotated[i.AddStarterGoalInput, _arg(INPUT)]
    ) -> p.AddStarterGoalPayload:
        command = auth.on_program(
            "add_starter_goal",
            input.program_id,
            lambda app, program_id, actor: app.add_starter_goal(
                program_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                title=input.title,
                framework=input.framework,
                fields=input.fields,  # type: ignore[arg-type]
                term=input.term.value,
                locked=input.locked,
            ),
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
        plan = [
            {
                "title": m.title,
                "week_start": m.week_start,
                "week_end": m.week_end,
                "agenda": m.agenda,
            }
            for m in input.meetings
        ]
        command = auth.on_program(
            "set_connection_plan",
            input.program_id,
            lambda app, program_id, actor: app.set_connection_plan(
                program_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                meetings=plan,
            ),
        )
        recorded, errors = await perform(info, command)
        return p.SetConnectionPlanPayload(
            program=await _program(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Make a registered person an admin of a program.")
    async def add_program_admin(
        self, info: Info, input: Annotated[i.AddProgramAdminInput, _arg(INPUT)]
    ) -> p.AddProgramAdminPayload:
        command = auth.on_program(
            "add_program_admin",
            input.program_id,
            lambda app, program_id, actor: app.add_program_admin(
                program_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                person_id=ids.decode(input.person_id, "Person", "personId"),
            ),
        )
        recorded, errors = await perform(info, command)
        return p.AddProgramAdminPayload(
            program=await _program(info, recorded), user_errors=errors
        )

    # -- people --------------------------------------------------------------------

    @strawberry.mutation(
        description="Register a person with their career profile (admins only)."
    )
    async def register_person(
        self, info: Info, input: Annotated[i.RegisterPersonInput, _arg(INPUT)]
    ) -> p.RegisterPersonPayload:
        def command(app: Mentoring, principal: Principal) -> Recorded:
            auth.anywhere(principal, "register_person", "register people")
            return app.register_person(
                actor=principal.actor,
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
        return p.RegisterPersonPayload(
            person=await _person(info, recorded, _creator(info)), user_errors=errors
        )

    @strawberry.mutation(
        description="Erase a person's personal data (name, email, private goals and "
        "notes) by destroying their key; the history stays and still verifies. "
        "Their tokens stop working and their subscriptions end. For an admin of a "
        "program the person takes part in or administers."
    )
    async def erase_person(
        self, info: Info, input: Annotated[i.ErasePersonInput, _arg(INPUT)]
    ) -> p.ErasePersonPayload:
        target: list[str] = []

        async def check() -> None:
            target.append(await _related(info, input.person_id, "personId"))

        def command(app: Mentoring, principal: Principal) -> Recorded:
            if not may_command(principal, "erase_person", principal.program_id):
                raise NotFound(f"no person with ID {target[0]}", "personId")
            return app.erase_person(
                target[0],
                actor=principal.actor,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            )

        recorded, errors = await perform(info, command, check)
        return p.ErasePersonPayload(
            person=await _person(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Issue a bearer token for a person in your program, as a "
        "participant or (if they administer it) an admin of it. Admins only."
    )
    async def issue_token(
        self, info: Info, input: Annotated[i.IssueTokenInput, _arg(INPUT)]
    ) -> p.IssueTokenPayload:
        target: list[str] = []
        issued: list[str] = []

        async def check() -> None:
            program_id = ids.decode(input.program_id, "Program", "programId")
            principal = info.context.principal
            if not may_issue_token(principal, input.role.value, program_id):
                raise NotFound(f"no program with ID {program_id}", "programId")
            target.append(program_id)
            target.append(await _related(info, input.person_id, "personId"))

        def command(app: Mentoring, principal: Principal) -> Recorded:
            program_id, person_id = target
            token, recorded = app.issue_token(
                actor=principal.actor,
                person_id=person_id,
                role=input.role.value,
                program_id=program_id,
            )
            issued.append(token)
            return recorded

        recorded, errors = await perform(info, command, check)
        return p.IssueTokenPayload(
            token=issued[0] if recorded else None,
            credential_id=recorded.id if recorded else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Revoke a token: your own, or (as an admin) one bound to your "
        "program. It authenticates nobody from then on."
    )
    async def revoke_token(
        self, info: Info, input: Annotated[i.RevokeTokenInput, _arg(INPUT)]
    ) -> p.RevokeTokenPayload:
        def command(app: Mentoring, principal: Principal) -> Recorded:
            auth.credential(app, principal, input.credential_id)
            return app.revoke_token(
                input.credential_id,
                actor=principal.actor,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            )

        recorded, errors = await perform(info, command)
        return p.RevokeTokenPayload(
            credential_id=recorded.id if recorded else None, user_errors=errors
        )

    # -- mentorship lifecycle ------------------------------------------------------

    @strawberry.mutation(
        description="Propose a mentorship in a format, with people in roles."
    )
    async def propose_mentorship(
        self, info: Info, input: Annotated[i.ProposeMentorshipInput, _arg(INPUT)]
    ) -> p.ProposeMentorshipPayload:
        command = auth.on_program(
            "propose_mentorship",
            input.program_id,
            lambda app, program_id, actor: app.propose_mentorship(
                actor=actor,
                idempotency_key=input.idempotency_key,
                program_id=program_id,
                format=input.format,
                participants=[
                    {
                        "person_id": ids.decode(x.person_id, "Person", "participants"),
                        "role": x.role,
                    }
                    for x in input.participants
                ],
                purpose=input.purpose,
            ),
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
        command = auth.on_mentorship(
            "start_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.start_mentorship(
                mentorship_id, actor=actor, idempotency_key=input.idempotency_key
            ),
        )
        recorded, errors = await perform(info, command)
        return p.StartMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Pause an active mentorship.")
    async def pause_mentorship(
        self, info: Info, input: Annotated[i.PauseMentorshipInput, _arg(INPUT)]
    ) -> p.PauseMentorshipPayload:
        command = auth.on_mentorship(
            "pause_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.pause_mentorship(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                reason=input.reason,
            ),
        )
        recorded, errors = await perform(info, command)
        return p.PauseMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Resume a paused mentorship.")
    async def resume_mentorship(
        self, info: Info, input: Annotated[i.ResumeMentorshipInput, _arg(INPUT)]
    ) -> p.ResumeMentorshipPayload:
        command = auth.on_mentorship(
            "resume_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.resume_mentorship(
                mentorship_id, actor=actor, idempotency_key=input.idempotency_key
            ),
        )
        recorded, errors = await perform(info, command)
        return p.ResumeMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Complete a mentorship and free its participants' capacity."
    )
    async def complete_mentorship(
        self, info: Info, input: Annotated[i.CompleteMentorshipInput, _arg(INPUT)]
    ) -> p.CompleteMentorshipPayload:
        command = auth.on_mentorship(
            "complete_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.complete_mentorship(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                note=input.note,
            ),
        )
        recorded, errors = await perform(info, command)
        return p.CompleteMentorshipPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="End a mentorship early, with a reason.")
    async def end_mentorship(
        self, info: Info, input: Annotated[i.EndMentorshipInput, _arg(INPUT)]
    ) -> p.EndMentorshipPayload:
        command = auth.on_mentorship(
            "end_mentorship",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.end_mentorship(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                reason=input.reason,
            ),
        )
        recorded, errors = await perform(info, command)
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
        command = auth.on_mentorship(
            "record_agreement",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.record_agreement(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                communication=input.communication,
                confidentiality=input.confidentiality,
                schedule=input.schedule,
                outcomes=input.outcomes,
            ),
        )
        recorded, errors = await perform(info, command)
        return p.RecordAgreementPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    @strawberry.mutation(description="Sign the agreement as the token's person.")
    async def sign_agreement(
        self, info: Info, input: Annotated[i.SignAgreementInput, _arg(INPUT)]
    ) -> p.SignAgreementPayload:
        command = auth.on_mentorship(
            "sign_agreement",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.sign_agreement(
                mentorship_id, actor=actor, idempotency_key=input.idempotency_key
            ),
        )
        recorded, errors = await perform(info, command)
        return p.SignAgreementPayload(
            mentorship=await _mentorship(info, recorded), user_errors=errors
        )

    # -- goals ---------------------------------------------------------------------

    @strawberry.mutation(description="Set a goal; its framework checks the fields.")
    async def set_goal(
        self, info: Info, input: Annotated[i.SetGoalInput, _arg(INPUT)]
    ) -> p.SetGoalPayload:
        command = auth.on_mentorship(
            "set_goal",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.set_goal(
                mentorship_id,
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
        recorded, errors = await perform(info, command)
        goal = await _scoped(info, Goal, _decoded(input.mentorship_id), recorded)
        return p.SetGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Revise a goal's title or fields, with a reason; locked starter "
        "goals need a program admin, private goals their owner."
    )
    async def revise_goal(
        self, info: Info, input: Annotated[i.ReviseGoalInput, _arg(INPUT)]
    ) -> p.ReviseGoalPayload:
        command = auth.on_goal(
            "revise_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.revise_goal(
                mentorship_id,
                goal_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                title=input.title,
                fields=input.fields,  # type: ignore[arg-type]
                reason=input.reason,
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.goal_id, "Goal", "goalId")
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.ReviseGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Record progress on a goal: a percent, or each key result's value."
    )
    async def record_goal_progress(
        self, info: Info, input: Annotated[i.RecordGoalProgressInput, _arg(INPUT)]
    ) -> p.RecordGoalProgressPayload:
        command = auth.on_goal(
            "record_goal_progress",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.record_goal_progress(
                mentorship_id,
                goal_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                percent=input.percent,
                key_results=input.key_results,
                note=input.note,
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.goal_id, "Goal", "goalId")
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.RecordGoalProgressPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(description="Mark a goal achieved.")
    async def achieve_goal(
        self, info: Info, input: Annotated[i.AchieveGoalInput, _arg(INPUT)]
    ) -> p.AchieveGoalPayload:
        command = auth.on_goal(
            "achieve_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.achieve_goal(
                mentorship_id,
                goal_id,
                actor=actor,
                note=input.note,
                idempotency_key=input.idempotency_key,
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.goal_id, "Goal", "goalId")
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.AchieveGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Abandon a goal, with a reason; locked starter goals need a "
        "program admin."
    )
    async def abandon_goal(
        self, info: Info, input: Annotated[i.AbandonGoalInput, _arg(INPUT)]
    ) -> p.AbandonGoalPayload:
        command = auth.on_goal(
            "abandon_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.abandon_goal(
                mentorship_id,
                goal_id,
                actor=actor,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.goal_id, "Goal", "goalId")
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.AbandonGoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="Share a private goal with partners in its mentorship, to read "
        "(its owner only); the list replaces the previous one, empty shares it with "
        "nobody."
    )
    async def share_goal(
        self, info: Info, input: Annotated[i.ShareGoalInput, _arg(INPUT)]
    ) -> p.ShareGoalPayload:
        command = auth.on_goal(
            "share_goal",
            input.goal_id,
            lambda app, mentorship_id, goal_id, actor: app.share_goal(
                mentorship_id,
                goal_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                shared_with=_decode_all(input.shared_with, "Person", "sharedWith"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.goal_id, "Goal", "goalId")
        goal = await _scoped(info, Goal, mentorship_id, recorded)
        return p.ShareGoalPayload(goal=goal, user_errors=errors)

    # -- notes ---------------------------------------------------------------------

    @strawberry.mutation(
        description="Write a note as a participant, maybe on a meeting; private by "
        "default (sealed with the author's key, erased with them)."
    )
    async def write_note(
        self, info: Info, input: Annotated[i.WriteNoteInput, _arg(INPUT)]
    ) -> p.WriteNotePayload:
        def run(app: Mentoring, mentorship_id: str, actor: str) -> Recorded:
            meeting_id = None
            if input.meeting_id is not None:
                meeting_mentorship, meeting_id = ids.decode_scoped(
                    input.meeting_id, "Meeting", "meetingId"
                )
                if meeting_mentorship != mentorship_id:
                    raise NotFound(f"no meeting {meeting_id}", "meetingId")
            return app.write_note(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                text=input.text,
                meeting_id=meeting_id,
                private=input.private,
            )

        command = auth.on_mentorship("write_note", input.mentorship_id, run)
        recorded, errors = await perform(info, command)
        note = await _scoped(info, Note, _decoded(input.mentorship_id), recorded)
        return p.WriteNotePayload(note=note, user_errors=errors)

    @strawberry.mutation(description="Replace the text of a note (its author only).")
    async def revise_note(
        self, info: Info, input: Annotated[i.ReviseNoteInput, _arg(INPUT)]
    ) -> p.ReviseNotePayload:
        command = auth.on_note(
            "revise_note",
            input.note_id,
            lambda app, mentorship_id, note_id, actor: app.revise_note(
                mentorship_id,
                note_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                text=input.text,
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.note_id, "Note", "noteId")
        note = await _scoped(info, Note, mentorship_id, recorded)
        return p.ReviseNotePayload(note=note, user_errors=errors)

    @strawberry.mutation(
        description="Share a private note with partners in its mentorship, to read "
        "(its author only); the list replaces the previous one, empty shares it with "
        "nobody."
    )
    async def share_note(
        self, info: Info, input: Annotated[i.ShareNoteInput, _arg(INPUT)]
    ) -> p.ShareNotePayload:
        command = auth.on_note(
            "share_note",
            input.note_id,
            lambda app, mentorship_id, note_id, actor: app.share_note(
                mentorship_id,
                note_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                shared_with=_decode_all(input.shared_with, "Person", "sharedWith"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.note_id, "Note", "noteId")
        note = await _scoped(info, Note, mentorship_id, recorded)
        return p.ShareNotePayload(note=note, user_errors=errors)

    # -- milestones ----------------------------------------------------------------

    @strawberry.mutation(
        description="Record a milestone reached, optionally towards a goal."
    )
    async def reach_milestone(
        self, info: Info, input: Annotated[i.ReachMilestoneInput, _arg(INPUT)]
    ) -> p.ReachMilestonePayload:
        def run(app: Mentoring, mentorship_id: str, actor: str) -> Recorded:
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

        command = auth.on_mentorship("reach_milestone", input.mentorship_id, run)
        recorded, errors = await perform(info, command)
        milestone = await _scoped(
            info, Milestone, _decoded(input.mentorship_id), recorded
        )
        return p.ReachMilestonePayload(milestone=milestone, user_errors=errors)

    @strawberry.mutation(description="Record how a milestone was celebrated.")
    async def celebrate_milestone(
        self, info: Info, input: Annotated[i.CelebrateMilestoneInput, _arg(INPUT)]
    ) -> p.CelebrateMilestonePayload:
        command = auth.on_scoped(
            "celebrate_milestone",
            input.milestone_id,
            "Milestone",
            "milestoneId",
            lambda app, mentorship_id, milestone_id, actor: app.celebrate_milestone(
                mentorship_id,
                milestone_id,
                actor=actor,
                how=input.how,
                idempotency_key=input.idempotency_key,
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.milestone_id, "Milestone", "milestoneId")
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
        command = auth.on_mentorship(
            "schedule_meeting",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.schedule_meeting(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                scheduled_for=input.scheduled_for.isoformat(),
                agenda=input.agenda,
                duration_minutes=input.duration_minutes,
                plan_number=input.plan_number,
            ),
        )
        recorded, errors = await perform(info, command)
        meeting = await _scoped(info, Meeting, _decoded(input.mentorship_id), recorded)
        return p.ScheduleMeetingPayload(meeting=meeting, user_errors=errors)

    @strawberry.mutation(description="Record that a meeting took place, with notes.")
    async def hold_meeting(
        self, info: Info, input: Annotated[i.HoldMeetingInput, _arg(INPUT)]
    ) -> p.HoldMeetingPayload:
        command = auth.on_scoped(
            "hold_meeting",
            input.meeting_id,
            "Meeting",
            "meetingId",
            lambda app, mentorship_id, meeting_id, actor: app.hold_meeting(
                mentorship_id,
                meeting_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                notes=input.notes,
                duration_minutes=input.duration_minutes,
                attended=None
                if input.attended is None
                else _decode_all(input.attended, "Person", "attended"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.meeting_id, "Meeting", "meetingId")
        meeting = await _scoped(info, Meeting, mentorship_id, recorded)
        return p.HoldMeetingPayload(meeting=meeting, user_errors=errors)

    @strawberry.mutation(description="Cancel a scheduled meeting.")
    async def cancel_meeting(
        self, info: Info, input: Annotated[i.CancelMeetingInput, _arg(INPUT)]
    ) -> p.CancelMeetingPayload:
        command = auth.on_scoped(
            "cancel_meeting",
            input.meeting_id,
            "Meeting",
            "meetingId",
            lambda app, mentorship_id, meeting_id, actor: app.cancel_meeting(
                mentorship_id,
                meeting_id,
                actor=actor,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship_id = _scoped_id(input.meeting_id, "Meeting", "meetingId")
        meeting = await _scoped(info, Meeting, mentorship_id, recorded)
        return p.CancelMeetingPayload(meeting=meeting, user_errors=errors)

    # -- reviews and feedback ------------------------------------------------------

    @strawberry.mutation(description="Record a periodic review (check-in).")
    async def record_review(
        self, info: Info, input: Annotated[i.RecordReviewInput, _arg(INPUT)]
    ) -> p.RecordReviewPayload:
        command = auth.on_mentorship(
            "record_review",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.record_review(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                progress_rating=input.progress_rating,
                went_well=input.went_well,
                challenges=input.challenges,
                support=[s.value for s in input.support],
                next_steps=input.next_steps,
            ),
        )
        recorded, errors = await perform(info, command)
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
        command = auth.on_mentorship(
            "give_feedback",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.give_feedback(
                mentorship_id,
                actor=actor,
                idempotency_key=input.idempotency_key,
                text=input.text,
                source=input.source.value,
                about_id=_optional(input.about_id, "Person", "aboutId"),
                rating=input.rating,
            ),
        )
        recorded, errors = await perform(info, command)
        feedback = await _scoped(
            info, FeedbackType, _decoded(input.mentorship_id), recorded
        )
        return p.GiveFeedbackPayload(feedback=feedback, user_errors=errors)
