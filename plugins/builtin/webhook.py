"""Built-in notifier `webhook`: nudges to the program's webhook endpoints.

A nudge is recorded as an event before it is sent, and every event of a
mentorship leaves through its program's webhook outbox (projections/webhooks.py,
mentorlog/webhooks.py: signed per Standard Webhooks, retried, deduped by
webhook-id). So this channel sends nothing itself: the nudge's event is its
delivery, to each endpoint that subscribes to its type. It answers whether an
endpoint will carry it.
"""

from __future__ import annotations

from mentorlog.plugins.hookspecs import hookimpl
from mentorlog.plugins.interfaces import Notification, NotificationContext


@hookimpl
def send_notification(
    notification: Notification, context: NotificationContext
) -> bool | None:
    """True when an enabled endpoint of the program takes the nudge's event type."""
    taken = context.webhook_receivers(notification.program_id, notification.event_type)
    return True if taken else None
