"""A person's private calendar feed, over real HTTP, parsed back with icalendar."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import httpx
import icalendar
from mentorlog.core.access import person_actor, token_hash
from mentorlog.core.application import Mentoring
from mentorlog.core.history import history
from mentorlog.core.person import Person

from mentorlog.logs import PathOnly
from mentorlog.services import Services
from tests.conftest import SYSTEM, World
from tests.test_api_subscriptions import Served, served_fixture  # noqa: F401
from tests.test_api_support import Api, api_fixture, gid  # noqa: F401
from tests.test_replay import replayer

CREATE = """mutation($input: CreateCalendarFeedInput!) {
  createCalendarFeed(input: $input) { url userErrors { field code message } } }"""
REVOKE = """mutation($input: RevokeCalendarFeedInput!) {
  revokeCalendarFeed(input: $input) { revoked userErrors { field code message } } }"""


def _token(services: Services, person_id: str, program_id: str | None = None) -> str:
    token, _ = services.app.issue_token(
        actor=SYSTEM, person_id=person_id, role="participant", program_id=program_id
    )
    return token


async def _create(served: Served, token: str, **input: Any) -> str:
    payload = (await served.gql(CREATE, token, input=input))["createCalendarFeed"]
    assert payload["userErrors"] == [], payload
    url = payload["url"]
    assert url.startswith(f"{served.base}/calendar/mlcal_") and url.endswith(".ics")
    return str(url)


async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url)


def _calendar(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "private, no-store"
    calendar = icalendar.Calendar.from_ical(response.text)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return calendar


def _meeting(
    app: Mentoring, world: World, mentorship: str, when: str, **extra: Any
) -> str:
    return app.schedule_meeting(
        mentorship,
        actor=world.mentor_actor,
        scheduled_for=when,
        agenda=["My private worries"],
        **extra,
    ).id


async def test_the_feed_lists_upcoming_meetings_with_status_attendees_and_zones(
    served: Served, world: World
) -> None:
    app = world.app
    mentorship = world.one_on_one()
    berlin = _meeting(
        app,
        world,
        mentorship,
        "2030-03-20T09:00:00Z",
        time_zone="Europe/Berlin",
        conference_url="https://meet.example.org/abc",
    )
    moved = _meeting(app, world, mentorship, "2030-04-01T15:00:00Z")
    app.reschedule_meeting(
        mentorship,
        moved,
        actor=world.mentor_actor,
        scheduled_for="2030-04-02T15:00:00Z",
        time_zone="America/New_York",
        location="Room 4",
    )
    cancelled = _meeting(app, world, mentorship, "2030-05-01T09:00:00Z")
    app.cancel_meeting(mentorship, cancelled, actor=world.mentor_actor)
    _meeting(app, world, mentorship, "2020-01-01T09:00:00Z")  # over long ago
    url = await _create(served, _token(served.services, world.mentee))
    calendar = _calendar(await _get(url))
    events = {e["UID"].split(".")[1].split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert sorted(events) == sorted([berlin, moved, cancelled])
    assert events[berlin]["STATUS"] == "CONFIRMED"
    assert events[berlin]["URL"] == "https://meet.example.org/abc"
    assert events[berlin]["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert events[berlin].decoded("DTSTART").hour == 10
    assert events[moved]["SEQUENCE"] == 1 and events[moved]["LOCATION"] == "Room 4"
    assert events[moved].decoded("DTSTART").hour == 11  # 15:00Z in New York
    assert events[cancelled]["STATUS"] == "CANCELLED"
    zones = sorted(str(z["TZID"]) for z in calendar.walk("VTIMEZONE"))
    assert zones == ["America/New_York", "Europe/Berlin"]
    for event in events.values():
        attendees = event["ATTENDEE"]
        assert [a.params["CN"] for a in attendees] == ["Maya Mentor", "Milo Mentee"]
        assert [str(a) for a in attendees] == [
            f"urn:uuid:{world.mentor}",
            f"urn:uuid:{world.mentee}",
        ]
    assert "mailto" not in calendar.to_ical().decode().lower()
    assert "worries" not in calendar.to_ical().decode()


async def test_a_new_feed_replaces_the_old_and_revoking_ends_it_at_once(
    served: Served, world: World
) -> None:
    world.one_on_one()
    token = _token(served.services, world.mentee)
    first = await _create(served, token)
    assert (await _get(first)).status_code == 200
    second = await _create(served, token)
    refused = await _get(first)
    assert (refused.status_code, refused.content) == (404, b"")
    assert (await _get(second)).status_code == 200
    revoked = await served.gql(REVOKE, token, input={"reason": "New phone"})
    assert revoked["revokeCalendarFeed"] == {"revoked": True, "userErrors": []}
    refused = await _get(second)
    assert (refused.status_code, refused.content) == (404, b"")
    head = served.services.app.recorder.max_notification_id()
    again = await served.gql(REVOKE, token, input={})
    assert again["revokeCalendarFeed"]["revoked"] is False
    assert [e["code"] for e in again["revokeCalendarFeed"]["userErrors"]] == [
        "INVALID_TRANSITION"
    ]
    assert served.services.app.recorder.max_notification_id() == head


async def test_another_processes_revocation_holds_at_once(
    served: Served, world: World
) -> None:
    """A second application on the store revokes: the next request is refused,
    though the projections have not seen it (they are stopped) and the serving
    application has the Person cached."""
    world.one_on_one()
    url = await _create(served, _token(served.services, world.mentee))
    assert (await _get(url)).status_code == 200  # the Person is cached here now
    served.services.runner.stop()
    other = replayer(served.services)
    try:
        other.revoke_calendar_feed(actor=world.mentee_actor)
    finally:
        other.close()
    assert (await _get(url)).status_code == 404
    served.services.runner.start()


async def test_unknown_tokens_and_an_erased_persons_feed_answer_404(
    served: Served, world: World
) -> None:
    world.one_on_one()
    token = _token(served.services, world.mentee)
    url = await _create(served, token)
    base = f"{served.base}/calendar"
    for wrong in (
        f"{base}/nothing.ics",
        f"{base}/mlcal_{'A' * 43}.ics",
        f"{base}/{token}.ics",  # a bearer token is no feed's
        url.replace(".ics", "x.ics"),
    ):
        refused = await _get(wrong)
        assert (refused.status_code, refused.content) == (404, b""), wrong
    world.app.erase_person(world.mentee, actor=person_actor(world.admin))
    assert (await _get(url)).status_code == 404


async def test_a_token_bound_to_a_program_makes_a_feed_of_that_program_only(
    served: Served, world: World
) -> None:
    app = world.app
    here = world.one_on_one()
    elsewhere_world = World(app)
    elsewhere = app.propose_mentorship(
        actor=SYSTEM,
        program_id=elsewhere_world.program,
        format="one_on_one",
        participants=[
            {"person_id": world.mentor, "role": "mentor"},
            {"person_id": elsewhere_world.mentee, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(elsewhere, actor=SYSTEM)
    mine = _meeting(app, world, here, "2030-03-20T09:00:00Z")
    theirs = _meeting(app, world, elsewhere, "2030-03-21T09:00:00Z")
    everything = await _create(served, _token(served.services, world.mentor))
    uids = [e["UID"] for e in _calendar(await _get(everything)).walk("VEVENT")]
    assert sorted(uids) == sorted(
        [f"{here}.{mine}@mentorlog", f"{elsewhere}.{theirs}@mentorlog"]
    )
    bound = _token(served.services, world.mentor, world.program)
    url = await _create(served, bound)
    uids = [e["UID"] for e in _calendar(await _get(url)).walk("VEVENT")]
    assert uids == [f"{here}.{mine}@mentorlog"]
    head = app.recorder.max_notification_id()
    other = {"programId": gid("Program", elsewhere_world.program)}
    payload = (await served.gql(CREATE, bound, input=other))["createCalendarFeed"]
    assert payload["url"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("programId", "NOT_FOUND")
    ]
    assert app.recorder.max_notification_id() == head
    # A closed mentorship's meetings leave the feed.
    app.complete_mentorship(here, actor=SYSTEM)
    assert served.services.runner.wait_for(app.recorder.max_notification_id() or 0, 5)
    assert _calendar(await _get(url)).walk("VEVENT") == []


async def test_auditors_keep_no_feed(api: Api, world: World) -> None:
    head = api.head()
    for query, name in ((CREATE, "createCalendarFeed"), (REVOKE, "revokeCalendarFeed")):
        body = (await api.post(query, {"input": {}})).json()  # as the auditor
        errors = body["data"][name]["userErrors"]
        assert [e["code"] for e in errors] == ["FORBIDDEN"], body
    assert api.head() == head


def test_events_and_history_hold_only_the_tokens_hash(
    services: Services, world: World
) -> None:
    token, _ = world.app.create_calendar_feed(actor=world.mentee_actor)
    world.app.revoke_calendar_feed(actor=world.mentee_actor, reason="Lost it")
    entries = history(world.app, world.mentee)
    created, revoked = entries[-2:]
    assert (created.type, revoked.type) == (
        "CalendarFeedCreated",
        "CalendarFeedRevoked",
    )
    assert created.payload == {"feed_hash": token_hash(token), "program_id": None}
    assert revoked.payload == {"feed_hash": token_hash(token), "reason": "Lost it"}
    stored = world.app.recorder.select_events(UUID(world.mentee))
    assert not any(token.encode() in s.state for s in stored)
    person = world.app.repository.get(UUID(world.mentee))
    assert isinstance(person, Person) and person.calendar_feed_hash is None


def test_access_lines_leave_the_feed_token_out() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/calendar/mlcal_secret.ics?x=1", "1.1", 200),
        None,
    )
    PathOnly().filter(record)
    assert "secret" not in record.getMessage()
    assert "/calendar/[token].ics" in record.getMessage()
