"""Feedback mutations: give feedback on a mentorship or a participant."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.schema import authorize as auth
from mentorlog.schema.context import Info
from mentorlog.schema.enums import (
    FeedbackSource,
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
    optional_id,
    perform,
    scoped_node,
)
from mentorlog.schema.types import (
    Feedback,
)


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


@strawberry.type(description="The result of giveFeedback.")
class GiveFeedbackPayload:
    feedback: Feedback | None = strawberry.field(
        description="The feedback given. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description="Feedback mutations: give feedback on a mentorship or a participant."
)
class FeedbackMutations:
    @strawberry.mutation(
        description="Give feedback on a mentorship or one of its participants."
    )
    async def give_feedback(
        self, info: Info, input: Annotated[GiveFeedbackInput, arg(INPUT)]
    ) -> GiveFeedbackPayload:
        command = auth.on_mentorship(
            "give_feedback",
            input.mentorship_id,
            lambda app, mentorship_id, actor: app.give_feedback(
                mentorship_id,
                actor=actor,
                **arguments(
                    input,
                    "give_feedback",
                    about_id=optional_id(input.about_id, "Person", "aboutId"),
                ),
            ),
        )
        recorded, errors = await perform(info, command)
        feedback = await scoped_node(
            info, Feedback, decoded_id(input.mentorship_id), recorded
        )
        return GiveFeedbackPayload(feedback=feedback, user_errors=errors)
