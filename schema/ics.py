"""A meeting as an iCalendar (RFC 5545) invite, built with the icalendar library."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from mentorlog.projections.queries import Row

PRODID = "-//mentorlog//meetings//EN"
STATUS = {"scheduled": "CONFIRMED", "held": "CONFIRMED", "cancelled": "CANCELLED"}


def meeting_event(row: Row) -> icalendar.Event:
    """The VEVENT of a `meetings` row: no agenda or notes, which may be private."""
    zone = ZoneInfo(row["time_zone"])
    start = datetime.fromisoformat(row["scheduled_for"]).astimezone(zone)
    event = icalendar.Event()
    event.add("uid", f"{row['mentorship_id']}.{row['id']}@mentorlog")
    event.add("sequence", row["revision"])
    event.add("dtstamp", datetime.fromisoformat(row["updated_at"]))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=row["duration_minutes"]))
    event.add("summary", "Mentoring meeting")
    event.add("status", STATUS[row["status"]])
    if row["location"]:
        event.add("location", row["location"])
    if row["conference_url"]:
        event.add("url", row["conference_url"])
        if not row["location"]:
            event.add("location", row["conference_url"])
    return event


def calendar_of(rows: list[Row]) -> bytes:
    """A VCALENDAR of the meetings, with the VTIMEZONE of each zone used."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for row in rows:
        calendar.add_component(meeting_event(row))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
