"""The intake's object types: enrolments, mentor requests, the intake itself."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import strawberry
from mentorlog.core.intake import intake_id
from mentorlog.core.policy import may_read_intake_people
from mentorlog.projections import queries
from mentorlog.projections.queries import Row
from mentorlog.schema import ids
from mentorlog.schema.commands import arg
from mentorlog.schema.context import Info
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
        return await person_of(info, self.person_id)

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
        return await person_of(info, self.mentee_id)

    @strawberry.field(description="The mentor asked.")
    async def mentor(self, info: Info) -> Person | None:
        return await person_of(info, self.mentor_id)

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


async def person_of(info: Info, person_id: str) -> Person | None:
    """A person an intake shows: the access rules were applied to what lists them."""
    found = await queries.people_by_id(info.context.db, [person_id])
    row = found.get(person_id)
    return Person.from_row(row) if row else None


async def intake_of(info: Info, program_id: str | None) -> Intake | None:
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


def node_of(value: str, type_name: str) -> str | None:
    """The node ID of a global ID of that type, or None."""
    parsed = ids.parse_global_id(value)
    return parsed[1] if parsed and parsed[0] == type_name else None


def program_node(value: str) -> str | None:
    """The node ID of a program's global ID, or None."""
    return node_of(value, "Program")
