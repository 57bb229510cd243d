"""Built-in formats through the service: who may take part; refusals record nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import ParticipantsInvalid, UnknownFormat

from tests.conftest import SYSTEM, World

# Domain rules, checked in the service before anything is stored: one backend is
# enough (test_replay, test_lifecycle and the API tests run on both).
pytestmark = pytest.mark.sqlite_only("domain rules, the same on every store")

Pick = Callable[["Pool"], list[tuple[str, str]]]


class Pool:
    """People for a format test: a senior, a junior, and many at mid-career."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.senior = world.mentor  # late career, 20 years of experience
        self.junior = world.mentee  # early career, 3 years of experience
        self.mids = [world.person(f"Mid {i}", "mid", 8, 3) for i in range(14)]
        self.early_6 = world.person("Eve Early", "early", 6, 3)
        self.early_12 = world.person("Ed Early", "early", 12, 3)

    def mid(self, count: int, start: int = 0) -> list[str]:
        """Return `count` distinct mid-career people."""
        return self.mids[start : start + count]


@pytest.fixture
def pool(world: World) -> Pool:
    """A program with every built-in format, and people to put in roles."""
    return Pool(world)


def _in(role: str, people: list[str]) -> list[tuple[str, str]]:
    return [(person, role) for person in people]


def _propose(world: World, fmt: str, people: list[tuple[str, str]]) -> str:
    return world.app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format=fmt,
        participants=[{"person_id": p, "role": r} for p, r in people],
    ).id


def _refused(world: World, fmt: str, people: list[tuple[str, str]]) -> str:
    """Propose, expect PARTICIPANTS_INVALID, check nothing was recorded."""
    app: Mentoring = world.app
    before = app.recorder.max_notification_id()
    with pytest.raises(ParticipantsInvalid) as refused:
        _propose(world, fmt, people)
    assert refused.value.code == "PARTICIPANTS_INVALID"
    assert {p.field for p in refused.value.problems} == {"participants"}
    assert app.recorder.max_notification_id() == before
    return refused.value.message


ACCEPTED: list[tuple[str, str, Pick, list[str]]] = [
    (
        "one_on_one",
        "a mentor and a mentee",
        lambda p: [(p.senior, "mentor"), (p.junior, "mentee")],
        ["mentor", "mentee"],
    ),
    (
        "reverse",
        "the junior mentors the senior",
        lambda p: [(p.junior, "mentor"), (p.senior, "mentee")],
        ["mentor", "mentee"],
    ),
    (
        "reverse",
        "same stage, fewer years",
        lambda p: [
            (p.junior, "mentor"),
            (p.early_6, "mentee"),
        ],
        ["mentor", "mentee"],
    ),
    (
        "reverse",
        "earlier stage, more years",
        lambda p: [
            (p.early_12, "mentor"),
            (p.mids[0], "mentee"),
        ],
        ["mentor", "mentee"],
    ),
    (
        "circle",
        "1 facilitator, 3 members",
        lambda p: [(p.senior, "facilitator"), *_in("member", p.mid(3))],
        ["mentor"] + ["mentee"] * 3,
    ),
    (
        "circle",
        "2 facilitators, 12 members",
        lambda p: _in("facilitator", [p.senior, p.junior]) + _in("member", p.mid(12)),
        ["mentor"] * 2 + ["mentee"] * 12,
    ),
    ("peer", "2 peers", lambda p: _in("peer", p.mid(2)), ["peer"] * 2),
    ("peer", "6 peers", lambda p: _in("peer", p.mid(6)), ["peer"] * 6),
    (
        "group",
        "1 mentor, 2 mentees",
        lambda p: [(p.senior, "mentor"), *_in("mentee", p.mid(2))],
        ["mentor", "mentee", "mentee"],
    ),
    (
        "group",
        "1 mentor, 10 mentees",
        lambda p: [(p.senior, "mentor"), *_in("mentee", p.mid(10))],
        ["mentor"] + ["mentee"] * 10,
    ),
]


@pytest.mark.parametrize(
    ("fmt", "case", "pick", "sides"),
    ACCEPTED,
    ids=[f"{fmt}: {case}" for fmt, case, _, _ in ACCEPTED],
)
def test_accepted_participants_are_recorded_with_their_sides(
    pool: Pool, fmt: str, case: str, pick: Pick, sides: list[str]
) -> None:
    app = pool.world.app
    before = app.recorder.max_notification_id()
    people = pick(pool)
    mentorship = app.get_mentorship(_propose(pool.world, fmt, people))
    assert app.recorder.max_notification_id() == before + 1
    assert (mentorship.format, mentorship.status) == (fmt, "proposed")
    assert [(p["person_id"], p["role"]) for p in mentorship.participants] == people
    assert [p["side"] for p in mentorship.participants] == sides


REFUSED: list[tuple[str, str, Pick, str]] = [
    (
        "one_on_one",
        "two mentors",
        lambda p: [(p.senior, "mentor"), (p.mids[0], "mentor"), (p.junior, "mentee")],
        "needs 1 mentor(s), got 2",
    ),
    ("one_on_one", "no mentee", lambda p: [(p.senior, "mentor")], "1 mentee(s), got 0"),
    (
        "one_on_one",
        "two mentees",
        lambda p: [(p.senior, "mentor"), *_in("mentee", p.mid(2))],
        "1 mentee(s), got 2",
    ),
    ("one_on_one", "nobody", lambda p: [], "1 mentor(s), got 0"),
    (
        "one_on_one",
        "an unknown role",
        lambda p: [(p.senior, "coach"), (p.junior, "mentee")],
        "role 'coach' does not exist",
    ),
    (
        "one_on_one",
        "one person in two roles",
        lambda p: [(p.senior, "mentor"), (p.senior, "mentee")],
        "only one role",
    ),
    (
        "reverse",
        "the mentor is the senior",
        lambda p: [(p.senior, "mentor"), (p.junior, "mentee")],
        "more junior",
    ),
    (
        "reverse",
        "same stage, same years",
        lambda p: [(p.mids[0], "mentor"), (p.mids[1], "mentee")],
        "more junior",
    ),
    (
        "reverse",
        "two mentees",
        lambda p: [(p.junior, "mentor"), *_in("mentee", p.mid(2))],
        "1 mentee(s), got 2",
    ),
    (
        "circle",
        "no facilitator",
        lambda p: _in("member", p.mid(3)),
        "1-2 facilitator(s), got 0",
    ),
    (
        "circle",
        "3 facilitators",
        lambda p: _in("facilitator", p.mid(3)) + _in("member", p.mid(3, 3)),
        "1-2 facilitator(s), got 3",
    ),
    (
        "circle",
        "2 members",
        lambda p: [(p.senior, "facilitator"), *_in("member", p.mid(2))],
        "3-12 member(s), got 2",
    ),
    (
        "circle",
        "13 members",
        lambda p: [(p.senior, "facilitator"), *_in("member", [p.junior, *p.mid(12)])],
        "3-12 member(s), got 13",
    ),
    (
        "circle",
        "a mentor role",
        lambda p: [(p.senior, "mentor"), *_in("member", p.mid(3))],
        "role 'mentor' does not exist",
    ),
    ("peer", "1 peer", lambda p: _in("peer", p.mid(1)), "2-6 peer(s), got 1"),
    ("peer", "7 peers", lambda p: _in("peer", p.mid(7)), "2-6 peer(s), got 7"),
    (
        "peer",
        "a mentor among peers",
        lambda p: [(p.senior, "mentor"), *_in("peer", p.mid(2))],
        "role 'mentor' does not exist",
    ),
    (
        "group",
        "1 mentee",
        lambda p: [(p.senior, "mentor"), (p.junior, "mentee")],
        "mentee(s), got 1",
    ),
    (
        "group",
        "2 mentors",
        lambda p: _in("mentor", [p.senior, p.junior]) + _in("mentee", p.mid(3)),
        "1 mentor(s), got 2",
    ),
    (
        "group",
        "no mentor",
        lambda p: _in("mentee", p.mid(3)),
        "1 mentor(s), got 0",
    ),
]


@pytest.mark.parametrize(
    ("fmt", "case", "pick", "message"),
    REFUSED,
    ids=[f"{fmt}: {case}" for fmt, case, _, _ in REFUSED],
)
def test_refused_participants_raise_participants_invalid_and_record_nothing(
    pool: Pool, fmt: str, case: str, pick: Pick, message: str
) -> None:
    assert message in _refused(pool.world, fmt, pick(pool))


def test_every_problem_is_reported_not_only_the_first(pool: Pool) -> None:
    with pytest.raises(ParticipantsInvalid) as refused:
        _propose(pool.world, "circle", _in("facilitator", pool.mid(3)))
    messages = [p.message for p in refused.value.problems]
    assert len(messages) == 2
    assert "facilitator(s), got 3" in messages[0]
    assert "member(s), got 0" in messages[1]


def test_a_format_the_program_does_not_enable_is_refused(world: World) -> None:
    app = world.app
    program = app.create_program(actor=SYSTEM, name="One-on-one only").id
    before = app.recorder.max_notification_id()
    for fmt in ("peer", "no_such_format"):
        with pytest.raises(UnknownFormat) as refused:
            app.propose_mentorship(
                actor=SYSTEM,
                program_id=program,
                format=fmt,
                participants=[
                    {"person_id": world.mentor, "role": "peer"},
                    {"person_id": world.mentee, "role": "peer"},
                ],
            )
        assert refused.value.code == "UNKNOWN_FORMAT"
    assert app.recorder.max_notification_id() == before


def test_built_in_formats_declare_roles_cadence_and_plan(app: Mentoring) -> None:
    formats = app.catalog.formats
    roles = {
        name: [(r.name, r.side, r.min, r.max) for r in fmt.roles]
        for name, fmt in formats.items()
    }
    assert roles == {
        "one_on_one": [("mentor", "mentor", 1, 1), ("mentee", "mentee", 1, 1)],
        "reverse": [("mentor", "mentor", 1, 1), ("mentee", "mentee", 1, 1)],
        "circle": [("facilitator", "mentor", 1, 2), ("member", "mentee", 3, 12)],
        "peer": [("peer", "peer", 2, 6)],
        "group": [("mentor", "mentor", 1, 1), ("mentee", "mentee", 2, 20)],
    }
    for fmt in formats.values():
        assert fmt.default_cadence_days > 0
        weeks = [(m.week_start, m.week_end) for m in fmt.connection_plan]
        assert all(start <= end for start, end in weeks), fmt.name
        assert weeks == sorted(weeks), fmt.name
    assert len(formats["one_on_one"].connection_plan) == 4
