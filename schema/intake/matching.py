"""Matching: match suggestions, the bulk match preview, and applying it."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.commands.intake import Pairing
from mentorlog.core.errors import Forbidden, MentorlogError
from mentorlog.core.policy import (
    may_command,
    may_match,
)
from mentorlog.schema import authorize as auth
from mentorlog.schema.commands import (
    ID,
    INPUT,
    PROGRAM_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import UserError, user_errors
from mentorlog.schema.intake.types import node_of, person_of, program_node
from mentorlog.schema.mentorships.types import Mentorship
from mentorlog.schema.people import Person


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
        return await person_of(info, self.mentor_id)

    @strawberry.field(description="The mentee.")
    async def mentee(self, info: Info) -> Person | None:
        return await person_of(info, self.mentee_id)

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


@strawberry.type(description="Match suggestions for someone, or why there are none.")
class MatchSuggestions:
    suggestions: list[MatchPairing] = strawberry.field(
        description="The best-suited candidates first."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why there are no suggestions (e.g. NOT_ENROLLED); else empty."
    )


@strawberry.input(description="The program whose waiting mentees to match.")
class ApplyBulkMatchInput(CommandInput):
    program_id: ID = strawberry.field(description=PROGRAM_ID)


@strawberry.type(description="The result of applyBulkMatch.")
class ApplyBulkMatchPayload:
    mentorships: list[Mentorship] = strawberry.field(
        description="The mentorships proposed, each with the score it was made with."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class MatchingMutations:
    """The mutation of bulk matching."""

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


def _proposals(app: Mentoring, program_id: str) -> list[str]:
    try:
        return list(app.get_intake(program_id).proposals)
    except MentorlogError:
        return []


@strawberry.type
class MatchingQueries:
    """Match suggestions and the bulk match preview."""

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
        program, person = program_node(program_id), node_of(person_id, "Person")
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
        node_id = program_node(program_id)
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
