"""Upcasting: MeetingHeld v2 names who attended; stored v1 events and snapshots read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from mentorlog.core.application import Mentoring
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.history import history
from mentorlog.core.mentorship import Mentorship

from mentorlog.services import Services
from tests.backends import read_rows
from tests.conftest import SYSTEM, World
from tests.test_replay import replayer
from tests.test_rules import refused

HELD = get_topic(Mentorship.MeetingHeld)

# A MeetingHeld event exactly as mentorlog stored it before class_version 2:
# no "absent" and no "class_version" in its state.
V1_HELD_STATE = (
    '{"timestamp":{"_type_":"datetime_iso","_data_":"%(at)s"},'
    '"actor":"%(actor)s","meeting_id":"%(meeting)s","notes":"Met in v1",'
    '"duration_minutes":45}'
)


def scheduled(app: Mentoring, world: World) -> tuple[str, str]:
    """A started one-on-one with one meeting scheduled."""
    mentorship = world.one_on_one()
    meeting = app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for="2030-01-07T10:00:00Z"
    ).id
    return mentorship, meeting


def store_v1_held(app: Mentoring, world: World, mentorship: str, meeting: str) -> None:
    """Append a v1 MeetingHeld to the stream, as the old code wrote it."""
    uid = UUID(mentorship)
    version = app.repository.get(uid).version + 1
    state = V1_HELD_STATE % {
        "at": datetime.now(UTC).isoformat(),
        "actor": world.mentor_actor,
        "meeting": meeting,
    }
    app.recorder.insert_events([StoredEvent(uid, version, HELD, state.encode())])


def stored_states(services: Services, topic: str) -> list[dict[str, Any]]:
    """The JSON state of every stored event of a topic, as the store holds it."""
    recorder = services.app.recorder
    rows = recorder.select_notifications(1, 1_000_000, topics=[topic])
    return [json.loads(bytes(row.state)) for row in rows]


def meeting_rows(services: Services) -> list[tuple[str, str, list[str]]]:
    """(id, status, attended) of every meetings row."""
    rows = read_rows(services, "SELECT id, status, attended FROM meetings ORDER BY id")
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


# -- a stored v1 event -----------------------------------------------------------


def test_a_stored_v1_event_loads_with_everyone_attending(
    services: Services, app: Mentoring, world: World
) -> None:
    """The v1 row has no attendance; the upcaster makes it v2 with nobody absent."""
    mentorship, meeting = scheduled(app, world)
    store_v1_held(app, world, mentorship, meeting)
    (raw,) = stored_states(services, HELD)
    assert "absent" not in raw and "class_version" not in raw

    fresh = replayer(services)  # no cache, no snapshots: from the events
    try:
        held = list(fresh.events.get(UUID(mentorship)))[-1]
        assert isinstance(held, Mentorship.MeetingHeld)
        assert held.absent == []
        assert (held.notes, held.duration_minutes) == ("Met in v1", 45)
        loaded = fresh.get_mentorship(mentorship).meetings[meeting]
    finally:
        fresh.close()
    assert loaded["status"] == "held"
    assert loaded["attended"] == [world.mentor, world.mentee]
    assert history(app, mentorship)[-1].payload["absent"] == []
    recorder = app.recorder
    assert isinstance(recorder, ChainedRecorder)
    assert all(v.ok for v in verify(recorder, [mentorship]))


def test_a_stored_v1_event_projects_with_everyone_attending(
    services: Services, app: Mentoring, world: World
) -> None:
    """The meetings read model fills attended from v1, incrementally and rebuilt."""
    mentorship, meeting = scheduled(app, world)
    services.runner.catch_up()
    assert meeting_rows(services) == [(meeting, "scheduled", [])]
    store_v1_held(app, world, mentorship, meeting)
    services.runner.catch_up()
    expected = [(meeting, "held", [world.mentor, world.mentee])]
    assert meeting_rows(services) == expected
    services.runner.rebuild()
    assert meeting_rows(services) == expected


def test_a_new_event_is_stored_as_v2(
    services: Services, app: Mentoring, world: World
) -> None:
    """Events written now carry class_version 2 and the absent participants."""
    mentorship, meeting = scheduled(app, world)
    app.hold_meeting(
        mentorship, meeting, actor=world.mentor_actor, attended=[world.mentee]
    )
    (raw,) = stored_states(services, HELD)
    assert raw["class_version"] == 2
    assert raw["absent"] == [world.mentor]
    assert app.get_mentorship(mentorship).meetings[meeting]["attended"] == [
        world.mentee
    ]
    services.runner.catch_up()
    assert meeting_rows(services) == [(meeting, "held", [world.mentee])]


# -- attendance through the service ------------------------------------------------


def test_attendance_defaults_to_every_participant(app: Mentoring, world: World) -> None:
    """Without attended, everyone attended; duplicates count once."""
    mentorship, first = scheduled(app, world)
    app.hold_meeting(mentorship, first, actor=world.mentor_actor)
    second = app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for="2030-02-07T10:00:00Z"
    ).id
    app.hold_meeting(
        mentorship,
        second,
        actor=SYSTEM,
        attended=[world.mentee, world.mentor, world.mentee],
    )
    meetings = app.get_mentorship(mentorship).meetings
    assert meetings[first]["attended"] == [world.mentor, world.mentee]
    assert meetings[second]["attended"] == [world.mentor, world.mentee]


@pytest.mark.parametrize(
    ("attended", "code"),
    [
        ("stranger", "NOT_A_PARTICIPANT"),
        ([], "INVALID_INPUT"),
        ("not a list", "INVALID_INPUT"),
        ([""], "INVALID_INPUT"),
    ],
)
def test_attendance_names_participants(
    app: Mentoring, world: World, attended: Any, code: str
) -> None:
    """Only participants attend, at least one of them; nothing stored otherwise."""
    if attended == "stranger":
        attended = [world.mentee, world.person("Sam Stranger", "mid", 6, 3)]
    mentorship, meeting = scheduled(app, world)
    with refused(app, code, "attended"):
        app.hold_meeting(
            mentorship, meeting, actor=world.mentor_actor, attended=attended
        )


# -- a stored v1 snapshot ------------------------------------------------------------


@pytest.mark.sqlite_only("it edits a stored snapshot in the SQLite file")
@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_an_older_stored_snapshot_is_upcast_on_load(
    services: Services,
    app: Mentoring,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    version: int,
) -> None:
    """A snapshot of v1 state (no attendance, notes, sharing, match), v2 (no notes,
    sharing, match), v3 (no match) or v4 (meetings without zone, place or
    revision) loads to the state a full replay gives."""
    mentorship, meeting = scheduled(app, world)
    app.hold_meeting(mentorship, meeting, actor=world.mentor_actor, notes="Met")
    app.schedule_meeting(
        mentorship, actor=world.mentee_actor, scheduled_for="2030-02-07T10:00:00Z"
    )
    app.set_goal(mentorship, actor=world.mentee_actor, title="Lead", framework="plain")
    expected = vars(app.get_mentorship(mentorship))
    app.take_snapshot(UUID(mentorship))
    with sqlite3.connect(services.settings.events_db) as con:
        (state,) = con.execute("SELECT state FROM stored_snapshots").fetchone()
        snapshot = json.loads(state)
        aggregate = snapshot["state"]
        assert aggregate.pop("class_version") == 5
        if version > 1:
            aggregate["class_version"] = version  # v1 snapshots had none
        for m in aggregate["meetings"].values():
            for key in ("time_zone", "location", "conference_url", "revision"):
                del m[key]
        if version <= 3:
            del aggregate["match"]
        if version <= 2:
            del aggregate["notes"]
            for goal in aggregate["goals"].values():
                del goal["shared_with"]
        if version == 1:
            for m in aggregate["meetings"].values():
                del m["attended"]
        con.execute(
            "UPDATE stored_snapshots SET state = ?", (json.dumps(snapshot).encode(),)
        )

    calls: list[str] = []
    upcasts = ["upcast_v1_v2", "upcast_v2_v3", "upcast_v3_v4", "upcast_v4_v5"]
    for name in upcasts:
        monkeypatch.setattr(Mentorship, name, staticmethod(_spy(name, calls)))
    env = dict(app.env)
    env.pop("AGGREGATE_CACHE_MAXSIZE", None)
    fresh = Mentoring(services.catalog, env=env, keys=app.sealer.keys)
    try:
        loaded = vars(fresh.get_mentorship(mentorship))
    finally:
        fresh.close()
    # The snapshot was read, and upcast from its version on.
    assert calls == upcasts[version - 1 :]
    assert loaded == expected


def _spy(name: str, calls: list[str]) -> Callable[[dict[str, Any]], None]:
    upcast = getattr(Mentorship, name)

    def spy(state: dict[str, Any]) -> None:
        calls.append(name)
        upcast(state)

    return spy
