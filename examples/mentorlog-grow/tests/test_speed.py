"""The speed-mentoring format, loaded by its entry point and used by the service."""

from __future__ import annotations

import pytest
from conftest import SYSTEM, People
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import ParticipantsInvalid
from mentorlog.plugins.manager import load_catalog

from mentorlog_grow.speed import SPEED_CADENCE_DAYS


def test_the_entry_point_adds_the_format_and_every_hook() -> None:
    catalog = load_catalog()
    speed = catalog.format("speed")
    assert speed is not None
    assert speed.default_cadence_days == SPEED_CADENCE_DAYS < 14
    assert [m.number for m in speed.connection_plan] == [1]
    assert [(r.name, r.min, r.max) for r in speed.roles] == [
        ("mentor", 1, 1),
        ("mentee", 1, 1),
    ]
    info = next(p for p in catalog.plugins if p.name == "grow")
    assert info.distribution == "mentorlog-grow"
    assert info.hooks == [
        "match_score",
        "register_formats",
        "register_goal_frameworks",
    ]


def test_disabling_the_plugin_removes_the_format() -> None:
    catalog = load_catalog(disabled=["grow"])
    assert catalog.format("speed") is None
    assert catalog.framework("grow") is None
    assert catalog.format("one_on_one") is not None


def test_a_speed_mentorship_is_proposed_and_started(
    app: Mentoring, people: People
) -> None:
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=people.program,
        format="speed",
        participants=[
            {"person_id": people.senior, "role": "mentor"},
            {"person_id": people.junior, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(mentorship, actor=SYSTEM)
    recorded = app.get_mentorship(mentorship)
    assert (recorded.format, recorded.status) == ("speed", "active")
    assert [p["side"] for p in recorded.participants] == ["mentor", "mentee"]


@pytest.mark.parametrize(
    ("case", "mentor", "mentees", "message"),
    [
        ("two mentees", "senior", ["junior", "peer_of_junior"], "needs 1 mentee"),
        ("no mentee", "senior", [], "needs 1 mentee"),
        ("mentor no more experienced", "peer_of_junior", ["junior"], "more years"),
    ],
)
def test_speed_refuses_participants_and_records_nothing(
    app: Mentoring,
    people: People,
    case: str,
    mentor: str,
    mentees: list[str],
    message: str,
) -> None:
    participants = [{"person_id": getattr(people, mentor), "role": "mentor"}]
    participants += [
        {"person_id": getattr(people, m), "role": "mentee"} for m in mentees
    ]
    before = app.recorder.max_notification_id()
    with pytest.raises(ParticipantsInvalid) as refused:
        app.propose_mentorship(
            actor=SYSTEM,
            program_id=people.program,
            format="speed",
            participants=participants,
        )
    assert refused.value.code == "PARTICIPANTS_INVALID"
    assert message in refused.value.message, case
    assert app.recorder.max_notification_id() == before
