"""Idempotency keys: a client's retried command is recorded once, even when racing."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import MentorlogError
from mentorlog.core.idempotency import (
    IdempotencyKey,
    fingerprint,
    idempotency_key_id,
)
from mentorlog.core.privacy import KeyStore

from mentorlog.services import Services
from tests.backends import read_rows
from tests.conftest import SYSTEM, World
from tests.test_concurrency import (
    CountingMentoring,
    Store,
    assert_chains_intact,
    barrier_apps,
    run_together,
    stream_length,
)
from tests.test_rules import refused


@pytest.fixture
def store(services: Services) -> Store:
    """The test's event store and key store, for more app instances."""
    return Store(services.catalog, dict(services.app.env), services.app.sealer.keys)


def head(app: Mentoring) -> int:
    """The newest notification ID in the event log."""
    return app.recorder.max_notification_id() or 0


def topics_since(app: Mentoring, position: int) -> list[str]:
    """The event class names recorded after position, in order."""
    since = app.recorder.select_notifications(position, 100, inclusive_of_start=False)
    return [n.topic.rpartition(".")[2] for n in since]


def review(app: Mentoring, world: World, mentorship: str, key: str) -> Recorded:
    """The mentor records a review under a key."""
    return app.record_review(
        mentorship,
        actor=world.mentor_actor,
        progress_rating=4,
        went_well="Planned the talk",
        support=["instrumental"],
        idempotency_key=key,
    )


# -- one client retrying -------------------------------------------------------


def test_a_retry_returns_the_original_result_and_records_nothing(
    app: Mentoring, world: World
) -> None:
    """The same key and arguments: the first Recorded again, no new event."""
    mentorship = world.one_on_one()
    before = head(app)
    first = review(app, world, mentorship, "review-2030-01")
    assert topics_since(app, before) == ["ReviewRecorded", "Used"]
    assert first.position == head(app)
    app.record_review(mentorship, actor=world.mentee_actor, progress_rating=2)
    later = head(app)

    again = review(app, world, mentorship, "review-2030-01")
    assert again == first  # the same ID and the same log position
    assert head(app) == later
    reviews = app.get_mentorship(mentorship).reviews
    assert [r["id"] for r in reviews][0] == first.id
    assert len(reviews) == 2


def test_without_a_key_a_retry_records_twice(app: Mentoring, world: World) -> None:
    """The contrast: two plain calls are two reviews."""
    mentorship = world.one_on_one()
    a = app.record_review(mentorship, actor=world.mentor_actor, progress_rating=4)
    b = app.record_review(mentorship, actor=world.mentor_actor, progress_rating=4)
    assert a.id != b.id
    assert len(app.get_mentorship(mentorship).reviews) == 2


def test_creating_commands_are_idempotent_too(app: Mentoring, world: World) -> None:
    """Program, person and proposal retried: one aggregate each, same IDs."""

    def create() -> list[Recorded]:
        return [
            app.create_program(
                actor=SYSTEM, name="Design mentoring", idempotency_key="p-1"
            ),
            app.register_person(
                actor=SYSTEM,
                display_name="Nia New",
                career_stage="mid",
                years_experience=6,
                tenure_years=2,
                email="nia@example.org",
                idempotency_key="n-1",
            ),
            app.propose_mentorship(
                actor=SYSTEM,
                program_id=world.program,
                format="one_on_one",
                participants=[
                    {"person_id": world.mentor, "role": "mentor"},
                    {"person_id": world.mentee, "role": "mentee"},
                ],
                idempotency_key="m-1",
            ),
        ]

    before = head(app)
    first = create()
    recorded = head(app)
    assert topics_since(app, before).count("Used") == 3
    assert create() == first
    assert head(app) == recorded
    program, person, mentorship = (r.id for r in first)
    assert app.get_program(program).name == "Design mentoring"
    assert app.name_of(app.get_person(person)) == "Nia New"
    assert app.get_mentorship(mentorship).status == "proposed"


def test_a_retry_after_the_state_moved_on_still_returns_the_result(
    app: Mentoring, world: World
) -> None:
    """Holding a meeting twice is refused; retrying it with its key is not."""
    mentorship = world.one_on_one()
    meeting = app.schedule_meeting(
        mentorship, actor=world.mentor_actor, scheduled_for="2030-01-07T10:00:00Z"
    ).id

    def hold(key: str | None) -> Recorded:
        return app.hold_meeting(
            mentorship, meeting, actor=world.mentor_actor, idempotency_key=key
        )

    held = hold("hold-1")
    assert hold("hold-1") == held
    with refused(app, "INVALID_TRANSITION", "meetingId"):
        hold(None)


def test_closing_and_starting_retried_change_no_capacity_twice(
    app: Mentoring, world: World
) -> None:
    """start and complete touch several streams; a retry touches none."""
    proposal = world.one_on_one(start=False)
    for _ in range(2):
        app.start_mentorship(proposal, actor=SYSTEM, idempotency_key="start")
    assert app.get_person(world.mentee).mentorships == [proposal]
    length = stream_length(app, world.mentee)
    for _ in range(2):
        app.complete_mentorship(proposal, actor=SYSTEM, idempotency_key="done")
    assert app.get_mentorship(proposal).status == "completed"
    assert stream_length(app, world.mentee) == length + 1
    assert app.get_person(world.mentee).mentorships == []


# -- misuse ----------------------------------------------------------------------


def test_the_same_key_with_other_arguments_is_refused(
    app: Mentoring, world: World
) -> None:
    """Another rating under a used key: IDEMPOTENCY_KEY_REUSED, nothing stored."""
    mentorship = world.one_on_one()
    review(app, world, mentorship, "k")
    with refused(app, "IDEMPOTENCY_KEY_REUSED", "idempotencyKey"):
        app.record_review(
            mentorship,
            actor=world.mentor_actor,
            progress_rating=5,
            went_well="Planned the talk",
            support=["instrumental"],
            idempotency_key="k",
        )
    other = world.one_on_one(start=False)
    with refused(app, "IDEMPOTENCY_KEY_REUSED", "idempotencyKey"):
        app.record_review(
            other,
            actor=world.mentor_actor,
            progress_rating=4,
            went_well="Planned the talk",
            support=["instrumental"],
            idempotency_key="k",
        )
    assert len(app.get_mentorship(mentorship).reviews) == 1


def test_the_same_key_for_another_command_is_refused(
    app: Mentoring, world: World
) -> None:
    """A key used for a review cannot be used for feedback."""
    mentorship = world.one_on_one()
    review(app, world, mentorship, "k")
    with refused(app, "IDEMPOTENCY_KEY_REUSED"):
        app.give_feedback(
            mentorship, actor=world.mentor_actor, text="Good", idempotency_key="k"
        )


def test_keys_belong_to_their_actor(app: Mentoring, world: World) -> None:
    """Two actors may pick the same key: each records its own review."""
    mentorship = world.one_on_one()
    a = app.record_review(
        mentorship, actor=world.mentor_actor, progress_rating=4, idempotency_key="k"
    )
    b = app.record_review(
        mentorship, actor=world.mentee_actor, progress_rating=4, idempotency_key="k"
    )
    assert a.id != b.id
    assert idempotency_key_id(world.mentor_actor, "k") != idempotency_key_id(
        world.mentee_actor, "k"
    )
    assert len(app.get_mentorship(mentorship).reviews) == 2


def test_a_refused_command_leaves_its_key_unused(app: Mentoring, world: World) -> None:
    """A rating of 9 is refused; the corrected call may reuse the key."""
    mentorship = world.one_on_one()
    with refused(app, "INVALID_INPUT", "progressRating"):
        app.record_review(
            mentorship, actor=world.mentor_actor, progress_rating=9, idempotency_key="k"
        )
    fixed = app.record_review(
        mentorship, actor=world.mentor_actor, progress_rating=4, idempotency_key="k"
    )
    assert [r["id"] for r in app.get_mentorship(mentorship).reviews] == [fixed.id]


@pytest.mark.parametrize("key", ["", "   ", "k" * 201])
def test_a_malformed_key_is_invalid_input(
    app: Mentoring, world: World, key: str
) -> None:
    """Empty, blank or over-long keys are refused before anything is stored."""
    mentorship = world.one_on_one()
    with refused(app, "INVALID_INPUT", "idempotencyKey"):
        review(app, world, mentorship, key)


# -- racing duplicates -----------------------------------------------------------


def test_threads_racing_with_one_key_record_once(
    services: Services, store: Store, world: World
) -> None:
    """Eight threads send the same review with one key: one review, one result."""
    mentorship = world.one_on_one()
    before = head(world.app)
    app = store.open(CountingMentoring)
    assert isinstance(app, CountingMentoring)
    try:
        outcomes = run_together(*[lambda: review(app, world, mentorship, "race")] * 8)
    finally:
        app.close()
    assert all(isinstance(o, Recorded) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert topics_since(world.app, before) == ["ReviewRecorded", "Used"]
    # Threads take turns on the stream, and each looks for the key in its turn.
    assert app.conflicts == 0
    assert_chains_intact(services)


def test_threads_racing_to_create_with_one_key_record_once(
    app: Mentoring, world: World
) -> None:
    """Creating commands take no stream lock: the key's version 1 decides."""
    before = head(app)
    outcomes = run_together(
        *[lambda: app.create_program(actor=SYSTEM, name="P", idempotency_key="p")] * 6
    )
    assert all(isinstance(o, Recorded) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert topics_since(app, before) == ["Created", "Used"]


def racing_instances(store: Store, world: World, count: int = 3) -> None:
    """Instances (as processes) load, then save at once: the losers conflict."""
    mentorship = world.one_on_one()
    before = head(world.app)
    apps = barrier_apps(store, count)
    try:
        outcomes = run_together(
            *[lambda app=app: review(app, world, mentorship, "race") for app in apps]
        )
    finally:
        for app in apps:
            app.close()
    assert all(isinstance(o, Recorded) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert sum(app.conflicts for app in apps) == count - 1
    assert topics_since(world.app, before) == ["ReviewRecorded", "Used"]
    assert outcomes[0] == review(world.app, world, mentorship, "race")


def racing_creations(store: Store, world: World, count: int = 3) -> None:
    """Instances create a program with one key: they conflict on the key alone."""
    before = head(world.app)
    apps = barrier_apps(store, count)
    try:
        outcomes = run_together(
            *[
                lambda app=app: app.create_program(
                    actor=SYSTEM, name="Raced", idempotency_key="p"
                )
                for app in apps
            ]
        )
    finally:
        for app in apps:
            app.close()
    assert all(isinstance(o, Recorded) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert sum(app.conflicts for app in apps) == count - 1
    assert topics_since(world.app, before) == ["Created", "Used"]


def test_instances_racing_with_one_key_record_once(
    services: Services, store: Store, world: World
) -> None:
    """Across instances the loser's save conflicts; it returns the winner's result."""
    racing_instances(store, world)
    assert_chains_intact(services)


def test_instances_racing_to_create_with_one_key_record_once(
    store: Store, world: World
) -> None:
    """A create conflicts only on the key; the loser reads and returns it."""
    racing_creations(store, world)


# -- erasure, projections, every command ------------------------------------------


class Crash(Exception):
    """The process dies here."""


class CrashingKeys:
    """A key store whose destroy dies, as a process killed mid-command would."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def create(self, person_id: str) -> bytes:
        """Make (or return) the person's key."""
        return self.keys.create(person_id)

    def get(self, person_id: str) -> bytes | None:
        """Return the person's key."""
        return self.keys.get(person_id)

    def destroy(self, person_id: str) -> bool:
        """Die before destroying anything."""
        raise Crash(person_id)


def test_a_retried_erasure_destroys_the_key(
    services: Services, app: Mentoring, world: World
) -> None:
    """The first erasure died destroying the key, before recording anything; its
    retry destroys the key and records the erasure, once."""
    keys = app.sealer.keys
    dying = Mentoring(services.catalog, env=dict(app.env), keys=CrashingKeys(keys))
    before = head(app)
    try:
        with pytest.raises(Crash):
            dying.erase_person(world.mentee, actor=SYSTEM, idempotency_key="erase")
    finally:
        dying.close()
    assert head(app) == before and not app.get_person(world.mentee).erased
    assert keys.get(world.mentee) is not None
    first = app.erase_person(world.mentee, actor=SYSTEM, idempotency_key="erase")
    again = app.erase_person(world.mentee, actor=SYSTEM, idempotency_key="erase")
    assert first == again and head(app) > before
    assert app.get_person(world.mentee).erased
    assert keys.get(world.mentee) is None
    assert app.name_of(app.get_person(world.mentee)) == "Erased person"


def test_projections_skip_the_key_events(
    services: Services, app: Mentoring, world: World
) -> None:
    """No projection follows the key's events; the read models see one review."""
    topic = get_topic(IdempotencyKey.Used)
    assert all(topic not in p.topics() for p in services.runner.projections)
    mentorship = world.one_on_one()
    for _ in range(3):
        review(app, world, mentorship, "k")
    services.runner.catch_up()
    assert services.runner.position == head(app)
    rows = read_rows(
        services, "SELECT count(*) FROM reviews WHERE mentorship_id = ?", mentorship
    )
    assert rows == [(1,)]


def commands() -> list[tuple[str, Callable[..., Any]]]:
    """The public methods of Mentoring that record something."""
    return [
        (name, method)
        for name, method in inspect.getmembers(Mentoring, inspect.isfunction)
        if not name.startswith("_")
        and inspect.signature(method).return_annotation in ("Recorded", Recorded)
    ]


# A webhook's secret is shown once: a retry could not return it again, so
# registering takes no key (as issuing a token, which returns no Recorded, does not).
SHOWN_ONCE = {"register_webhook"}


def test_every_command_takes_an_idempotency_key() -> None:
    """A new command without the keyword fails here."""
    found = commands()
    assert len(found) >= 25
    missing = []
    for name, method in found:
        if name in SHOWN_ONCE:
            continue
        parameter = inspect.signature(method).parameters.get("idempotency_key")
        if (
            parameter is None
            or parameter.kind is not inspect.Parameter.KEYWORD_ONLY
            or parameter.default is not None
        ):
            missing.append(name)
    assert missing == []


def test_the_fingerprint_covers_name_and_arguments() -> None:
    """Equal calls hash alike whatever the sequence type; any change differs."""
    base = fingerprint("record_review", {"rating": 4, "support": ("a", "b")})
    assert base == fingerprint("record_review", {"support": ["a", "b"], "rating": 4})
    assert base != fingerprint("record_review", {"rating": 5, "support": ["a", "b"]})
    assert base != fingerprint("record_review", {"rating": 4, "support": ["b", "a"]})
    assert base != fingerprint("give_feedback", {"rating": 4, "support": ["a", "b"]})


def test_the_key_stream_records_who_what_and_the_result(
    app: Mentoring, world: World
) -> None:
    """The Used event is attributed, names the command and the result ID."""
    mentorship = world.one_on_one()
    recorded = review(app, world, mentorship, "k")
    (used,) = app.events.get(idempotency_key_id(world.mentor_actor, "k"))
    assert isinstance(used, IdempotencyKey.Used)
    assert used.actor == world.mentor_actor
    assert used.command == "record_review"
    assert (used.result_id, used.key) == (recorded.id, "k")
    assert isinstance(used.originator_id, UUID)


def test_an_error_in_a_claimed_command_is_its_own(app: Mentoring, world: World) -> None:
    """Without a winning duplicate, the command's own refusal is raised."""
    with pytest.raises(MentorlogError) as info:
        app.record_review(
            "not-an-id", actor=SYSTEM, progress_rating=3, idempotency_key="k"
        )
    assert info.value.code == "NOT_FOUND"
