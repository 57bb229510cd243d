"""Webhook endpoints: register one for a program, disable, enable and delete it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_command, may_manage_webhooks
from mentorlog.core.webhooks import WebhookEndpoint as Endpoint
from mentorlog.core.webhooks import new_secret
from mentorlog.projections import webhooks as outbox
from mentorlog.schema import authorize as auth
from mentorlog.schema import ids
from mentorlog.schema.commands import (
    ID,
    INPUT,
    PROGRAM_ID,
    USER_ERRORS,
    CommandInput,
    arg,
    arguments,
    perform,
)
from mentorlog.schema.context import Info
from mentorlog.schema.errors import ClientError, UserError
from mentorlog.schema.events import decode_position, encode_position
from mentorlog.schema.history import MentorshipEventType
from mentorlog.schema.pagination import MAX_PAGE_SIZE
from strawberry import relay

WEBHOOK_ID = "The webhook endpoint's global ID (from registerWebhook)."
TYPE_NAME = "WebhookEndpoint"
DEFAULT_DELIVERIES = 20
Run = Callable[[Mentoring, str, str], Recorded]


@strawberry.type(description="One event's delivery to an endpoint, and its tries.")
class WebhookDelivery:
    position: int = strawberry.field(
        description="The event's position in the log (the payload's data.position)."
    )
    message_id: str = strawberry.field(
        description="Its webhook-id header: the same on every try, to dedupe by."
    )
    event_type: MentorshipEventType = strawberry.field(  # type: ignore[valid-type]
        description="The event's type."
    )
    status: str = strawberry.field(
        description="pending (to be tried, at nextAttemptAt), delivered (a 2xx "
        "answer), or failed (every try failed; redeliverWebhook tries again)."
    )
    attempts: int = strawberry.field(description="How many tries were made.")
    last_status: int | None = strawberry.field(
        description="The HTTP status of the last try; null if it got no answer."
    )
    last_error: str = strawberry.field(
        description="Why the last try failed; empty if it did not."
    )
    next_attempt_at: str | None = strawberry.field(
        description="When it is tried next (ISO 8601, UTC); null unless pending."
    )
    delivered_at: str | None = strawberry.field(
        description="When a try was acknowledged (ISO 8601, UTC); null if none was."
    )


@strawberry.type(description="A delivery in a page of an endpoint's deliveries.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Its place, for `after`.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of an endpoint's deliveries, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The page.")
    page_info: relay.PageInfo = strawberry.field(
        description="Whether more follow, and the cursors at each end."
    )


@strawberry.type(
    description="A URL a program's mentorship events are sent to, signed per "
    "Standard Webhooks. Its secret is shown once, by registerWebhook."
)
class WebhookEndpoint(relay.Node):
    id: relay.NodeID[str]
    program_id: ID = strawberry.field(description="The program's global ID.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    event_types: list[MentorshipEventType] = strawberry.field(  # type: ignore[valid-type]
        description="The event types it receives; empty: every type."
    )
    description: str = strawberry.field(description="What it is for.")
    enabled: bool = strawberry.field(
        description="Whether deliveries are made; a disabled endpoint resumes "
        "where it stopped when enabled."
    )
    disabled_reason: str = strawberry.field(
        description="Why it was disabled (by an admin, or after repeated failures)."
    )

    @classmethod
    def of(cls, endpoint: Endpoint) -> WebhookEndpoint:
        """The endpoint as its aggregate holds it."""
        return cls(
            id=str(endpoint.id),
            program_id=ID(ids.global_id("Program", endpoint.program_id)),
            url=endpoint.url,
            event_types=[MentorshipEventType(t) for t in endpoint.event_types],  # type: ignore[misc]
            description=endpoint.description,
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WebhookEndpoint | None]:
        """Endpoints by node ID: for their program's admins; None for anyone else."""
        app, principal = info.context.services.app, info.context.principal

        def load(endpoint_id: str) -> Endpoint | None:
            try:
                found = app.get_webhook(endpoint_id)
            except NotFound:
                return None
            readable = may_manage_webhooks(principal, found.program_id)
            return found if readable and not found.deleted else None

        found = [await info.context.in_thread(load, n) for n in node_ids]
        return [cls.of(e) if e is not None else None for e in found]

    @strawberry.field(
        description="Its deliveries, newest first: each event sent (or to be "
        "sent), with its tries."
    )
    async def deliveries(
        self,
        info: Info,
        first: Annotated[
            int | None, arg("How many, at most 100 (default 20).")
        ] = DEFAULT_DELIVERIES,
        after: Annotated[
            str | None, arg("A cursor from a previous page: the deliveries older.")
        ] = None,
    ) -> WebhookDeliveryConnection:
        size = DEFAULT_DELIVERIES if first is None else first
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(
                f"first must be between 0 and {MAX_PAGE_SIZE}", argument="first"
            )
        before = decode_position(after, "after") if after is not None else None
        rows = await outbox.deliveries_page(info.context.db, self.id, before, size + 1)
        edges = [
            WebhookDeliveryEdge(
                cursor=encode_position(r["position"]), node=_delivery(r)
            )
            for r in rows[:size]
        ]
        return WebhookDeliveryConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=len(rows) > size,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


def _delivery(row: dict[str, Any]) -> WebhookDelivery:
    pending = row["status"] == outbox.PENDING
    return WebhookDelivery(
        position=row["position"],
        message_id=row["message_id"],
        event_type=MentorshipEventType(row["event_type"]),
        status=row["status"],
        attempts=row["attempts"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"] if pending else None,
        delivered_at=row["delivered_at"],
    )


@strawberry.input(
    description="A URL to send a program's events to. An endpoint's secret is shown "
    "once, so this input takes no idempotency key."
)
class RegisterWebhookInput:
    program_id: ID = strawberry.field(description=PROGRAM_ID)
    url: str = strawberry.field(
        description="An http or https URL; by default its host may not resolve to a "
        "loopback, link-local or private address (MENTORLOG_WEBHOOKS_ALLOW_PRIVATE "
        "allows them)."
    )
    event_types: list[MentorshipEventType] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list,
        description="The event types to send; empty (the default): every type.",
    )
    description: str = strawberry.field(default="", description="What it is for.")
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret ('whsec_' and the base64 of 24 to 64 random "
        "bytes); null (the default): a new one is made. No two endpoints share one.",
    )


@strawberry.input(description="Which endpoint to disable, and why.")
class DisableWebhookInput(CommandInput):
    webhook_id: ID = strawberry.field(description=WEBHOOK_ID)
    reason: str = strawberry.field(default="", description="Why, for the record.")


@strawberry.input(description="Which endpoint to enable again.")
class EnableWebhookInput(CommandInput):
    webhook_id: ID = strawberry.field(description=WEBHOOK_ID)


@strawberry.input(description="Which endpoint to delete.")
class DeleteWebhookInput(CommandInput):
    webhook_id: ID = strawberry.field(description=WEBHOOK_ID)


@strawberry.input(description="Which deliveries of an endpoint to send again.")
class RedeliverWebhookInput(CommandInput):
    webhook_id: ID = strawberry.field(description=WEBHOOK_ID)
    positions: list[int] = strawberry.field(
        description="The deliveries' positions (WebhookDelivery.position), 1 to 100."
    )


@strawberry.type(description="The result of registerWebhook.")
class RegisterWebhookPayload:
    webhook: WebhookEndpoint | None = strawberry.field(
        description="The endpoint registered. Null when refused."
    )
    secret: str | None = strawberry.field(
        description="The signing secret. Shown this once: it is stored sealed and "
        "never read back. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description="The result of disableWebhook, enableWebhook or deleteWebhook."
)
class WebhookPayload:
    webhook: WebhookEndpoint | None = strawberry.field(
        description="The endpoint, as it is now. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def endpoint(app: Mentoring, principal: Principal, command: str, value: str) -> str:
    """The endpoint's ID, if the principal may run the command on it; else NotFound."""
    endpoint_id = ids.decode(value, TYPE_NAME, "webhookId")
    try:
        found: Endpoint | None = app.get_webhook(endpoint_id)
    except NotFound:
        found = None
    if (
        found is None
        or found.deleted
        or not may_command(principal, command, found.program_id)
    ):
        raise NotFound(f"no webhook endpoint with ID {endpoint_id}", "webhookId")
    return endpoint_id


@strawberry.type
class WebhookMutations:
    """The mutations of webhook endpoints."""

    @strawberry.mutation(
        description="Register a URL the program's mentorship events recorded from "
        "now on are sent to, signed with a secret shown once."
    )
    async def register_webhook(
        self, info: Info, input: Annotated[RegisterWebhookInput, arg(INPUT)]
    ) -> RegisterWebhookPayload:
        secret = input.secret if input.secret is not None else new_secret()
        made: list[Endpoint] = []

        def command(app: Mentoring, principal: Principal) -> Recorded:
            program_id = ids.decode(input.program_id, "Program", "programId")
            auth.program(app, principal, "register_webhook", program_id)
            recorded = app.register_webhook(
                program_id,
                actor=principal.actor,
                **arguments(input, "register_webhook", secret=secret),
            )
            made.append(app.get_webhook(recorded.id))
            return recorded

        recorded, errors = await perform(info, command)
        return RegisterWebhookPayload(
            webhook=WebhookEndpoint.of(made[0]) if recorded else None,
            secret=secret if recorded else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Stop deliveries to a webhook endpoint; enabling it resumes "
        "them where they stopped."
    )
    async def disable_webhook(
        self, info: Info, input: Annotated[DisableWebhookInput, arg(INPUT)]
    ) -> WebhookPayload:
        return await _change(
            info,
            "disable_webhook",
            input.webhook_id,
            lambda app, webhook_id, actor: app.disable_webhook(
                webhook_id, actor=actor, **arguments(input, "disable_webhook")
            ),
        )

    @strawberry.mutation(
        description="Resume deliveries to a disabled webhook endpoint."
    )
    async def enable_webhook(
        self, info: Info, input: Annotated[EnableWebhookInput, arg(INPUT)]
    ) -> WebhookPayload:
        return await _change(
            info,
            "enable_webhook",
            input.webhook_id,
            lambda app, webhook_id, actor: app.enable_webhook(
                webhook_id, actor=actor, **arguments(input, "enable_webhook")
            ),
        )

    @strawberry.mutation(
        description="Delete a webhook endpoint: nothing is sent to it again, and its "
        "secret is destroyed."
    )
    async def delete_webhook(
        self, info: Info, input: Annotated[DeleteWebhookInput, arg(INPUT)]
    ) -> WebhookPayload:
        return await _change(
            info,
            "delete_webhook",
            input.webhook_id,
            lambda app, webhook_id, actor: app.delete_webhook(
                webhook_id, actor=actor, **arguments(input, "delete_webhook")
            ),
        )

    @strawberry.mutation(
        description="Send deliveries of an endpoint again from their first try "
        "(delivered or failed ones alike), with the same webhook-id."
    )
    async def redeliver_webhook(
        self, info: Info, input: Annotated[RedeliverWebhookInput, arg(INPUT)]
    ) -> WebhookPayload:
        return await _change(
            info,
            "redeliver_webhook",
            input.webhook_id,
            lambda app, webhook_id, actor: app.redeliver_webhook(
                webhook_id, actor=actor, **arguments(input, "redeliver_webhook")
            ),
        )


@strawberry.type
class WebhookQueries:
    """A program's webhook endpoints."""

    @strawberry.field(
        description="The webhook endpoints of a program (at most 100, oldest "
        "first): for its admins; empty for anyone else."
    )
    async def webhook_endpoints(
        self, info: Info, program_id: Annotated[ID, arg(PROGRAM_ID)]
    ) -> list[WebhookEndpoint]:
        try:
            program = ids.decode(program_id, "Program", "programId")
        except NotFound:
            return []
        if not may_manage_webhooks(info.context.principal, program):
            return []
        rows = await outbox.endpoints_of(info.context.db, program)
        app = info.context.services.app
        found = [
            await info.context.in_thread(app.get_webhook, r["id"]) for r in rows[:100]
        ]
        return [WebhookEndpoint.of(e) for e in found]


async def _change(info: Info, command: str, value: str, run: Run) -> WebhookPayload:
    """Run a command on an endpoint of the token's program; answer it as it is now."""
    after: list[Endpoint] = []

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        endpoint_id = endpoint(app, principal, command, value)
        recorded = run(app, endpoint_id, principal.actor)
        after.append(app.get_webhook(endpoint_id))
        return recorded

    recorded, errors = await perform(info, checked)
    return WebhookPayload(
        webhook=WebhookEndpoint.of(after[0]) if recorded else None, user_errors=errors
    )
