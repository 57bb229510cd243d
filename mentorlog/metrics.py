"""Prometheus metrics for /metrics: requests, latencies, commands, lag, subscribers.

Every label value comes from a bounded set the server defines: routes, the
schema's root fields, error codes, command names. Nothing a client sends (an
operation name, a path, a variable) and nothing read from the data becomes a
label, so the series stay few and no token or private text reaches them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationType,
    get_operation_ast,
)
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from mentorlog.core.commands.base import COMMANDS
from mentorlog.services import Services

ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics")
OTHER = "other"
_CODE = re.compile(r"[A-Z][A-Z_]{0,39}")
# Seconds: from a cached read to a write that waits for the projections.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The process's metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "mentorlog_http_requests",
            "HTTP requests answered, by route and status code.",
            ["route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "mentorlog_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.operations = Counter(
            "mentorlog_graphql_operations",
            "GraphQL operations, by type, root field (one the schema has, or "
            "'multiple' / 'other') and outcome (ok, user_error, or the error code).",
            ["type", "field", "outcome"],
            registry=self.registry,
        )
        self.operation_seconds = Histogram(
            "mentorlog_graphql_operation_duration_seconds",
            "Time to run a GraphQL operation, by type and root field.",
            ["type", "field"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "mentorlog_commands_recorded",
            "Commands whose changes were recorded, by command.",
            ["command"],
            registry=self.registry,
        )
        self.retries = Counter(
            "mentorlog_command_retries",
            "Commands run again: after a concurrent writer won (conflict) or on a "
            "fresh database connection (connection).",
            ["command", "reason"],
            registry=self.registry,
        )

        # Each metric's child per label values, looked up once: the label sets
        # are bounded, and prometheus_client's labels() checks and locks each call.
        self._children: dict[tuple[object, ...], Any] = {}

    def child(self, metric: Any, *values: str) -> Any:
        """The metric's child for these label values."""
        key = (metric, *values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found

    # -- the core's CommandObserver --------------------------------------------

    def recorded(self, command: str) -> None:
        """A command's save committed."""
        self.commands.labels(_command(command)).inc()

    def retried(self, command: str, reason: str) -> None:
        """A command runs again."""
        self.retries.labels(_command(command), reason).inc()

    def operation(self, labels: Labels, result: Any, seconds: float) -> None:
        """Count and time one GraphQL operation, once its result is known."""
        kind, field, key = labels
        self.child(self.operation_seconds, kind, field).observe(seconds)
        outcome = operation_outcome(result, key)
        self.child(self.operations, kind, field, outcome).inc()

    def watch(
        self, services: Services, feed: Any, reads: Mapping[str, int] | None = None
    ) -> None:
        """Report projection lag, the feed's subscribers, where reads ran."""
        self.registry.register(StateCollector(services, feed, reads))

    def watch_documents(self, counts: Callable[[], tuple[int, int, int]]) -> None:
        """Report the kept GraphQL documents: requests kept, parsed, and how many."""
        self.registry.register(DocumentsCollector(counts))


def _command(name: str) -> str:
    return name if name in COMMANDS else OTHER


class StateCollector(Collector):
    """Read at each scrape: projection lag, failures, subscribers, where reads ran."""

    def __init__(
        self, services: Services, feed: Any, reads: Mapping[str, int] | None = None
    ) -> None:
        self.services = services
        self.feed = feed
        self.reads = reads  # a ReadDatabase's `reads` counts, when it keeps them
        # Later: a webhook delivery backlog gauge reads its queue here, like these.
        self.backlogs: dict[str, Callable[[], int]] = {}

    def collect(self) -> Iterable[Metric]:
        """Read the gauges now (this reads the positions from the database)."""
        runner = self.services.runner
        lag = GaugeMetricFamily(
            "mentorlog_projection_lag_events",
            "Events recorded but not yet applied, by projection.",
            labels=["projection"],
        )
        try:
            statuses = runner.status()
        except Exception:  # the scrape still answers, saying the database does not
            statuses = None
        for status in statuses or ():
            lag.add_metric([status.name], status.behind)
        yield lag
        yield GaugeMetricFamily(
            "mentorlog_database_up",
            "1 when the database answered this scrape's reads.",
            value=0 if statuses is None else 1,
        )
        yield GaugeMetricFamily(
            "mentorlog_projections_failed",
            "1 when this process's projection follower stopped on an error.",
            value=1 if runner.failure is not None else 0,
        )
        yield GaugeMetricFamily(
            "mentorlog_subscribers",
            "Open GraphQL subscriptions in this process.",
            value=len(self.feed.subscribers),
        )
        if self.reads is not None:
            reads = CounterMetricFamily(
                "mentorlog_read_queries",
                "Read-model queries, by where they ran: on the event loop, or on a "
                "thread when they outran the loop's budget.",
                labels=["on"],
            )
            for place in ("loop", "thread"):
                reads.add_metric([place], self.reads.get(place, 0))
            yield reads
        for name, backlog in self.backlogs.items():
            yield GaugeMetricFamily(
                f"mentorlog_{name}_backlog", f"Items waiting: {name}.", value=backlog()
            )


class HttpMetrics:
    """ASGI middleware counting HTTP requests by route and status, timing them."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; count its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = path if path in ROUTES else OTHER
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            metrics = self.metrics
            seconds = time.perf_counter() - started
            metrics.child(metrics.http_seconds, route).observe(seconds)
            metrics.child(metrics.http_requests, route, str(status)).inc()


class DocumentsCollector(Collector):
    """How often a request's GraphQL document was kept from an earlier request."""

    def __init__(self, counts: Callable[[], tuple[int, int, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterable[Metric]:
        """Read the counts now."""
        kept, parsed, size = self.counts()
        documents = CounterMetricFamily(
            "mentorlog_graphql_documents",
            "GraphQL documents requests ran, by source: kept (parsed and validated "
            "for an earlier request) or parsed (and validated) for this one.",
            labels=["source"],
        )
        documents.add_metric(["kept"], kept)
        documents.add_metric(["parsed"], parsed)
        yield documents
        yield GaugeMetricFamily(
            "mentorlog_graphql_documents_kept",
            "GraphQL documents kept parsed and validated, the least recent dropped "
            "first.",
            value=size,
        )


def operation_metrics(metrics: Metrics) -> Callable[[], SchemaExtension]:
    """A Strawberry extension factory counting and timing each operation."""

    def make() -> SchemaExtension:
        return OperationMetrics(metrics)

    return make


class OperationMetrics(SchemaExtension):
    """Counts an operation by type, root field and outcome, and times it."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_operation(self) -> Iterator[None]:
        """Time the operation; count it once its result is known."""
        started = time.perf_counter()
        yield
        context = self.execution_context
        self.metrics.operation(
            operation_labels(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
            ),
            context.result,
            time.perf_counter() - started,
        )


Labels = tuple[str, str, str | None]


def operation_labels(
    schema: GraphQLSchema, document: DocumentNode | None, operation_name: str | None
) -> Labels:
    """The operation's type, its root field's name, and that field's key."""
    if document is None:
        return "unknown", OTHER, None
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return "unknown", OTHER, None
    kind = operation.operation
    fields = operation.selection_set.selections
    if len(fields) != 1 or not isinstance(fields[0], FieldNode):
        return kind.value, "multiple", None
    node = fields[0]
    key = (node.alias or node.name).value
    if node.name.value not in _root_fields(schema, kind):
        return kind.value, OTHER, key
    return kind.value, node.name.value, key


def operation_outcome(result: Any, key: str | None) -> str:
    """ok, user_error, or the first error's code (lower case)."""
    errors = getattr(result, "errors", None)
    if errors:
        code = (errors[0].extensions or {}).get("code")
        return (
            code.lower() if isinstance(code, str) and _CODE.fullmatch(code) else "error"
        )
    data = getattr(result, "data", None)
    payload = data.get(key) if isinstance(data, dict) and key else None
    if isinstance(payload, dict) and payload.get("userErrors"):
        return "user_error"
    return "ok"


@cache
def _root_fields(schema: GraphQLSchema, kind: OperationType) -> frozenset[str]:
    """The names of the schema's root fields of one operation type."""
    root = schema.get_root_type(kind)
    return frozenset(root.fields) if root is not None else frozenset()
