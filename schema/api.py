"""The schema object: Query, Mutation, and the extensions every request runs through."""

from __future__ import annotations

import strawberry
from mentorlog.schema.errors import should_mask
from mentorlog.schema.mutations import Mutation
from mentorlog.schema.queries import Query
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000
CACHE_SIZE = 256

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(auto_camel_case=True),
    # Factories: a fresh extension per request; the two caches live at module level.
    extensions=[
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        lambda: MaskErrors(should_mask_error=should_mask),
    ],
)


def sdl() -> str:
    """The schema in GraphQL SDL, as committed in schema/schema.graphql."""
    return schema.as_str()
