"""The schema: Query and Mutation composed from the features, Subscription, extensions.

Limits: a document may hold at most MAX_TOKENS tokens, MAX_ALIASES aliases and
nest MAX_DEPTH levels deep; lists page at most 100 items (schema/pagination.py).
An operation may cost at most MAX_COST (100,000 by default; the setting
`max_query_cost`, env MENTORLOG_MAX_QUERY_COST): about one per value it may
resolve, list sizes multiplied through the selection (schema/cost.py); over it,
the operation is refused with QUERY_TOO_COSTLY before anything runs.
Batching (a JSON array of operations in one request) is off: Strawberry refuses
it with 400 unless `batching_config` is set, and it is not.
"""

from __future__ import annotations

from functools import cache

import strawberry
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from mentorlog.schema.agreement import AgreementMutations
from mentorlog.schema.audit import VerifyQueries
from mentorlog.schema.calendars import CalendarFeedMutations
from mentorlog.schema.cost import CostLimiter
from mentorlog.schema.direct_resolvers import trim
from mentorlog.schema.errors import MaskWithErrorId, should_mask
from mentorlog.schema.events import EventQueries
from mentorlog.schema.feedback import FeedbackMutations
from mentorlog.schema.goals import GoalMutations
from mentorlog.schema.history import EVENT_TYPES
from mentorlog.schema.identities import IdentityMutations, IdentityQueries
from mentorlog.schema.intake.enrolment import EnrolmentMutations, IntakeQueries
from mentorlog.schema.intake.matching import MatchingMutations, MatchingQueries
from mentorlog.schema.intake.mentor_requests import RequestMutations
from mentorlog.schema.meetings import MeetingMutations
from mentorlog.schema.mentorships.lifecycle import LifecycleMutations
from mentorlog.schema.mentorships.queries import MentorshipQueries
from mentorlog.schema.milestones import MilestoneMutations
from mentorlog.schema.nodes import NodeQueries
from mentorlog.schema.notes import NoteMutations
from mentorlog.schema.nudges import NudgeMutations
from mentorlog.schema.people import PeopleMutations, PeopleQueries
from mentorlog.schema.programs.catalog import CatalogQueries
from mentorlog.schema.programs.mutations import ProgramMutations
from mentorlog.schema.programs.queries import ProgramQueries
from mentorlog.schema.reviews import ReviewMutations
from mentorlog.schema.roles import describe_roles
from mentorlog.schema.subscriptions import Subscription
from mentorlog.schema.tokens import TokenMutations, ViewerQueries
from mentorlog.schema.transparency import TransparencyQueries
from mentorlog.schema.webhooks import WebhookMutations, WebhookQueries
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000
MAX_COST = 100_000
CACHE_SIZE = 256

# The limits' validation rules, made once: the ValidationCache keys its entries by
# (schema, document, rules), so rules made per request would never hit it.
LIMIT_RULES: list[type[ASTValidationRule]] = [
    aliases_rule(MAX_ALIASES),
    depth_rule(MAX_DEPTH, None, None),
]
CLOSED_RULES: list[type[ASTValidationRule]] = [
    *LIMIT_RULES,
    NoSchemaIntrospectionCustomRule,
]


def limit_rules(introspection: bool) -> list[type[ASTValidationRule]]:
    """The validation rules beside the spec's: the limits, and closed introspection."""
    return LIMIT_RULES if introspection else CLOSED_RULES


@strawberry.type(
    description="Read programs, people, mentorships, their histories and the plugin "
    "catalog; verify the hash chains. Every read shows only what your token may "
    "read: what you may not read is null or left out, as if it did not exist."
)
class Query(
    ViewerQueries,
    NodeQueries,
    ProgramQueries,
    PeopleQueries,
    MentorshipQueries,
    EventQueries,
    VerifyQueries,
    TransparencyQueries,
    CatalogQueries,
    IntakeQueries,
    MatchingQueries,
    WebhookQueries,
    IdentityQueries,
):
    """Every feature's queries."""


@strawberry.type(
    description="Record facts; each mutation runs one command of the service as "
    "the token's person. Each mutation's description ends with who may run it "
    "(Viewer.allowedMutations lists those your token may run); auditor tokens run "
    "none. A target the token may not change is refused exactly like an unknown ID "
    "(NOT_FOUND), and nothing is recorded."
)
class Mutation(
    ProgramMutations,
    PeopleMutations,
    TokenMutations,
    IdentityMutations,
    LifecycleMutations,
    EnrolmentMutations,
    RequestMutations,
    MatchingMutations,
    AgreementMutations,
    GoalMutations,
    NoteMutations,
    MilestoneMutations,
    MeetingMutations,
    CalendarFeedMutations,
    ReviewMutations,
    FeedbackMutations,
    WebhookMutations,
    NudgeMutations,
):
    """Every feature's mutations, one per command of the Mentoring service."""


describe_roles(Mutation)


@cache
def make_schema(
    introspection: bool = True,
    direct_resolvers: bool = True,
    max_cost: int = MAX_COST,
) -> strawberry.Schema:
    """The schema; without introspection it also stops suggesting field names.

    `direct_resolvers` gives plain fields resolvers without Strawberry's wrapping
    (schema/direct_resolvers.py); off, every field resolves as Strawberry builds it.
    `max_cost` is the most an operation may cost (schema/cost.py).
    """
    # Factories: a fresh extension per request; the caches live at module level.
    rules = limit_rules(introspection)
    extensions: list[type[SchemaExtension] | SchemaExtension | object] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        # Counted at execution, not as a validation rule: it needs the variables.
        lambda: CostLimiter(max_cost),
        lambda: MaskWithErrorId(should_mask_error=should_mask),
    ]
    built = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(EVENT_TYPES.values()),
        config=StrawberryConfig(
            auto_camel_case=True, disable_field_suggestions=not introspection
        ),
        extensions=extensions,  # type: ignore[arg-type]
    )
    if direct_resolvers:
        trim(built)
    return built


schema = make_schema()


def sdl() -> str:
    """The schema in GraphQL SDL, as committed in schema/schema.graphql."""
    return schema.as_str()
