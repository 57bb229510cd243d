"""Reviews: the Review node, and recording reviews (input, payload, mutation)."""

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
    perform,
    scoped,
)
from mentorlog.schema.context import Info
from mentorlog.schema.enums import SupportKind
from mentorlog.schema.errors import UserError
from mentorlog.schema.graph import (
    MENTORSHIP_FIELD,
    MentorshipRef,
    at,
    load_scoped,
    mentorship_of,
)
from mentorlog.schema.values import Actor
from strawberry import relay


@strawberry.type(description="A periodic review (check-in) of a mentorship.")
class Review(relay.Node):
    id: relay.NodeID[str]
    progress_rating: int = strawberry.field(description="Progress so far, 1 to 5.")
    went_well: str = strawberry.field(description="What went well.")
    challenges: str = strawberry.field(description="What was hard.")
    support: list[SupportKind] = strawberry.field(
        description="The kinds of support given."
    )
    next_steps: str = strawberry.field(description="What comes next.")
    recorded_by: Actor = strawberry.field(description="Who recorded it.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    mentorship_id: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Review:
        """Build from a `reviews` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            progress_rating=row["progress_rating"],
            went_well=row["went_well"],
            challenges=row["challenges"],
            support=[SupportKind(s) for s in row["support"]],
            next_steps=row["next_steps"],
            recorded_by=Actor.parse(row["recorded_by"]),
            recorded_at=at(row["recorded_at"]),
            mentorship_id=row["mentorship_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Review | None]:
        """Load reviews by node ID."""
        rows = await load_scoped(info, "Review", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description=MENTORSHIP_FIELD, graphql_type=MentorshipRef | None)
    async def mentorship(self, info: Info) -> relay.Node | None:
        return await mentorship_of(info, self.mentorship_id, self.replay)


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


@strawberry.type
class ReviewMutations:
    """The mutations of reviews."""

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
        review = await scoped(info, Review, decoded(input.mentorship_id), recorded)
        return RecordReviewPayload(review=review, user_errors=errors)
