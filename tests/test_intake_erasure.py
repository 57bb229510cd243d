"""Intake answers, messages and reasons are sealed: erasing their person shreds them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.chain import ChainedRecorder, verify
from mentorlog.core.history import history
from mentorlog.core.intake import Intake, intake_id
from mentorlog.core.privacy import KeyStore, is_sealed
from mentorlog.core.webhooks import new_secret

from mentorlog.cli import main
from mentorlog.services import Services
from tests.backends import cli_args, read_rows, stored_bytes
from tests.conftest import SYSTEM, World
from tests.test_intake import enrol, open_intake, person
from tests.test_rules import refused

ABOUT = "Quietly looking for a new team"
GOAL = "Leave engineering for product"
MESSAGE = "Could you help me with my exit plan?"
WITHDRAWN = "My manager must not know"
DECLINED = "Too much on my plate with the reorg"
SECRETS = (ABOUT, GOAL, MESSAGE, WITHDRAWN, DECLINED)
QUINNS = (ABOUT, GOAL, MESSAGE)  # what Quinn wrote
APPLIED = get_topic(Intake.Applied)


@pytest.fixture
def intake(services: Services, world: World) -> dict[str, str]:
    """Quinn answered and asked Maya, who accepted (the mentorship quotes the
    request) and declined Rob, with a reason; Ida withdrew, with one."""
    app = services.app
    app.register_webhook(
        world.program,
        actor=SYSTEM,
        url="https://93.184.215.14/hooks",
        secret=new_secret(),
    )
    open_intake(app, world)
    people = {
        "maya": person(app, "Maya", capacity=3, skills=("product",)),
        "quinn": person(app, "Quinn", "early", 3, 3, interests=("product",)),
        "rob": person(app, "Rob", "early", 3, 3),
        "ida": person(app, "Ida", "early", 3, 3),
    }
    enrol(app, world, people["maya"], "mentor", availability=["mon-am"])
    answers = {"about": ABOUT, "goals": [GOAL], "availability": ["mon-am"]}
    enrol(app, world, people["quinn"], "mentee", **answers)
    enrol(app, world, people["rob"], "mentee")
    enrol(app, world, people["ida"], "mentee")
    app.withdraw_application(
        world.program, actor=SYSTEM, person_id=people["ida"], reason=WITHDRAWN
    )
    maya = person_actor(people["maya"])
    asked = app.request_mentor(
        world.program,
        actor=person_actor(people["quinn"]),
        mentee_id=people["quinn"],
        mentor_id=people["maya"],
        message=MESSAGE,
    ).id
    people["mentorship"] = app.accept_request(world.program, asked, actor=maya).id
    other = app.request_mentor(
        world.program,
        actor=person_actor(people["rob"]),
        mentee_id=people["rob"],
        mentor_id=people["maya"],
    ).id
    app.decline_request(world.program, other, actor=maya, reason=DECLINED)
    services.runner.catch_up()
    return people


def replayer(services: Services, keys: KeyStore) -> Mentoring:
    """A new application on the same store and keys that reads events only."""
    env = dict(services.app.env)
    env.pop("AGGREGATE_CACHE_MAXSIZE", None)
    env["IS_SNAPSHOTTING_ENABLED"] = "n"
    return Mentoring(services.catalog, env=env, keys=keys)


def texts(services: Services) -> str:
    """Every answer, message, reason and purpose the read models hold, as text."""
    return json.dumps(
        [
            read_rows(services, "SELECT answers, reason FROM enrolments"),
            read_rows(services, "SELECT message, reason FROM mentor_requests"),
            read_rows(services, "SELECT purpose FROM mentorships"),
        ]
    )


def webhook_bodies(services: Services) -> list[dict[str, Any]]:
    """Every body the webhook outbox holds."""
    rows = read_rows(services, "SELECT body FROM webhook_deliveries")
    return [json.loads(body) for (body,) in rows]


def test_answers_are_sealed_in_the_store_and_open_in_the_read_models(
    services: Services, world: World, intake: dict[str, str]
) -> None:
    raw = stored_bytes(services)
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
    found = texts(services)
    for secret in SECRETS:
        assert secret in found, secret
    stored = services.app.get_intake(world.program)
    assert is_sealed(stored.applications[intake["quinn"]]["answers"])
    assert services.app.answers_of(stored, intake["quinn"])["about"] == ABOUT
    # A webhook never carries a sealed value: the purpose is left out of its body.
    bodies = webhook_bodies(services)
    (proposed,) = [b["data"] for b in bodies if b["type"] == "Proposed"]
    assert proposed["format"] == "one_on_one" and "purpose" not in proposed
    assert MESSAGE not in json.dumps(bodies)


def test_erasing_the_applicant_shreds_what_they_wrote_and_the_chain_verifies(
    services: Services, world: World, intake: dict[str, str]
) -> None:
    app = services.app
    recorder = app.recorder
    assert isinstance(recorder, ChainedRecorder)
    before = {v.stream_id: v.digest for v in verify(recorder)}
    for key in ("quinn", "ida"):
        app.erase_person(intake[key], actor=SYSTEM)
    services.runner.catch_up()
    assert read_rows(
        services,
        "SELECT answers, reason FROM enrolments WHERE person_id IN (?, ?) "
        "ORDER BY person_id = ?",
        intake["quinn"],
        intake["ida"],
        intake["ida"],
    ) == [("{}", ""), ("{}", "[erased]")]
    assert read_rows(
        services, "SELECT purpose FROM mentorships WHERE id = ?", intake["mentorship"]
    ) == [("[erased]",)]
    for rebuilt in (False, True):  # replayed, the keys are still gone
        if rebuilt:
            services.runner.rebuild()
        found = texts(services)
        for secret in (*QUINNS, WITHDRAWN):
            assert secret not in found, (rebuilt, secret)
        assert DECLINED in found  # Maya's words, sealed with her key
        assert MESSAGE not in json.dumps(webhook_bodies(services))
    # Every event is still there, sealed; the service opens Quinn's answers to {}.
    assert is_sealed(history(app, intake["mentorship"])[0].payload["purpose"])
    assert app.answers_of(app.get_intake(world.program), intake["quinn"]) == {}
    # Each chain verifies with the digest it had, bar the erased people's own.
    after = {v.stream_id: v for v in verify(recorder)}
    assert all(v.ok for v in after.values())
    erased = {intake[k].replace("-", "") for k in ("quinn", "ida")}
    assert all(
        after[s].digest == digest for s, digest in before.items() if s not in erased
    )
    result = CliRunner().invoke(main, ["verify", *cli_args(services), "--all"])
    assert result.exit_code == 0, result.output


def test_matching_leaves_an_erased_person_out(
    services: Services, world: World, intake: dict[str, str]
) -> None:
    app = services.app
    program = world.program
    other = person(app, "Otto", capacity=2, skills=("product",))
    enrol(app, world, other, "mentor", availability=["mon-am"])
    rob = intake["rob"]
    found = {s.person_id for s in app.match_suggestions(program, rob)}
    assert found == {intake["maya"], other}
    app.erase_person(intake["maya"], actor=SYSTEM)
    # Maya is enrolled still, but nobody to match or ask.
    assert [s.person_id for s in app.match_suggestions(program, rob)] == [other]
    assert {p.mentor_id for p in app.bulk_match_preview(program)} == {other}
    with refused(app, "INVALID_INPUT", "mentorId"):
        app.request_mentor(
            program, actor=SYSTEM, mentee_id=rob, mentor_id=intake["maya"]
        )
    with refused(app, "INVALID_INPUT", "personId"):
        app.match_suggestions(program, intake["maya"])
    # An erased person does not apply, and no reason can be sealed for them.
    app.erase_person(intake["ida"], actor=SYSTEM)
    with refused(app, "INVALID_INPUT", "personId"):
        app.apply_to_program(
            program, actor=SYSTEM, person_id=intake["ida"], side="mentee"
        )
    asked = app.request_mentor(
        program, actor=SYSTEM, mentee_id=rob, mentor_id=other, message="Hi"
    ).id
    app.erase_person(rob, actor=SYSTEM)
    with refused(app, "INVALID_INPUT", "requestId"):
        app.accept_request(program, asked, actor=person_actor(other))
    with refused(app, "INVALID_INPUT", "personId"):
        app.withdraw_application(program, actor=SYSTEM, person_id=rob, reason="Gone")
    # Withdrawn without a reason (nothing to seal), the place is free.
    app.withdraw_application(program, actor=SYSTEM, person_id=rob)
    assert rob not in app.get_intake(program).enrolled("mentee")


# An Applied event exactly as mentorlog stored it before answers were sealed.
PLAIN_APPLIED_STATE = (
    '{"timestamp":{"_type_":"datetime_iso","_data_":"%(at)s"},'
    '"actor":"%(actor)s","person_id":"%(person)s","side":"mentee",'
    '"answers":{"about":"%(about)s","availability":["mon-am"]}}'
)


def test_an_application_stored_in_plain_text_reads_and_is_blanked_on_erasure(
    services: Services, world: World
) -> None:
    app = services.app
    open_intake(app, world)
    mentor = person(app, "Maya", capacity=2)
    enrol(app, world, mentor, "mentor", availability=["mon-am"])
    older = person(app, "Olga", "early", 3, 3)
    newer = person(app, "Nils", "early", 3, 3)
    app.apply_to_program(
        world.program,
        actor=SYSTEM,
        person_id=newer,
        side="mentee",
        answers={"about": "x"},
    )
    (new_state,) = [
        json.loads(bytes(n.state))
        for n in app.recorder.select_notifications(1, 10_000, topics=[APPLIED])
        if json.loads(bytes(n.state))["person_id"] == newer
    ]
    uid = intake_id(world.program)
    version = app.repository.get(uid).version + 1
    state = PLAIN_APPLIED_STATE % {
        "at": datetime.now(UTC).isoformat(),
        "actor": SYSTEM,
        "person": older,
        "about": ABOUT,
    }
    assert set(json.loads(state)) == set(new_state)  # the shape it always had
    app.recorder.insert_events([StoredEvent(uid, version, APPLIED, state.encode())])
    fresh = replayer(services, keys=app.sealer.keys)  # the intake as stored now
    try:
        fresh.approve_application(world.program, actor=SYSTEM, person_id=older)
        found = fresh.get_intake(world.program)
        assert fresh.answers_of(found, older) == {
            "about": ABOUT,
            "availability": ["mon-am"],
        }
        # Matching reads the plain answers: the availability is shared.
        (best,) = fresh.match_suggestions(world.program, older)
        explained = {c.name: c.explanation for c in best.pairing.match.contributions}
        assert "mon-am" in explained["availability"]
    finally:
        fresh.close()
    services.runner.catch_up()
    query = "SELECT answers FROM enrolments WHERE person_id = ?"
    assert ABOUT in read_rows(services, query, older)[0][0]
    app.erase_person(older, actor=SYSTEM)
    services.runner.catch_up()
    assert read_rows(services, query, older) == [("{}",)]
    services.runner.rebuild()
    assert read_rows(services, query, older) == [("{}",)]
    recorder = app.recorder
    assert isinstance(recorder, ChainedRecorder)
    assert all(v.ok for v in verify(recorder, [str(uid)]))
