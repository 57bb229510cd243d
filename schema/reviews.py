"""Review mutations: record a periodic review (check-in)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.schema import authorize as auth
from mentorlog.schema.context import Info
from mentorlog.schema.enums import (
    SupportKind,
)
from mentorlog.schema.errors import UserError
from mentorlog.schema.mutation_base import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decoded_id,
    perform,
    scoped_node,
)
from mentorlog.schema.types import (
    Review,
)


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


@strawberry.type(description="The result of recordReview.")
class RecordReviewPayload:
    review: Review | None = strawberry.field(
        description="The review recorded. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="Review mutations: record a periodic review (check-in).")
class ReviewsMutations:
    @strawberry.mutation(description="Record a periodic review (check-in).")
    async def record_review(
        self, info: Info, input: Annotated[RecordReviewInput, arg(INPUT)]
    ) -> RecordReviewPayload:
        command = auth.on_mentorship(
            "record_review",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.record_review(
                mentorship_id, actor=actor, **arguments(input, "record_review")
            ),
        )
        recorded, errors = await perform(info, command)
        review = await scoped_node(
            info, Review, decoded_id(input.mentorship_id), recorded
        )
        return RecordReviewPayload(review=review, user_errors=errors)
