"""Meeting commands: schedule, reschedule, hold, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mentorlog.core.commands.base import (
    Recorded,
    Service,
    added_arguments,
    command,
    new_id,
)
from mentorlog.core.errors import (
    NotFound,
)
from mentorlog.core.inputs import (
    check_datetime,
    check_int,
    check_text,
    check_texts,
)
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem


def check_time_zone(value: object) -> list[Problem]:
    """Check an IANA time zone name the zone database knows."""
    if not isinstance(value, str) or not value or value.startswith("/"):
        return [
            Problem("timeZone", "timeZone must be an IANA name, e.g. Europe/Berlin")
        ]
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return [Problem("timeZone", f"timeZone {value[:60]!r} is not an IANA zone")]
    return []


def check_place(location: object, conference_url: object) -> list[Problem]:
    """Check a location's text and a conference link (http or https only)."""
    problems = check_text("location", location, required=False, max_len=500)
    if not isinstance(conference_url, str) or not conference_url:
        return problems
    try:
        parts = urlsplit(conference_url)
    except ValueError:
        parts = urlsplit("")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(conference_url) > 2000
        or any(c.isspace() for c in conference_url)
    ):
        problems.append(
            Problem("conferenceUrl", "conferenceUrl must be an http or https link")
        )
    return problems


class MeetingCommands(Service):
    """Meeting commands: schedule, reschedule, hold, cancel."""

    @command
    @added_arguments("time_zone", "location", "conference_url")
    def schedule_meeting(
        self,
        mentorship_id: str,
        *,
        actor: str,
        scheduled_for: str,
        agenda: Sequence[str] = (),
        duration_minutes: int = 60,
        plan_number: int | None = None,
        time_zone: str = "UTC",
        location: str = "",
        conference_url: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Schedule a meeting; with a plan number, the plan's agenda is the default."""
        self._raise_problems(
            [
                *check_datetime("scheduledFor", scheduled_for),
                *check_texts("agenda", agenda),
                *check_int("durationMinutes", duration_minutes, 5, 24 * 60),
                *check_time_zone(time_zone),
                *check_place(location, conference_url),
            ]
        )

        def change(m: Mentorship) -> str:
            items = list(agenda)
            if plan_number is not None:
                program = self._load(Program, m.program_id, "programId")
                plan = program.connection_plan or self._format_plan(m.format)
                planned = next((p for p in plan if p["number"] == plan_number), None)
                if planned is None:
                    raise NotFound(
                        f"the connection plan has no meeting {plan_number}",
                        "planNumber",
                    )
                items = items or list(planned["agenda"])
            meeting_id = new_id()
            m.schedule_meeting(
                actor=actor,
                meeting_id=meeting_id,
                scheduled_for=scheduled_for,
                duration_minutes=duration_minutes,
                agenda=items,
                plan_number=plan_number,
                time_zone=time_zone,
                location=location,
                conference_url=conference_url,
            )
            return meeting_id

        return self._on_mentorship(mentorship_id, change)

    @command
    def reschedule_meeting(
        self,
        mentorship_id: str,
        meeting_id: str,
        *,
        actor: str,
        scheduled_for: str,
        time_zone: str | None = None,
        location: str | None = None,
        conference_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Move a scheduled meeting to a new time, maybe a new zone or place."""
        self._raise_problems(
            [
                *check_datetime("scheduledFor", scheduled_for),
                *([] if time_zone is None else check_time_zone(time_zone)),
                *check_place(location or "", conference_url or ""),
            ]
        )

        def change(m: Mentorship) -> str:
            m.reschedule_meeting(
                actor=actor,
                meeting_id=meeting_id,
                scheduled_for=scheduled_for,
                time_zone=time_zone,
                location=location,
                conference_url=conference_url,
            )
            return meeting_id

        return self._on_mentorship(mentorship_id, change)

    def _format_plan(self, format: str) -> list[dict[str, Any]]:
        """The format's connection plan, shaped like a program's."""
        fmt = self.catalog.format(format)
        return [
            {
                "number": p.number,
                "title": p.title,
                "week_start": p.week_start,
                "week_end": p.week_end,
                "agenda": list(p.agenda),
            }
            for p in (fmt.connection_plan if fmt else ())
        ]

    @command
    def hold_meeting(
        self,
        mentorship_id: str,
        meeting_id: str,
        *,
        actor: str,
        notes: str = "",
        duration_minutes: int = 60,
        attended: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record that a meeting was held: shared notes, who attended (default all)."""
        self._raise_problems(
            [
                *check_text("notes", notes, required=False, max_len=20000),
                *check_int("durationMinutes", duration_minutes, 1, 24 * 60),
                *([] if attended is None else check_texts("attended", attended)),
            ]
        )

        def change(m: Mentorship) -> str:
            m.hold_meeting(
                actor=actor,
                meeting_id=meeting_id,
                notes=notes,
                duration_minutes=duration_minutes,
                attended=None if attended is None else list(dict.fromkeys(attended)),
            )
            return meeting_id

        return self._on_mentorship(mentorship_id, change)

    @command
    def cancel_meeting(
        self,
        mentorship_id: str,
        meeting_id: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Cancel a scheduled meeting."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))

        def change(m: Mentorship) -> str:
            m.cancel_meeting(actor=actor, meeting_id=meeting_id, reason=reason)
            return meeting_id

        return self._on_mentorship(mentorship_id, change)
