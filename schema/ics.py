"""Meetings as iCalendar (RFC 5545): an invite, or a person's feed of them, built
with the icalendar library.

Attendees are named by their display name (CN) and addressed by their person's ID
(`urn:uuid:`), never by email: the API shows nobody's email, and a feed is read by
whoever holds its address (a calendar service, say).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from mentorlog.projections import queries
from mentorlog.projections.queries import Reader, Row

PRODID = "-//mentorlog//meetings//EN"
STATUS = {"scheduled": "CONFIRMED", "held": "CONFIRMED", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class Attendee:
    """A participant of the meeting's mentorship, as an invite names them."""

    person_id: str
    display_name: str

    def address(self) -> icalendar.vCalAddress:
        """The ATTENDEE value: the person's ID as a URI, their name as CN."""
        address = icalendar.vCalAddress(f"urn:uuid:{self.person_id}")
        address.params["CN"] = self.display_name
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = "REQ-PARTICIPANT"
        return address


def meeting_event(row: Row, attendees: Sequence[Attendee] = ()) -> icalendar.Event:
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
    for attendee in attendees:
        event.add("attendee", attendee.address())
    return event


def meeting_end(row: Row) -> datetime:
    """When a meeting ends (or is due to)."""
    start = datetime.fromisoformat(row["scheduled_for"])
    return start + timedelta(minutes=row["duration_minutes"])


def calendar_of(
    rows: Sequence[Row],
    attendees: Mapping[str, Sequence[Attendee]] | None = None,
    name: str | None = None,
) -> bytes:
    """A VCALENDAR of the meetings (with their mentorships' attendees, by
    mentorship ID), with the VTIMEZONE of each zone used."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if name is not None:
        calendar.add("x-wr-calname", name)
    for row in rows:
        people = (attendees or {}).get(row["mentorship_id"], ())
        calendar.add_component(meeting_event(row, people))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


async def attendees_of(
    db: Reader, mentorship_ids: Sequence[str]
) -> dict[str, list[Attendee]]:
    """Each mentorship's participants as attendees, in their order."""
    grouped = await queries.rows_by_mentorship(db, "participants", mentorship_ids)
    people = await queries.people_by_id(
        db, [p["person_id"] for rows in grouped.values() for p in rows]
    )
    return {
        mentorship_id: [
            Attendee(p["person_id"], people[p["person_id"]]["display_name"])
            for p in rows
            if p["person_id"] in people
        ]
        for mentorship_id, rows in grouped.items()
    }


async def person_calendar(
    db: Reader, person_id: str, program_id: str | None, now: datetime
) -> bytes:
    """A person's calendar feed: the meetings of their open mentorships (of one
    program, if bound to it) that have not ended by `now`, whatever their status."""
    rows = [
        row
        for row in await queries.meetings_of_person(db, person_id, program_id)
        if meeting_end(row) > now
    ]
    rows.sort(key=lambda row: datetime.fromisoformat(row["scheduled_for"]))
    attendees = await attendees_of(
        db, list(dict.fromkeys(r["mentorship_id"] for r in rows))
    )
    return calendar_of(rows, attendees, name="Mentoring meetings")
