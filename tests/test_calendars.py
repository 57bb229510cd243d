"""Meetings on calendars: time zones, places, rescheduling and iCalendar invites."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from mentorlog.core.errors import IdempotencyKeyReused

from tests.conftest import World
from tests.test_api_support import Api, api_fixture, bearer, gid  # noqa: F401

MEETING = "meeting { id scheduledFor timeZone location conferenceUrl revision ics }"
READ = "query($id: ID!) { node(id: $id) { ... on Meeting { ics revision } } }"


def _event(ics: str) -> Any:
    """The one VEVENT of an invite, parsed back with icalendar."""
    calendar = icalendar.Calendar.from_ical(ics)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


async def _schedule(
    api: Api, world: World, mentorship: str | None = None, **extra: Any
) -> tuple[str, dict]:
    mentorship = mentorship or world.one_on_one()
    token = api.token(world.mentor)
    payload = await api.mutate(
        "scheduleMeeting",
        {
            "mentorshipId": gid("Mentorship", mentorship),
            "scheduledFor": "2026-03-20T09:00:00Z",
            "agenda": ["My private worries"],
            **extra,
        },
        MEETING,
        token,
    )
    assert payload["userErrors"] == []
    return token, payload["meeting"]


async def test_invite_is_rfc5545_with_zone_and_no_private_text(
    api: Api, world: World
) -> None:
    _, meeting = await _schedule(
        api,
        world,
        timeZone="Europe/Berlin",
        conferenceUrl="https://meet.example.org/abc",
    )
    calendar, event = _event(meeting["ics"])
    assert meeting["timeZone"] == "Europe/Berlin" and meeting["revision"] == 0
    assert event["UID"].endswith("@mentorlog") and event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 3, 20, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    assert event.decoded("DTEND") - start == timedelta(minutes=60)
    assert "DTSTAMP" in event and event["STATUS"] == "CONFIRMED"
    assert event["URL"] == "https://meet.example.org/abc"
    zones = [tz["TZID"] for tz in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/Berlin"]
    assert "worries" not in meeting["ics"]
    attendees = event["ATTENDEE"]
    assert [a.params["CN"] for a in attendees] == ["Maya Mentor", "Milo Mentee"]
    assert [str(a) for a in attendees] == [
        f"urn:uuid:{world.mentor}",
        f"urn:uuid:{world.mentee}",
    ]


async def test_reschedule_bumps_sequence_and_moves_across_dst(
    api: Api, world: World
) -> None:
    token, meeting = await _schedule(api, world, timeZone="Europe/Berlin")
    first = _event(meeting["ics"])[1]
    # Berlin moves to summer time on 2026-03-29: 08:00Z is 10:00 local after it.
    moved = await api.mutate(
        "rescheduleMeeting",
        {
            "meetingId": meeting["id"],
            "scheduledFor": "2026-03-30T08:00:00Z",
            "location": "Room 4",
        },
        MEETING,
        token,
    )
    assert moved["userErrors"] == []
    after = moved["meeting"]
    event = _event(after["ics"])[1]
    assert event["UID"] == first["UID"]
    assert event["SEQUENCE"] == 1 and after["revision"] == 1
    local = event.decoded("DTSTART")
    assert (local.hour, local.utcoffset()) == (10, timedelta(hours=2))
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["LOCATION"] == "Room 4" and after["timeZone"] == "Europe/Berlin"
    again = await api.mutate(
        "rescheduleMeeting",
        {
            "meetingId": meeting["id"],
            "scheduledFor": "2026-04-01T15:00:00Z",
            "timeZone": "America/New_York",
        },
        MEETING,
        token,
    )
    event = _event(again["meeting"]["ics"])[1]
    assert event["SEQUENCE"] == 2 and event.decoded("DTSTART").hour == 11
    assert event["LOCATION"] == "Room 4"


async def test_cancelled_meeting_invite_says_cancelled(api: Api, world: World) -> None:
    token, meeting = await _schedule(api, world)
    cancelled = await api.mutate(
        "cancelMeeting", {"meetingId": meeting["id"]}, MEETING, token
    )
    assert _event(cancelled["meeting"]["ics"])[1]["STATUS"] == "CANCELLED"


async def _refused(
    api: Api, world: World, name: str, input: dict[str, Any], token: str
) -> list[dict[str, Any]]:
    head = api.head()
    payload = await api.mutate(name, input, "meeting { id }", token)
    assert payload["meeting"] is None
    assert api.head() == head  # nothing recorded
    return [{"code": e["code"], "field": e["field"]} for e in payload["userErrors"]]


async def test_bad_zone_bad_link_and_moving_a_cancelled_meeting_are_refused(
    api: Api, world: World
) -> None:
    started = world.one_on_one()
    token = api.token(world.mentor)
    base = {
        "mentorshipId": gid("Mentorship", started),
        "scheduledFor": "2026-03-20T09:00:00Z",
    }
    for extra, field in (
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
        ({"timeZone": "../etc/passwd"}, "timeZone"),
        ({"conferenceUrl": "javascript:alert(1)"}, "conferenceUrl"),
        ({"conferenceUrl": "ftp://files.example.org/x"}, "conferenceUrl"),
    ):
        errors = await _refused(api, world, "scheduleMeeting", base | extra, token)
        assert errors == [{"code": "INVALID_INPUT", "field": field}]
    _, meeting = await _schedule(api, world, started)
    await api.mutate("cancelMeeting", {"meetingId": meeting["id"]}, MEETING, token)
    move = {"meetingId": meeting["id"], "scheduledFor": "2026-04-01T09:00:00Z"}
    errors = await _refused(api, world, "rescheduleMeeting", move, token)
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"]
    errors = await _refused(
        api, world, "rescheduleMeeting", move | {"timeZone": "Nowhere/At_All"}, token
    )
    assert errors == [{"code": "INVALID_INPUT", "field": "timeZone"}]


async def test_another_mentorships_meeting_and_invite_are_not_readable(
    api: Api, world: World
) -> None:
    _, meeting = await _schedule(api, world)
    stranger = world.person("Sam Stranger", "mid", 5, 2)
    response = await api.post(READ, {"id": meeting["id"]}, api.token(stranger))
    body = response.json()
    assert not (body.get("data") or {}).get("node"), body
    moved = await api.mutate(
        "rescheduleMeeting",
        {"meetingId": meeting["id"], "scheduledFor": "2026-04-01T09:00:00Z"},
        "meeting { id }",
        api.token(stranger),
    )
    assert moved["meeting"] is None and moved["userErrors"][0]["code"] in {
        "FORBIDDEN",
        "NOT_FOUND",
    }


async def test_moving_a_meeting_of_a_closed_mentorship_is_refused(
    api: Api, world: World
) -> None:
    started = world.one_on_one()
    token, meeting = await _schedule(api, world, started)
    world.app.complete_mentorship(started, actor=world.mentor_actor)
    move = {"meetingId": meeting["id"], "scheduledFor": "2026-04-01T09:00:00Z"}
    errors = await _refused(api, world, "rescheduleMeeting", move, token)
    assert [e["code"] for e in errors] == ["MENTORSHIP_CLOSED"]


VIEW = """query($id: ID!, $at: DateTime) { mentorship(id: $id, asOf: $at) {
  meetings { id scheduledFor timeZone location conferenceUrl revision ics } } }"""


async def test_as_of_replay_of_a_moved_meeting_equals_the_read_model(
    api: Api, world: World
) -> None:
    started = world.one_on_one()
    token, meeting = await _schedule(
        api, world, started, timeZone="Asia/Tokyo", location="Cafe"
    )
    before = datetime.now(ZoneInfo("UTC")).isoformat()
    await api.mutate(
        "rescheduleMeeting",
        {
            "meetingId": meeting["id"],
            "scheduledFor": "2026-06-01T01:00:00Z",
            "conferenceUrl": "http://call.example.org/x",
        },
        "meeting { id }",
        token,
    )
    await api.settle()
    mentorship = gid("Mentorship", started)
    now = datetime.now(ZoneInfo("UTC")).isoformat()
    current = await api.gql(VIEW, {"id": mentorship, "at": None}, token)
    replayed = await api.gql(VIEW, {"id": mentorship, "at": now}, token)
    assert replayed == current
    [moved] = current["mentorship"]["meetings"]
    assert (moved["revision"], moved["location"]) == (1, "Cafe")
    assert moved["conferenceUrl"] == "http://call.example.org/x"
    then = await api.gql(VIEW, {"id": mentorship, "at": before}, token)
    assert then["mentorship"]["meetings"][0]["revision"] == 0


def test_a_retry_with_another_time_zone_is_refused(world: World) -> None:
    """The arguments added since the release still count in the key's fingerprint."""
    mentorship = world.one_on_one()
    when = "2026-03-20T09:00:00Z"
    first = world.app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for=when, idempotency_key="k"
    )
    again = world.app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for=when, idempotency_key="k"
    )
    assert again == first
    with pytest.raises(IdempotencyKeyReused):
        world.app.schedule_meeting(
            mentorship,
            actor=world.mentor_actor,
            scheduled_for=when,
            time_zone="Europe/Paris",
            idempotency_key="k",
        )


async def test_invite_over_http_needs_a_reader(api: Api, world: World) -> None:
    """GET /meetings/<id>.ics: the invite for who may read it; 404 for a stranger."""
    token, meeting = await _schedule(api, world, timeZone="Europe/Berlin")
    path = f"/meetings/{meeting['id']}.ics"
    response = await api.client.get(path, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert _event(response.text)[1]["DTSTART"].params["TZID"] == "Europe/Berlin"
    stranger = api.token(world.person("Sam Stranger", "mid", 5, 2))
    refused = await api.client.get(path, headers=bearer(stranger))
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await api.client.get(path)).status_code == 401
