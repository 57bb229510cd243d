"""Built-in notifier `email`: nudges as plain-text email over SMTP (smtplib).

The standard library's smtplib is enough: the nudge worker runs in a thread of
its own (like the webhook sender), so a blocking client with a timeout fits,
and no dependency is added. TLS is none, STARTTLS or implicit TLS, each
verifying the server's certificate against the system's CAs.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from mentorlog.plugins.hookspecs import hookimpl
from mentorlog.plugins.interfaces import (
    Notification,
    NotificationContext,
    NotificationFailed,
    SmtpSettings,
)


def message_of(notification: Notification, sender: str) -> EmailMessage:
    """The email of a notification (headers with CR or LF are refused)."""
    message = EmailMessage()
    message["From"] = sender
    recipient = notification.recipient
    message["To"] = formataddr((recipient.name, recipient.email))
    message["Subject"] = notification.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    # The same on every try, so a mailbox that sees a retry twice can tell.
    message["Message-ID"] = f"<nudge-{notification.id}@mentorlog.invalid>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
    message.set_content(notification.text)
    return message


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server, or raise NotificationFailed."""
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if smtp.tls == "tls":
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.tls == "starttls":
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, smtp.password)
            client.send_message(message)
    except smtplib.SMTPResponseException as error:
        reason = _text(error.smtp_error)
        raise NotificationFailed(f"SMTP {error.smtp_code} {reason}"[:500]) from error
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()))
        raise NotificationFailed(f"SMTP {code} {_text(answer)}"[:500]) from error
    except (smtplib.SMTPException, OSError) as error:
        raise NotificationFailed(f"{type(error).__name__}: {error}"[:500]) from error


def _text(answer: bytes | str) -> str:
    """An SMTP server's answer as text."""
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


@hookimpl
def send_notification(
    notification: Notification, context: NotificationContext
) -> bool | None:
    """Email the nudge to the person's address; None if they have none."""
    if not notification.recipient.email:
        return None
    if context.smtp is None:
        raise NotificationFailed("no SMTP server is set (MENTORLOG_SMTP_HOST)")
    try:
        message = message_of(notification, context.smtp.sender)
    except ValueError as error:  # a header that cannot be written safely
        raise NotificationFailed(f"the email cannot be written: {error}") from error
    send(context.smtp, message)
    return True
