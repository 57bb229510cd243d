"""Operations as the API runs them: each document prepared once, run on graphql-core.

Strawberry builds the schema and runs subscriptions (`Schema.subscribe`, with the
schema's extensions). Its `Schema.execute` spends about 100 µs per operation in its
extension runner before anything resolves (graphql-core executes `{ __typename }`
in 14 µs), so HTTP, the pages and the meeting invites run their operations here: a
document is parsed (with the token limit) and validated (the spec's rules,
Strawberry's, and the limits of schema/api.py) once and kept by its text; each run
only picks its operation, checks its type and cost (with its variables) and
executes it on the schema's graphql-core schema with Strawberry's execution
context, so resolvers get the same `Info` as through `Schema.execute`. Errors are
masked and coded as the schema's extensions do (schema/errors.py), and each
operation counted as the metrics extension counts one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any, TypeGuard, cast

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule
from mentorlog.schema.api import CACHE_SIZE, MAX_TOKENS
from mentorlog.schema.cost import operation_cost, too_costly
from mentorlog.schema.errors import (
    PARSE_FAILED,
    VALIDATION_FAILED,
    client_errors,
    coded,
)
from mentorlog.schema.requests import RequestError, choose_operation
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from mentorlog.metrics import Metrics, operation_labels

# Strawberry's check of a resolver's value (a fast path for plain values), as
# graphql-core's signature types it.
IS_AWAITABLE = cast(
    "Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable
)
SUBSCRIPTIONS_NEED_A_SOCKET = (
    "subscriptions run over a WebSocket at this path (protocol graphql-transport-ws)"
)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A document as parsed and validated once; `errors` say why it may not run."""

    document: DocumentNode | None
    errors: Sequence[GraphQLError]
    # The cost of each operation that takes no variables, by id(), once counted.
    costs: dict[int, int] = field(default_factory=dict)

    def cost(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
    ) -> int:
        """The operation's cost with these variables (counted once if it takes none)."""
        assert self.document is not None
        if operation.variable_definitions:
            return operation_cost(schema, self.document, operation, variables or {})
        key = id(operation)
        if key not in self.costs:
            self.costs[key] = operation_cost(schema, self.document, operation, {})
        return self.costs[key]


class MutationOverGet(RequestError):
    """A mutation sent with GET: 405, it needs POST."""

    def __init__(self) -> None:
        super().__init__(405, "mutations need POST; GET serves queries only")


class Operations:
    """The schema's operations: documents prepared once, then executed."""

    def __init__(
        self,
        schema: strawberry.Schema,
        rules: Sequence[type[ASTValidationRule]],
        max_cost: int,
        metrics: Metrics | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.schema = schema
        self.graphql = schema._schema
        self.rules = (
            *specified_rules,
            *rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
        )
        self.hide_suggestions = schema.config.disable_field_suggestions
        self.max_cost = max_cost
        self.metrics = metrics
        self.cache_size = cache_size
        self._prepared: OrderedDict[str, Prepared] = OrderedDict()
        self.kept = 0  # requests whose document was kept from an earlier one
        self.parsed = 0  # requests whose document was parsed and validated anew
        if metrics is not None:
            metrics.watch_documents(
                lambda: (self.kept, self.parsed, len(self._prepared))
            )

    def prepare(self, query: str) -> Prepared:
        """The document of this text, parsed and validated; kept for the next time."""
        prepared = self._prepared.get(query)
        if prepared is not None:
            self._prepared.move_to_end(query)
            self.kept += 1
            return prepared
        self.parsed += 1
        prepared = self._prepare(query)
        self._prepared[query] = prepared
        if len(self._prepared) > self.cache_size:
            self._prepared.popitem(last=False)
        return prepared

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLSyntaxError as error:
            return Prepared(None, (coded(error, PARSE_FAILED),))
        except RecursionError:
            too_deep = GraphQLError(
                "Syntax Error: the document nests too deeply.",
                extensions={"code": PARSE_FAILED},
            )
            return Prepared(None, (too_deep,))
        errors = validate(
            self.graphql, document, self.rules, hide_suggestions=self.hide_suggestions
        )
        return Prepared(document, tuple(coded(e, VALIDATION_FAILED) for e in errors))

    async def run(
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
        method: str,
    ) -> ExecutionResult:
        """Run the operation a request names, or answer why it cannot run.

        Raises RequestError for what the client must change before anything can
        run: no query, an operation name that names none, a subscription, or a
        mutation over GET.
        """
        started = time.perf_counter()
        if not query:
            raise RequestError(400, "No GraphQL query found in the request")
        prepared = self.prepare(query)
        document = prepared.document
        operation = None
        if document is not None:
            operation = choose_operation(document, operation_name)
            if operation is not None:
                kind = operation.operation
                if kind is OperationType.SUBSCRIPTION:
                    raise RequestError(400, SUBSCRIPTIONS_NEED_A_SOCKET)
                if kind is OperationType.MUTATION and method == "GET":
                    raise MutationOverGet()
        result = await self._execute(
            prepared, operation, variables, operation_name, context
        )
        if self.metrics is not None:
            labels = operation_labels(self.graphql, document, operation_name)
            self.metrics.operation(labels, result, time.perf_counter() - started)
        return result

    async def _execute(
        self,
        prepared: Prepared,
        operation: OperationDefinitionNode | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
    ) -> ExecutionResult:
        """The result, its errors as a client sees them."""
        if prepared.errors or prepared.document is None or operation is None:
            return ExecutionResult(None, list(prepared.errors))
        cost = prepared.cost(self.graphql, operation, variables)
        if cost > self.max_cost:
            return ExecutionResult(None, [too_costly(cost, self.max_cost, operation)])
        result = execute(
            self.graphql,
            prepared.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            executor_class=self.schema.execution_context_class,
            is_awaitable=IS_AWAITABLE,
            hide_suggestions=self.hide_suggestions,
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.errors:
            in_mutation = operation.operation is OperationType.MUTATION
            result.errors = client_errors(result.errors, in_mutation)
        return result
