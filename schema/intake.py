"""A program's intake: settings, applications, requests, suggestions, bulk matching."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.commands.intake import Pairing
from mentorlog.core.errors import Forbidden, MentorlogError, NotFound
from mentorlog.core.intake import intake_id
from mentorlog.core.policy import (
    may_command,
    may_match,
    may_read_application,
    may_read_intake_people,
)
from mentorlog.projections import queries
from mentorlog.projections.queries import Row
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
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
from mentorlog.schema.errors import UserError, user_errors
from mentorlog.schema.graph import at
from mentorlog.schema.mentorships.types import Mentorship
from mentorlog.schema.pagination import (
    After,
    Before,
    First,
    Last,
    encode_cursor,
    page_info,
    page_request,
)
from mentorlog.schema.people import Person
from strawberry import relay
from strawberry.scalars import JSON

PERSON_ID = "The person's global ID."
REQUEST_ID = "The request's ID within its program (MentorRequest.id)."


@strawberry.enum(description="Which side of mentoring someone applies for.")
class IntakeSide(Enum):
    MENTOR = strawberry.enum_value("mentor", description="To mentor others.")
    MENTEE = strawberry.enum_value("mentee", description="To be mentored.")


@strawberry.enum(description="Where an application to a program stands.")
class EnrolmentStatus(Enum):
    APPLIED = strawberry.enum_value("applied", description="Waiting for an admin.")
    ENROLLED = strawberry.enum_value(
        "enrolled", description="Approved, with a place in the program."
    )
    WAITLISTED = strawberry.enum_value(
        "waitlisted",
        description="Approved over capacity: first come, first served a free place.",
    )
    DECLINED = strawberry.enum_value(
        "declined", description="Declined by an admin, with a reason."
    )
    LEFT = strawberry.enum_value(
        "left", description="Withdrawn by the applicant or an admin; may apply again."
    )


@strawberry.enum(description="A profile question a program's intake may ask.")
class IntakeQuestion(Enum):
    SKILLS = strawberry.enum_value("skills", description="Skills (a list).")
    INTERESTS = strawberry.enum_value("interests", description="Interests (a list).")
    GOALS = strawberry.enum_value("goals", description="Goals (a list).")
    AVAILABILITY = strawberry.enum_value(
        "availability", description="When they can meet (a list, e.g. 'mon-am')."
    )
    ABOUT = strawberry.enum_value("about", description="Free text about them.")


@strawberry.enum(description="Where a mentee's request to a mentor stands.")
class RequestStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting for the mentor.")
    ACCEPTED = strawberry.enum_value(
        "accepted", description="Accepted: a mentorship was proposed."
    )
    DECLINED = strawberry.enum_value(
        "declined", description="Declined by the mentor, with a reason."
    )
    EXPIRED = strawberry.enum_value(
        "expired", description="Not answered before it expired."
    )


# -- types ---------------------------------------------------------------------------


@strawberry.type(description="Someone's application to a program, with its answers.")
class Enrolment:
    person_id: strawberry.Private[str]
    program_id: strawberry.Private[str]
    side: IntakeSide = strawberry.field(description="Mentor or mentee.")
    status: EnrolmentStatus = strawberry.field(description="Where it stands.")
    answers: JSON = strawberry.field(
        description="The answers to the program's questions, as an object."
    )
    reason: str = strawberry.field(
        description="Why it was declined or withdrawn; empty otherwise."
    )
    applied_at: datetime = strawberry.field(description="When they applied.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The applicant.")
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.person_id)

    @classmethod
    def from_row(cls, row: Row, program_id: str) -> Enrolment:
        """Build from an `enrolments` row."""
        return cls(
            person_id=row["person_id"],
            program_id=program_id,
            side=IntakeSide(row["side"]),
            status=EnrolmentStatus(row["status"]),
            answers=row["answers"],
            reason=row["reason"],
            applied_at=at(row["applied_at"]),
            updated_at=at(row["updated_at"]),
        )


@strawberry.type(description="An enrolment and its cursor.")
class EnrolmentEdge:
    node: Enrolment = strawberry.field(description="The enrolment.")
    cursor: str = strawberry.field(description="Its cursor, for after and before.")


@strawberry.type(description="A page of enrolments.")
class EnrolmentConnection:
    edges: list[EnrolmentEdge] = strawberry.field(description="The page's items.")
    page_info: relay.PageInfo = strawberry.field(description="Where the page stands.")


@strawberry.type(description="A mentee's request to a mentor.")
class MentorRequest:
    id: str = strawberry.field(description="The request's ID within its program.")
    mentee_id: strawberry.Private[str]
    mentor_id: strawberry.Private[str]
    mentorship_id: strawberry.Private[str | None]
    message: str = strawberry.field(description="The mentee's message.")
    status: RequestStatus = strawberry.field(description="Where it stands.")
    reason: str = strawberry.field(description="Why it was declined; else empty.")
    expires_at: datetime = strawberry.field(description="When it expires if pending.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @strawberry.field(description="The mentee who asked.")
    async def mentee(self, info: Info) -> Person | None:
        return await _person(info, self.mentee_id)

    @strawberry.field(description="The mentor asked.")
    async def mentor(self, info: Info) -> Person | None:
        return await _person(info, self.mentor_id)

    @strawberry.field(description="The mentorship an accepted request proposed.")
    async def mentorship(self, info: Info) -> Mentorship | None:
        if self.mentorship_id is None:
            return None
        row = await info.context.loaders.mentorship.load(self.mentorship_id)
        return Mentorship.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Row) -> MentorRequest:
        """Build from a `mentor_requests` row; a pending one past expiry is expired."""
        expires = at(row["expires_at"])
        status = row["status"]
        if status == "pending" and datetime.now(UTC) >= expires:
            status = "expired"
        return cls(
            id=row["id"],
            mentee_id=row["mentee_id"],
            mentor_id=row["mentor_id"],
            mentorship_id=row["mentorship_id"],
            message=row["message"],
            status=RequestStatus(status),
            reason=row["reason"],
            expires_at=expires,
            created_at=at(row["created_at"]),
        )


@strawberry.type(description="A program's intake: its settings and its people.")
class Intake:
    program_id: strawberry.Private[str]
    is_open: bool = strawberry.field(description="Whether people may apply now.")
    cohort_start: str | None = strawberry.field(
        description="The cohort's first day (YYYY-MM-DD), if set."
    )
    cohort_end: str | None = strawberry.field(
        description="The cohort's last day (YYYY-MM-DD); no applications after it."
    )
    mentor_places: int | None = strawberry.field(
        description="How many mentors may be enrolled; null for no limit."
    )
    mentee_places: int | None = strawberry.field(
        description="How many mentees may be enrolled; null for no limit."
    )
    questions: list[IntakeQuestion] = strawberry.field(
        description="The profile questions applicants answer."
    )
    request_days: int = strawberry.field(
        description="Days a mentee's request stays open before it expires."
    )

    @strawberry.field(
        description="The program's applications, oldest first: all of them for its "
        "admins; for a participant, their own and the enrolled mentors'."
    )
    async def enrolments(
        self,
        info: Info,
        side: Annotated[
            IntakeSide | None, arg("Only applications for this side.")
        ] = None,
        status: Annotated[
            EnrolmentStatus | None, arg("Only applications in this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> EnrolmentConnection:
        principal = info.context.principal
        intake = str(intake_id(self.program_id))
        visible_to, with_mentors = None, False
        if not may_read_intake_people(principal, self.program_id):
            visible_to = principal.person_id
            own = await queries.enrolment_of(info.context.db, intake, visible_to)
            with_mentors = own is not None and own["status"] == "enrolled"
        page = await queries.page_enrolments(
            info.context.db,
            page_request(first, after, last, before),
            intake,
            str(side.value) if side else None,
            str(status.value) if status else None,
            visible_to,
            with_mentors,
        )
        edges = [
            EnrolmentEdge(
                node=Enrolment.from_row(r, self.program_id),
                cursor=encode_cursor(r["seq"]),
            )
            for r in page.rows
        ]
        return EnrolmentConnection(edges=edges, page_info=page_info(page))

    @strawberry.field(
        description="Mentees' requests to mentors, oldest first: all for the "
        "program's admins; for a participant, those they made or received."
    )
    async def requests(self, info: Info) -> list[MentorRequest]:
        principal = info.context.principal
        mine = (
            None
            if may_read_intake_people(principal, self.program_id)
            else principal.person_id
        )
        rows = await queries.requests_of(
            info.context.db, str(intake_id(self.program_id)), mine
        )
        return [MentorRequest.from_row(r) for r in rows]


@strawberry.type(description="One explained part of a match score.")
class MatchContribution:
    name: str = strawberry.field(description="What it scores, e.g. interests.")
    weight: float = strawberry.field(description="Its weight in the total.")
    score: float = strawberry.field(description="Its score, 0-1.")
    explanation: str = strawberry.field(description="Why it scored so, in words.")


@strawberry.type(description="A mentor and a mentee who may be matched, and how well.")
class MatchPairing:
    mentor_id: strawberry.Private[str]
    mentee_id: strawberry.Private[str]
    format: str = strawberry.field(description="The format they would meet in.")
    total: float = strawberry.field(
        description="The match score, 0-1: the weighted mean of the contributions."
    )
    contributions: list[MatchContribution] = strawberry.field(
        description="What the score is made of, largest impact first."
    )

    @strawberry.field(description="The mentor.")
    async def mentor(self, info: Info) -> Person | None:
        return await _person(info, self.mentor_id)

    @strawberry.field(description="The mentee.")
    async def mentee(self, info: Info) -> Person | None:
        return await _person(info, self.mentee_id)

    @classmethod
    def of(cls, pairing: Pairing) -> MatchPairing:
        """Build from a pairing the service found."""
        return cls(
            mentor_id=pairing.mentor_id,
            mentee_id=pairing.mentee_id,
            format=pairing.format,
            total=pairing.match.total,
            contributions=[
                MatchContribution(
                    name=c.name,
                    weight=c.weight,
                    score=c.score,
                    explanation=c.explanation,
                )
                for c in pairing.match.contributions
            ],
        )


async def _person(info: Info, person_id: str) -> Person | None:
    """A person an intake shows: the access rules were applied to what lists them."""
    found = await queries.people_by_id(info.context.db, [person_id])
    row = found.get(person_id)
    return Person.from_row(row) if row else None


# -- inputs and payloads -------------------------------------------------------------


@strawberry.input(description="A program's intake settings (they replace the old).")
class ConfigureIntakeInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    is_open: bool = strawberry.field(description="Whether people may apply.")
    cohort_start: str | None = strawberry.field(
        default=None, description="The cohort's first day (YYYY-MM-DD)."
    )
    cohort_end: str | None = strawberry.field(
        default=None, description="The cohort's last day (YYYY-MM-DD)."
    )
    mentor_places: int | None = strawberry.field(
        default=None, description="How many mentors may be enrolled; null: no limit."
    )
    mentee_places: int | None = strawberry.field(
        default=None, description="How many mentees may be enrolled; null: no limit."
    )
    questions: list[IntakeQuestion] = strawberry.field(
        default_factory=lambda: list(IntakeQuestion),
        description="The profile questions applicants answer (default: all).",
    )
    request_days: int = strawberry.field(
        default=14, description="Days a mentee's request stays open, 1-365."
    )


@strawberry.input(description="An application to a program.")
class ApplyToProgramInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(
        description="Who applies: yourself, or (an admin) anyone registered."
    )
    side: IntakeSide = strawberry.field(description="Mentor or mentee.")
    answers: JSON | None = strawberry.field(
        default=None,
        description="Answers to the program's questions: lists of texts for skills, "
        "interests, goals and availability, text for about.",
    )


@strawberry.input(description="An application to approve.")
class ApproveApplicationInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description=PERSON_ID)
    waitlist: bool = strawberry.field(
        default=True,
        description="Over capacity, waitlist them (else refuse with INTAKE_FULL).",
    )


@strawberry.input(description="An application to decline, and why.")
class DeclineApplicationInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description=PERSON_ID)
    reason: str = strawberry.field(description="Why it is declined.")


@strawberry.input(description="An application or enrolment to withdraw.")
class WithdrawApplicationInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    person_id: ID = strawberry.field(description=PERSON_ID)
    reason: str = strawberry.field(default="", description="Why, if you say.")


@strawberry.input(description="A mentee's request to an enrolled mentor.")
class RequestMentorInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    mentee_id: ID = strawberry.field(description="The mentee's global ID (you).")
    mentor_id: ID = strawberry.field(description="The mentor's global ID.")
    message: str = strawberry.field(default="", description="A note for the mentor.")


@strawberry.input(description="A request to you to accept.")
class AcceptRequestInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    request_id: str = strawberry.field(description=REQUEST_ID)


@strawberry.input(description="A request to you to decline, and why.")
class DeclineRequestInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    request_id: str = strawberry.field(description=REQUEST_ID)
    reason: str = strawberry.field(description="Why you decline.")


@strawberry.input(description="The program whose waiting mentees to match.")
class ApplyBulkMatchInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)


@strawberry.type(description="The result of a change to a program's intake.")
class IntakePayload:
    intake: Intake | None = strawberry.field(
        description="The intake, as it is now. Null when refused."
    )
    enrolment: Enrolment | None = strawberry.field(
        description="The application the change concerned, if one."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of a change to a mentor request.")
class MentorRequestPayload:
    request: MentorRequest | None = strawberry.field(
        description="The request, as it is now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of acceptRequest.")
class AcceptRequestPayload:
    mentorship: Mentorship | None = strawberry.field(
        description="The mentorship proposed (and started if its rules hold). "
        "Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of applyBulkMatch.")
class ApplyBulkMatchPayload:
    mentorships: list[Mentorship] = strawberry.field(
        description="The mentorships proposed, each with the score it was made with."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


# -- resolving -----------------------------------------------------------------------


async def _intake(info: Info, program_id: str | None) -> Intake | None:
    """A program's intake as the read models show it, if the viewer may see it."""
    if program_id is None:
        return None
    row = await queries.intake_of(info.context.db, str(intake_id(program_id)))
    if row is None:
        return None
    return Intake(
        program_id=program_id,
        is_open=bool(row["is_open"]),
        cohort_start=row["cohort_start"],
        cohort_end=row["cohort_end"],
        mentor_places=row["mentor_places"],
        mentee_places=row["mentee_places"],
        questions=[IntakeQuestion(q) for q in row["questions"]],
        request_days=row["request_days"],
    )


async def _enrolment(
    info: Info, program_id: str | None, person_id: str | None
) -> Enrolment | None:
    if program_id is None or person_id is None:
        return None
    row = await queries.enrolment_of(
        info.context.db, str(intake_id(program_id)), person_id
    )
    return Enrolment.from_row(row, program_id) if row else None


async def _request(
    info: Info, program_id: str | None, recorded: Recorded | None
) -> MentorRequest | None:
    if program_id is None or recorded is None:
        return None
    rows = await queries.requests_of(info.context.db, str(intake_id(program_id)))
    found = next((r for r in rows if r["id"] == recorded.id), None)
    return MentorRequest.from_row(found) if found else None


def _own(
    command: str,
    program_value: str,
    person_value: str,
    field: str,
    run: Any,
) -> Any:
    """A command on one's own part of an intake: run(app, program_id, person, actor)."""

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        program_id = ids.decode(program_value, "Program", "programId")
        person_id = ids.decode(person_value, "Person", field)
        found = app.get_program(program_id)
        if not may_command(principal, command, str(found.id), [person_id]):
            raise NotFound(f"no program with ID {found.id}", "programId")
        return run(app, str(found.id), person_id, principal.actor)  # type: ignore[no-any-return]

    return checked


def _answering(command: str, program_value: str, run: Any) -> Any:
    """A mentor's answer to a request: run(app, program_id, actor).

    The program is known to those who applied to it; the command then checks that
    the one answering is the mentor the request names.
    """

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        program_id = ids.decode(program_value, "Program", "programId")
        found = app.get_program(program_id)
        applied = principal.person_id in _applicants(app, str(found.id))
        people = [principal.person_id] if applied else []
        if not may_command(principal, command, str(found.id), people):
            raise NotFound(f"no program with ID {found.id}", "programId")
        return run(app, str(found.id), principal.actor)  # type: ignore[no-any-return]

    return checked


@strawberry.type
class IntakeMutations:
    """The mutations of programs' intakes."""

    @strawberry.mutation(
        description="Set a program's intake: open or closed, the cohort's dates, "
        "places per side, the questions asked, how long requests stay open."
    )
    async def configure_intake(
        self, info: Info, input: Annotated[ConfigureIntakeInput, arg(INPUT)]
    ) -> IntakePayload:
        command = auth.on_program(
            "configure_intake",
            input.program_id,
            lambda app, program_id, actor: app.configure_intake(
                program_id, actor=actor, **arguments(input, "configure_intake")
            ),
        )
        recorded, errors = await perform(info, command)
        program_id = decoded(input.program_id, "Program") if recorded else None
        return IntakePayload(
            intake=await _intake(info, program_id), enrolment=None, user_errors=errors
        )

    @strawberry.mutation(
        description="Apply to a program as mentor or mentee, answering its questions."
    )
    async def apply_to_program(
        self, info: Info, input: Annotated[ApplyToProgramInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "apply_to_program", input, lambda app: app.apply_to_program
        )

    @strawberry.mutation(
        description="Enrol an applicant; over the side's places they are waitlisted "
        "and served first come when a place frees up."
    )
    async def approve_application(
        self, info: Info, input: Annotated[ApproveApplicationInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "approve_application", input, lambda app: app.approve_application
        )

    @strawberry.mutation(description="Decline an application, with a reason.")
    async def decline_application(
        self, info: Info, input: Annotated[DeclineApplicationInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "decline_application", input, lambda app: app.decline_application
        )

    @strawberry.mutation(
        description="Withdraw an application or enrolment; a freed place goes to "
        "the first waitlisted."
    )
    async def withdraw_application(
        self, info: Info, input: Annotated[WithdrawApplicationInput, arg(INPUT)]
    ) -> IntakePayload:
        return await _on_application(
            info, "withdraw_application", input, lambda app: app.withdraw_application
        )

    @strawberry.mutation(
        description="Ask an enrolled mentor with a place free to mentor you; the "
        "request expires after the intake's requestDays."
    )
    async def request_mentor(
        self, info: Info, input: Annotated[RequestMentorInput, arg(INPUT)]
    ) -> MentorRequestPayload:
        mentor = input.mentor_id
        command = _own(
            "request_mentor",
            input.program_id,
            input.mentee_id,
            "menteeId",
            lambda app, program_id, mentee_id, actor: app.request_mentor(
                program_id,
                actor=actor,
                **arguments(
                    input,
                    "request_mentor",
                    mentee_id=mentee_id,
                    mentor_id=ids.decode(mentor, "Person", "mentorId"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        program_id = decoded(input.program_id, "Program")
        return MentorRequestPayload(
            request=await _request(info, program_id, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Accept a request to you: the mentorship is proposed, and started "
        "if the format's rules, eligibility and capacity hold."
    )
    async def accept_request(
        self, info: Info, input: Annotated[AcceptRequestInput, arg(INPUT)]
    ) -> AcceptRequestPayload:
        command = _answering(
            "accept_request",
            input.program_id,
            lambda app, program_id, actor: app.accept_request(
                program_id,
                input.request_id,
                actor=actor,
                **arguments(input, "accept_request"),
            ),
        )
        recorded, errors = await perform(info, command)
        mentorship = None
        if recorded is not None:
            row = await info.context.loaders.mentorship.load(recorded.id)
            mentorship = Mentorship.from_row(row) if row else None
        return AcceptRequestPayload(mentorship=mentorship, user_errors=errors)

    @strawberry.mutation(description="Decline a request to you, with a reason.")
    async def decline_request(
        self, info: Info, input: Annotated[DeclineRequestInput, arg(INPUT)]
    ) -> MentorRequestPayload:
        command = _answering(
            "decline_request",
            input.program_id,
            lambda app, program_id, actor: app.decline_request(
                program_id,
                input.request_id,
                actor=actor,
                **arguments(input, "decline_request"),
            ),
        )
        recorded, errors = await perform(info, command)
        program_id = decoded(input.program_id, "Program")
        return MentorRequestPayload(
            request=await _request(info, program_id, recorded), user_errors=errors
        )

    @strawberry.mutation(
        description="Propose the optimal assignment of the program's waiting mentees "
        "to its mentors' free places (bulkMatchPreview), in one step; each proposal "
        "records the score and explanation it was made with."
    )
    async def apply_bulk_match(
        self, info: Info, input: Annotated[ApplyBulkMatchInput, arg(INPUT)]
    ) -> ApplyBulkMatchPayload:
        made: list[str] = []

        def apply(app: Mentoring, program_id: str, actor: str) -> Recorded:
            before = set(_proposals(app, program_id))
            recorded = app.apply_bulk_match(
                program_id, actor=actor, **arguments(input, "apply_bulk_match")
            )
            made.extend(m for m in _proposals(app, program_id) if m not in before)
            return recorded

        command = auth.on_program("apply_bulk_match", input.program_id, apply)
        recorded, errors = await perform(info, command)
        mentorships = []
        for mentorship_id in made if recorded else []:
            row = await info.context.loaders.mentorship.load(mentorship_id)
            if row:
                mentorships.append(Mentorship.from_row(row))
        return ApplyBulkMatchPayload(mentorships=mentorships, user_errors=errors)


def _applicants(app: Mentoring, program_id: str) -> list[str]:
    try:
        return list(app.get_intake(program_id).applications)
    except MentorlogError:
        return []


def _proposals(app: Mentoring, program_id: str) -> list[str]:
    try:
        return list(app.get_intake(program_id).proposals)
    except MentorlogError:
        return []


async def _on_application(
    info: Info, name: str, input: Any, method: Any
) -> IntakePayload:
    """Run an application command (an admin's, or the applicant's own)."""
    command = _own(
        name,
        input.program_id,
        input.person_id,
        "personId",
        lambda app, program_id, person_id, actor: method(app)(
            program_id, actor=actor, **arguments(input, name, person_id=person_id)
        ),
    )
    recorded, errors = await perform(info, command)
    program_id = decoded(input.program_id, "Program") if recorded else None
    person_id = recorded.id if recorded else None
    return IntakePayload(
        intake=await _intake(info, program_id),
        enrolment=await _enrolment(info, program_id, person_id),
        user_errors=errors,
    )


# -- queries -------------------------------------------------------------------------


@strawberry.type(description="Match suggestions for someone, or why there are none.")
class MatchSuggestions:
    suggestions: list[MatchPairing] = strawberry.field(
        description="The best-suited candidates first."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why there are no suggestions (e.g. NOT_ENROLLED); else empty."
    )


@strawberry.type
class IntakeQueries:
    """A program's intake, match suggestions and the bulk match preview."""

    @strawberry.field(
        description="A program's intake; null if it has none or you may not read "
        "the program (admins of it, and people who applied to it, may)."
    )
    async def intake(
        self, info: Info, program_id: Annotated[ID, arg(PROGRAM_ID)]
    ) -> Intake | None:
        node_id = _program_node(program_id)
        if node_id is None or not await _may_see_intake(info, node_id):
            return None
        return await _intake(info, node_id)

    @strawberry.field(
        description="Candidates for an enrolled mentee (mentors) or mentor "
        "(mentees), ranked by every plugin's match score, each explained; only "
        "eligible people with a place free, in a format the program enables. For "
        "yourself, or (an admin) anyone in your program; null for anyone else."
    )
    async def match_suggestions(
        self,
        info: Info,
        program_id: Annotated[ID, arg(PROGRAM_ID)],
        person_id: Annotated[ID, arg("Whom to suggest candidates for.")],
        first: Annotated[int, arg("How many, 1-50.")] = 10,
    ) -> MatchSuggestions | None:
        principal = info.context.principal
        program, person = _program_node(program_id), _node(person_id, "Person")
        if (
            program is None
            or person is None
            or not may_match(principal, program, person)
        ):
            return None
        try:
            found = await info.context.in_thread(
                info.context.services.app.match_suggestions,
                program,
                person,
                max(1, min(first, 50)),
            )
            if principal.role != "admin" and any(s.side == "mentee" for s in found):
                raise Forbidden(
                    "suggestions of mentees are for the program's admins: a "
                    "mentee's answers are not shown to others",
                    "personId",
                )
        except MentorlogError as error:
            return MatchSuggestions(suggestions=[], user_errors=user_errors(error))
        return MatchSuggestions(
            suggestions=[MatchPairing.of(s.pairing) for s in found], user_errors=[]
        )

    @strawberry.field(
        description="The assignment applyBulkMatch would propose now: the program's "
        "waiting mentees to its mentors' free places, maximising the total score. "
        "For the program's admins; null for anyone else."
    )
    async def bulk_match_preview(
        self, info: Info, program_id: Annotated[ID, arg(PROGRAM_ID)]
    ) -> list[MatchPairing] | None:
        node_id = _program_node(program_id)
        principal = info.context.principal
        if node_id is None or not may_command(principal, "apply_bulk_match", node_id):
            return None
        try:
            found = await info.context.in_thread(
                info.context.services.app.bulk_match_preview, node_id
            )
        except MentorlogError:
            return []
        return [MatchPairing.of(p) for p in found]


def _node(value: str, type_name: str) -> str | None:
    parsed = ids.parse_global_id(value)
    return parsed[1] if parsed and parsed[0] == type_name else None


def _program_node(value: str) -> str | None:
    return _node(value, "Program")


async def _may_see_intake(info: Info, program_id: str) -> bool:
    principal = info.context.principal
    if may_read_intake_people(principal, program_id):
        return True
    row = await queries.enrolment_of(
        info.context.db, str(intake_id(program_id)), principal.person_id
    )
    return row is not None and may_read_application(
        principal, program_id, principal.person_id, row["side"], True
    )
