"""Direct resolvers for the schema's plain fields: the same answers, less wrapping.

Strawberry wraps every field's resolver: an attribute read goes through a basic
result wrapper, and a resolver method through argument conversion, an `Info`
object and a chain of field extensions, even when the field takes no argument and
has no extension. On a page of 100 mentorships that is thousands of calls per
request. After the schema is built, `trim` replaces those wrappers on the fields
that need none of it with resolvers that do the same thing directly:

- an attribute field without extensions reads the attribute;
- a resolver method without GraphQL arguments or field extensions is called with
  its object and, if it asks for it, a Strawberry `Info` (as Strawberry would);
- a Relay node's `id` is encoded from its node ID attribute and type name, as
  `relay.Node` does when the type keeps the default `resolve_id` and
  `resolve_typename`.

Fields with arguments, extensions or permissions, and subscriptions, keep
Strawberry's resolvers. The schema's SDL does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

DEFINITION = "strawberry-definition"
Resolver = Callable[..., Any]


def trim(schema: strawberry.Schema) -> int:
    """Give plain fields direct resolvers; return how many fields were changed."""
    if schema.schema_converter.exception_handlers:
        return 0  # handlers need Strawberry's wrapper around every resolver
    subscription = schema._schema.subscription_type
    changed = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        if graphql_type.name.startswith("__") or graphql_type is subscription:
            continue
        definition = graphql_type.extensions.get(DEFINITION)
        for name, field in graphql_type.fields.items():
            resolver = _direct(definition, name, field)
            if resolver is not None:
                field.resolve = resolver
                changed += 1
    return changed


def _direct(definition: Any, name: str, field: GraphQLField) -> Resolver | None:
    """A direct resolver for the field, or None to keep Strawberry's."""
    strawberry_field = field.extensions.get(DEFINITION)
    if not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
        return None
    if name == "id" and isinstance(definition, StrawberryObjectDefinition):
        node_id = _node_id(definition)
        if node_id is not None:
            return node_id
    resolver = strawberry_field.base_resolver
    if resolver is None:
        return _attribute(strawberry_field.python_name)
    if strawberry_field.arguments or resolver.parent_parameter is not None:
        return None
    return _method(strawberry_field)


def _attribute(python_name: str) -> Resolver:
    """Read the attribute, as Strawberry's default resolver does."""
    getter = attrgetter(python_name)

    def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
        return getter(source)

    return resolve


def _method(field: StrawberryField) -> Resolver:
    """Call a resolver method with its object and the Info it asks for."""
    resolver = field.base_resolver
    assert resolver is not None
    call = resolver.__call__
    with_self = resolver.self_parameter is not None
    root = resolver.root_parameter.name if resolver.root_parameter else None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
        kwargs: dict[str, Any] = {}
        if root is not None:
            kwargs[root] = source
        if info_name is not None:
            kwargs[info_name] = Info(_raw_info=info, _field=field)
        return call(source, **kwargs) if with_self else call(**kwargs)

    return resolve


def _node_id(definition: StrawberryObjectDefinition) -> Resolver | None:
    """Encode a Relay node's global ID directly, if the type keeps the defaults."""
    origin = definition.origin
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    below_node = origin.__mro__[: origin.__mro__.index(relay.Node)]
    for hook in ("resolve_id", "resolve_typename"):
        if any(hook in klass.__dict__ for klass in below_node):
            return None
    type_name = definition.name
    getter = attrgetter(origin.resolve_id_attr())

    def resolve(source: Any, info: GraphQLResolveInfo) -> str:
        return to_base64(type_name, str(getter(source)))

    return resolve
