"""The schema object: Query, Mutation, and the extensions every request runs through.

Limits: a document may hold at most MAX_TOKENS tokens, MAX_ALIASES aliases and
nest MAX_DEPTH levels deep; lists page at most 100 items (schema/pagination.py).
Batching (a JSON array of operations in one request) is off: Strawberry refuses
it with 400 unless `batching_config` is set, and it is not.
"""

from __future__ import annotations

from functools import cache

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from mentorlog.schema.errors import MaskWithErrorId, should_mask
from mentorlog.schema.history import EVENT_TYPES
from mentorlog.schema.mutations import Mutation
from mentorlog.schema.queries import Query
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000
CACHE_SIZE = 256


@cache
def make_schema(introspection: bool = True) -> strawberry.Schema:
    """The schema; without introspection it also stops suggesting field names."""
    # Factories: a fresh extension per request; the caches are keyed by schema.
    extensions: list[type[SchemaExtension] | SchemaExtension | object] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        lambda: MaskWithErrorId(should_mask_error=should_mask),
    ]
    if not introspection:
        extensions.insert(
            0, lambda: AddValidationRules([NoSchemaIntrospectionCustomRule])
        )
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=list(EVENT_TYPES.values()),
        config=StrawberryConfig(
            auto_camel_case=True, disable_field_suggestions=not introspection
        ),
        extensions=extensions,  # type: ignore[arg-type]
    )


schema = make_schema()


def sdl() -> str:
    """The schema in GraphQL SDL, as committed in schema/schema.graphql."""
    return schema.as_str()
