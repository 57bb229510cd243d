"""The nudge worker: finds the nudges programs' rules make due, records, sends.

A thread beside the projections (the leader's, on PostgreSQL) runs a round every
`nudges_interval` seconds; `mentorlog nudges run` runs one. A round reads the
read models for what each program's rules make due (active mentorships quiet
for N days, meetings starting within N hours, agreements unsigned N days after
they were recorded), for each participant and channel. Each nudge is recorded
before it is sent (`send_nudge`: its ID is derived from what it is about, so a
second worker, or a second round, meets it and sends nothing), then handed to
its channel's notifier (the `send_notification` hook) and the outcome recorded.
A try that fails is retried with exponential backoff on a later round, up to
`nudges_max_attempts` tries; a try nobody recorded an outcome for (its worker
stopped) is taken over after `nudges_unanswered` seconds, so a nudge is sent at
most once unless a worker stops between the channel accepting it and the
record. Every outcome is an event of the mentorship, with the error if any.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mentorlog.core import clock
from mentorlog.core.commands.base import first_line
from mentorlog.core.errors import MentorlogError, NotFound, NudgeAlreadySent
from mentorlog.core.nudges import (
    AGREEMENT_UNSIGNED,
    MEETING_REMINDER,
    NUDGE_EVENT_TYPE,
    QUIET,
    RETRYING,
    SENDING,
    agreement_due,
    nudge_id,
    quiet_due,
    reminder_due,
    words,
)
from mentorlog.plugins.interfaces import (
    Notification,
    NotificationContext,
    Recipient,
)
from mentorlog.webhooks import DATABASE_ERRORS, Parts, outbox

log = logging.getLogger(__name__)

ACTOR = "system:nudges"


@dataclass(frozen=True)
class Due:
    """A nudge a rule makes due, not yet claimed."""

    mentorship_id: str
    rule: str
    person_id: str
    channel: str
    occasion: str
    meeting_id: str | None = None

    @property
    def id(self) -> str:
        """The nudge's ID."""
        return nudge_id(
            self.mentorship_id, self.rule, self.occasion, self.person_id, self.channel
        )


@dataclass
class Round:
    """What one round did: nudges claimed, retried, delivered, failed."""

    sent: int = 0
    retried: int = 0
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _at(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Nudger:
    """Runs rounds of nudges on a timer, in a thread of its own."""

    def __init__(self, services: Parts) -> None:
        self.services = services
        self.settings = services.settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the thread ---------------------------------------------------------------

    def start(self) -> None:
        """Start running rounds (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="mentorlog-nudges", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop; a round under way ends after its current try."""
        self._stop.set()
        if self._thread is not None:
            timeout = self.settings.smtp.timeout if self.settings.smtp else 10.0
            self._thread.join(timeout + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.services.runner.leading:
                    self.run_once()
            except DATABASE_ERRORS as error:  # lost or gone: the next round retries
                log.warning(
                    "nudges: the database failed a round (%s); trying again",
                    first_line(error),
                )
            except Exception:  # a bad round must not end the thread
                log.exception("nudges: a round failed")
            self._stop.wait(self.settings.nudges_interval)

    # -- one round ----------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> Round:
        """Claim and send every nudge due, and retry those due a retry.

        With `now`, the round runs as of that moment (its events stamped so).
        """
        done = Round()
        moment = now or clock.now()
        with clock.simulated(lambda: moment) if now else nullcontext():
            for due in self._due(moment):
                if self._stop.is_set():
                    break
                self._claim(due, done)
            for mentorship_id, nudge in self._retries(moment):
                if self._stop.is_set():
                    break
                self._retry(mentorship_id, nudge, done)
        return done

    def _claim(self, due: Due, done: Round) -> None:
        try:
            self.services.app.send_nudge(
                due.mentorship_id,
                actor=ACTOR,
                nudge_id=due.id,
                rule=due.rule,
                person_id=due.person_id,
                channel=due.channel,
                meeting_id=due.meeting_id,
                occasion=due.occasion,
            )
        except NudgeAlreadySent:
            return  # another worker (or round) has it
        except MentorlogError as error:  # closed or changed since the read
            log.info("nudge %s not sent: %s", due.id, error)
            return
        done.sent += 1
        self._send(due.mentorship_id, due.id, 1, done)

    def _retry(self, mentorship_id: str, nudge_id: str, done: Round) -> None:
        try:
            recorded = self.services.app.retry_nudge(
                mentorship_id,
                actor=ACTOR,
                nudge_id=nudge_id,
                unanswered_after=self.settings.nudges_unanswered,
            )
        except MentorlogError:
            return  # taken by another worker, or no longer due
        done.retried += 1
        self._send(mentorship_id, nudge_id, int(recorded.id), done)

    def _send(
        self, mentorship_id: str, nudge_id: str, attempt: int, done: Round
    ) -> None:
        """Hand the claimed try to its channel's notifier and record the outcome."""
        app = self.services.app
        notification = self._notification(mentorship_id, nudge_id, attempt)
        notifier = app.catalog.notifiers.get(notification.channel)
        error, final = "", False
        try:
            if notifier is None:
                error, final = f"no notifier '{notification.channel}' is loaded", True
            elif notifier(notification, self._context()) is None:
                error, final = (
                    (f"the {notification.channel} channel cannot reach this person"),
                    True,
                )
        except Exception as failure:  # the plugin's error: recorded, retried
            error = f"{first_line(failure)}" or type(failure).__name__
        if not error:
            app.record_nudge_delivered(
                mentorship_id, actor=ACTOR, nudge_id=nudge_id, attempt=attempt
            )
            done.delivered += 1
            return
        if attempt >= self.settings.nudges_max_attempts:
            final = True
        retry_at = None if final else self._retry_at(attempt)
        log.warning(
            "nudge %s (%s, try %d) failed: %s%s",
            nudge_id,
            notification.channel,
            attempt,
            error,
            f"; retrying at {retry_at}" if retry_at else "; not retried",
        )
        app.record_nudge_failed(
            mentorship_id,
            actor=ACTOR,
            nudge_id=nudge_id,
            attempt=attempt,
            error="".join(ch if ch.isprintable() else " " for ch in error),
            retry_at=retry_at,
        )
        done.failed += 1
        done.errors.append(error)

    def _retry_at(self, attempt: int) -> str:
        wait = min(
            self.settings.nudges_backoff * 2 ** (attempt - 1),
            self.settings.nudges_max_backoff,
        )
        return (clock.now() + timedelta(seconds=wait)).astimezone(UTC).isoformat()

    # -- what a notifier is given -------------------------------------------------

    def _notification(
        self, mentorship_id: str, nudge_id: str, attempt: int
    ) -> Notification:
        """The nudge's words and addressee, from the aggregates (the authority)."""
        app = self.services.app
        mentorship = app.get_mentorship(mentorship_id)
        nudge = mentorship.nudges[nudge_id]
        program = app.get_program(mentorship.program_id)
        try:
            person = app.get_person(nudge["person_id"])
            name = app.name_of(person)
            email = app.sealer.open(person.email, "") or ""
        except NotFound:
            name, email = "", ""
        occasion = _at(nudge["occasion"])
        local = ""
        if nudge["meeting_id"] is not None:
            zone = mentorship.meetings[nudge["meeting_id"]].get("time_zone", "UTC")
            local = _local(occasion, zone)
        subject, text = words(
            nudge["rule"],
            program=program.name,
            name=name or "there",
            occasion=occasion,
            now=clock.now(),
            local=local,
        )
        meeting = nudge["meeting_id"]
        return Notification(
            id=nudge_id,
            channel=nudge["channel"],
            rule=nudge["rule"],
            event_type=NUDGE_EVENT_TYPE,
            program_id=mentorship.program_id,
            program_name=program.name,
            mentorship_id=mentorship_id,
            recipient=Recipient(nudge["person_id"], name, str(email)),
            subject=subject,
            text=text,
            attempt=attempt,
            meeting_id=meeting,
        )

    def _context(self) -> NotificationContext:
        return NotificationContext(
            smtp=self.settings.smtp, webhook_receivers=self._webhook_receivers
        )

    def _webhook_receivers(self, program_id: str, event_type: str) -> int:
        """How many enabled endpoints of the program take this event type."""
        with self._cursor() as c:
            c.execute(
                "SELECT event_types FROM webhook_endpoints "
                "WHERE program_id = ? AND enabled = 1 AND deleted = 0",
                (program_id,),
            )
            wanted = [json.loads(row[0]) for row in c.fetchall()]
        return sum(1 for types in wanted if not types or event_type in types)

    # -- what is due --------------------------------------------------------------

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with outbox(self.services.read_models) as c:
            yield c

    def _due(self, now: datetime) -> list[Due]:
        """Every nudge the rules make due now, that the read models do not hold."""
        found: list[Due] = []
        with self._cursor() as c:
            c.execute(
                "SELECT program_id, quiet_after_days, meeting_reminder_hours, "
                "agreement_unsigned_days, channels FROM nudge_rules"
            )
            rules = c.fetchall()
            for program_id, quiet, reminder, agreement, channels in rules:
                each = json.loads(channels)
                if quiet:
                    found += self._quiet(c, program_id, quiet, each, now)
                if reminder:
                    found += self._reminders(c, program_id, reminder, each, now)
                if agreement:
                    found += self._agreements(c, program_id, agreement, each, now)
            c.execute("SELECT mentorship_id, id FROM nudges")
            known = {(m, n) for m, n in c.fetchall()}
        return [d for d in found if (d.mentorship_id, d.id) not in known]

    @staticmethod
    def _people(c: Any, mentorship_id: str) -> list[str]:
        c.execute(
            "SELECT person_id FROM participants WHERE mentorship_id = ? "
            "ORDER BY position",
            (mentorship_id,),
        )
        return [row[0] for row in c.fetchall()]

    def _quiet(
        self, c: Any, program_id: str, days: int, channels: list[str], now: datetime
    ) -> list[Due]:
        c.execute(
            "SELECT mentorship_id, quiet_since FROM activity "
            "WHERE program_id = ? AND status = 'active'",
            (program_id,),
        )
        quiet = [(m, s) for m, s in c.fetchall() if quiet_due(_at(s), now, days)]
        return [
            Due(m, QUIET, person, channel, since)
            for m, since in quiet
            for person in self._people(c, m)
            for channel in channels
        ]

    def _reminders(
        self, c: Any, program_id: str, hours: int, channels: list[str], now: datetime
    ) -> list[Due]:
        c.execute(
            "SELECT m.mentorship_id, m.id, m.scheduled_for FROM meetings m "
            "JOIN mentorships s ON s.id = m.mentorship_id "
            "WHERE s.program_id = ? AND s.status = 'active' "
            "AND m.status = 'scheduled'",
            (program_id,),
        )
        soon = [
            (m, meeting, _at(starts).astimezone(UTC).isoformat())
            for m, meeting, starts in c.fetchall()
            if reminder_due(_at(starts), now, hours)
        ]
        return [
            Due(m, MEETING_REMINDER, person, channel, starts, meeting)
            for m, meeting, starts in soon
            for person in self._people(c, m)
            for channel in channels
        ]

    def _agreements(
        self, c: Any, program_id: str, days: int, channels: list[str], now: datetime
    ) -> list[Due]:
        c.execute(
            "SELECT id, agreement FROM mentorships WHERE program_id = ? "
            "AND status = 'active' AND agreement IS NOT NULL",
            (program_id,),
        )
        found = []
        for mentorship_id, text in c.fetchall():
            agreement = json.loads(text)
            recorded = agreement["recorded_at"]
            if not agreement_due(_at(recorded), now, days):
                continue
            signed = {s["person_id"] for s in agreement["signatures"]}
            found += [
                Due(mentorship_id, AGREEMENT_UNSIGNED, person, channel, recorded)
                for person in self._people(c, mentorship_id)
                if person not in signed
                for channel in channels
            ]
        return found

    def _retries(self, now: datetime) -> list[tuple[str, str]]:
        """The nudges due a retry, or whose try went unanswered too long."""
        unanswered = now - timedelta(seconds=self.settings.nudges_unanswered)
        with self._cursor() as c:
            c.execute(
                "SELECT mentorship_id, id, status, retry_at, claimed_at FROM nudges "
                "WHERE status IN (?, ?) ORDER BY created_at",
                (RETRYING, SENDING),
            )
            rows = c.fetchall()
        return [
            (m, n)
            for m, n, status, retry_at, claimed_at in rows
            if (status == RETRYING and _at(retry_at) <= now)
            or (status == SENDING and _at(claimed_at) <= unanswered)
        ]


def _local(moment: datetime, zone: str) -> str:
    """A moment as the meeting's people read it: its zone's time, and the zone."""
    try:
        local = moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local, zone = moment.astimezone(UTC), "UTC"
    return f"{local:%a %d %b %Y, %H:%M} {zone}"
