"""The GraphQL API: Strawberry types, queries, mutations and loaders."""

from mentorlog.schema.api import schema, sdl

__all__ = ["schema", "sdl"]
