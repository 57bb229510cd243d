"""Webhook endpoints: register one for a program, disable, enable and delete it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import strawberry
from mentorlog.core.access import Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import NotFound
from mentorlog.core.policy import may_command
from mentorlog.core.webhooks import WebhookEndpoint as Endpoint
from mentorlog.core.webhooks import new_secret
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
from mentorlog.schema.errors import UserError
from mentorlog.schema.history import MentorshipEventType

WEBHOOK_ID = "The webhook endpoint's global ID (from registerWebhook)."
TYPE_NAME = "WebhookEndpoint"
Run = Callable[[Mentoring, str, str], Recorded]


@strawberry.type(
    description="A URL a program's mentorship events are sent to, signed per "
    "Standard Webhooks. Its secret is shown once, by registerWebhook."
)
class WebhookEndpoint:
    id: ID = strawberry.field(description="The endpoint's global ID.")
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
            id=ID(ids.global_id(TYPE_NAME, str(endpoint.id))),
            program_id=ID(ids.global_id("Program", endpoint.program_id)),
            url=endpoint.url,
            event_types=[MentorshipEventType(t) for t in endpoint.event_types],  # type: ignore[misc]
            description=endpoint.description,
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
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
        description="Register a URL the program's mentorship events are sent to, "
        "signed with a secret shown once."
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
