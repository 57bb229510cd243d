"""Feedback: the Feedback node, and giving feedback (input, payload, mutation)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import Row
from mentorlog.schema import authorize as auth
from mentorlog.schema.commands import (
    ID,
    INPUT,
    MENTORSHIP_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    decoded,
    optional_id,
    perform,
    scoped,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import FeedbackSource
from mentorlog.schema.errors import UserError
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
)
from mentorlog.schema.people import Person, person_of
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(description="Feedback on a mentorship or one of its participants.")
class Feedback(relay.Node):
    id: relay.NodeID[str]
    source: FeedbackSource = strawberry.field(description="Who gave it.")
    rating: int | None = strawberry.field(description="A 1-5 rating, if given.")
    text: str = strawberry.field(description="The feedback itself.")
    given_by: Actor = strawberry.field(description="Who recorded it.")
    given_at: datetime = strawberry.field(description="When it was recorded.")
    mentorship_id: strawberry.Private[str]
    about_id: strawberry.Private[str | None]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Feedback:
        """Build from a `feedback` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            source=FeedbackSource(row["source"]),
            rating=row["rating"],
            text=row["text"],
            given_by=Actor.parse(row["given_by"]),
            given_at=at(row["given_at"]),
            mentorship_id=row["mentorship_id"],
            about_id=row["about_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Feedback | None]:
        """Load feedback by node ID."""
        rows = await load_scoped(info, "Feedback", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The participant it is about, if any.")
    async def about(self, info: Info) -> Person | None:
        return await person_of(info, self.about_id)


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


@strawberry.type
class FeedbackMutations:
    """The mutations of feedback."""

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
        feedback = await scoped(info, Feedback, decoded(input.mentorship_id), recorded)
        return GiveFeedbackPayload(feedback=feedback, user_errors=errors)
