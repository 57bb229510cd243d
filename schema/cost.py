"""Query cost: how many values an operation may resolve, estimated before it runs.

An operation costs 1 for each field it may resolve, counted through every list:
a list field multiplies what it selects by its length. A paged field's length is
its `first` or `last` (DEFAULT_PAGE_SIZE without either), `nodes(ids:)` has as
many items as IDs, and any other list of objects counts UNPAGED_LIST_SIZE items.
Fragments and inline fragments count where they are spread, and on an interface
or union the costliest object type counts; introspection fields (`__schema`,
`__type`, `__typename`) cost nothing, being bounded by the schema. CostLimiter
counts once the variables are known and refuses an operation over the limit with
QUERY_TOO_COSTLY before any resolver runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_composite_type,
)
from graphql.language import OperationType
from graphql.utilities import get_operation_ast
from mentorlog.schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from strawberry.extensions import SchemaExtension

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
UNPAGED_LIST_SIZE = 10
PAGE_ARGUMENTS = ("first", "last")


@dataclass
class _Counter:
    """Counts one operation's cost; each named fragment once per page size."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    defaults: Mapping[str, ValueNode | None]
    _spread: dict[tuple[str, int | None], int] = field(default_factory=dict)

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        page: int | None,
    ) -> int:
        """The cost of a selection set on one object of the parent type.

        On an interface or union only the fragments of one object type apply to
        each object, so the costliest object type counts.
        """
        if selection_set is None:
            return 0
        shared = 0
        fragments: list[tuple[GraphQLNamedType | None, int]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shared += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = self._type(selection.type_condition)
                inner = self.selections(
                    selection.selection_set, condition or parent, page
                )
                fragments.append((condition, inner))
            elif isinstance(selection, FragmentSpreadNode):
                fragments.append(self.spread(selection.name.value, page))
        if not fragments:
            return shared
        if not is_abstract_type(parent):
            return shared + sum(cost for _, cost in fragments)
        objects = self.schema.get_possible_types(cast(GraphQLAbstractType, parent))
        return shared + max(
            (
                sum(c for on, c in fragments if on is None or self._applies(on, o))
                for o in objects
            ),
            default=0,
        )

    def spread(
        self, name: str, page: int | None
    ) -> tuple[GraphQLNamedType | None, int]:
        """A named fragment's type condition and cost, counted once."""
        fragment = self.fragments.get(name)
        if fragment is None:
            return None, 0
        condition = self._type(fragment.type_condition)
        key = (name, page)
        if key not in self._spread:
            self._spread[key] = 0  # validation refuses cycles; this stops one anyway
            if condition is not None:
                self._spread[key] = self.selections(
                    fragment.selection_set, condition, page
                )
        return condition, self._spread[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        """One field's cost: 1, times its length for a list, plus what it selects."""
        if node.name.value.startswith("__"):
            return 0
        definition: GraphQLField | None = getattr(parent, "fields", {}).get(
            node.name.value
        )
        if definition is None:
            return 1
        arguments = self._arguments(node, definition)
        own_page = _page(definition, arguments)
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 1
        child = 1 + self.selections(node.selection_set, named, own_page)
        if not isinstance(get_nullable_type(definition.type), GraphQLList):
            return child
        ids = arguments.get("ids")
        if isinstance(ids, list):
            length = _bounded(len(ids))
        elif own_page is not None:
            length = own_page
        else:
            length = page if page is not None else UNPAGED_LIST_SIZE
        return length * child

    def _arguments(self, node: FieldNode, definition: GraphQLField) -> dict[str, Any]:
        return {
            argument.name.value: self._value(argument.value)
            for argument in node.arguments or ()
            if argument.name.value in definition.args
        }

    def _value(self, node: ValueNode | None) -> Any:
        """An argument's value as far as the cost needs it: whole numbers, lists."""
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return [self._value(item) for item in node.values]
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            return self._value(self.defaults.get(name))
        return None

    def _type(self, condition: NamedTypeNode | None) -> GraphQLNamedType | None:
        return self.schema.get_type(condition.name.value) if condition else None

    def _applies(self, condition: GraphQLNamedType, kind: GraphQLObjectType) -> bool:
        """Whether a fragment on `condition` applies to an object of `kind`."""
        if is_abstract_type(condition):
            return self.schema.is_sub_type(cast(GraphQLAbstractType, condition), kind)
        return condition is kind


def _page(definition: GraphQLField, arguments: Mapping[str, Any]) -> int | None:
    """A paged field's page size: its first or last, or the default; else None."""
    if not any(name in definition.args for name in PAGE_ARGUMENTS):
        return None
    for name in PAGE_ARGUMENTS:
        size = arguments.get(name)
        if isinstance(size, int):
            return _bounded(size)
    return DEFAULT_PAGE_SIZE


def _bounded(size: int) -> int:
    # A longer page or list is refused by its resolver, so it never costs more.
    return min(max(size, 0), MAX_PAGE_SIZE)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
) -> int:
    """The cost of one operation of a validated document, given its variables."""
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    defaults = {
        d.variable.name.value: d.default_value
        for d in operation.variable_definitions or ()
    }
    counter = _Counter(schema, fragments, variables, defaults)
    return counter.selections(operation.selection_set, root, None)


class CostLimiter(SchemaExtension):
    """Refuse an operation whose cost is over `max_cost` before it executes."""

    def __init__(self, max_cost: int) -> None:
        super().__init__()
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        """Count the operation's cost; over the limit, answer an error instead."""
        context = self.execution_context
        document = context.graphql_document
        operation = (
            get_operation_ast(document, context.operation_name) if document else None
        )
        if document is not None and operation is not None and not context.result:
            schema = context.schema._schema
            cost = operation_cost(schema, document, operation, context.variables or {})
            if cost > self.max_cost:
                context.result = ExecutionResult(
                    data=None, errors=[too_costly(cost, self.max_cost, operation)]
                )
        yield


def too_costly(
    cost: int, max_cost: int, operation: OperationDefinitionNode
) -> GraphQLError:
    """The error of an operation over the cost limit."""
    return GraphQLError(
        f"This operation may resolve about {cost:,} values, more than the limit of "
        f"{max_cost:,}: ask for smaller pages (first/last), fewer IDs or fewer "
        "nested lists, or split it into several requests.",
        nodes=[operation],
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": max_cost},
    )
