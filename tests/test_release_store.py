"""A store written by release 0.1.0 reads, replays, verifies and retries unchanged.

tests/fixtures/release-0.1.0 was written by tests/fixtures/make_release_store.py
with that release: the demo, every command once under an idempotency key, and a
stream long enough to have a snapshot. Today's code must read every stored
event, snapshot, chain link, key and idempotency fingerprint as it was written.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from mentorlog.core.application import Mentoring
from mentorlog.core.chain import store_digest, verify
from mentorlog.core.errors import IdempotencyKeyReused
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.storage.cache import replay

from mentorlog.cli import main as cli
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.test_api_support import gid, node_id, open_api

RELEASE = Path(__file__).parent / "fixtures" / "release-0.1.0"
EXPECTED: dict[str, Any] = json.loads((RELEASE / "expected.json").read_text())
CALLS: list[dict[str, Any]] = json.loads((RELEASE / "calls.json").read_text())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the release's data dir, so the fixture itself never changes."""
    target = tmp_path / "release"
    shutil.copytree(RELEASE, target)
    return target


@pytest.fixture
def release(data_dir: Path) -> Any:
    """The release's store, opened with today's code."""
    opened = open_services(Settings(data_dir=data_dir), create=False)
    yield opened
    opened.close()


def _head(app: Mentoring) -> int:
    return app.recorder.max_notification_id() or 0


def test_every_stream_verifies_to_the_digest_the_release_printed(
    release: Services,
) -> None:
    verdicts = verify(release.app.recorder)  # type: ignore[arg-type]
    assert all(v.ok for v in verdicts)
    assert len(verdicts) == EXPECTED["streams"]
    assert store_digest(verdicts) == EXPECTED["digest"]
    assert _head(release.app) == EXPECTED["events"]


def test_the_cli_verifies_the_release_store(data_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", "--all", "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert EXPECTED["digest"] in result.output


def test_the_snapshot_loads_to_the_state_a_full_replay_gives(
    release: Services,
) -> None:
    app = release.app
    stream = UUID(EXPECTED["ids"]["one_on_one"])
    snapshots = list(app.snapshots.get(stream))  # type: ignore[union-attr]
    assert len(snapshots) == EXPECTED["snapshots"] >= 1
    from_snapshot = app.repository.get(stream)
    from_events = replay(None, app.events.get(stream))
    assert isinstance(from_snapshot, Mentorship)
    assert from_snapshot.__dict__ == from_events.__dict__


def test_every_stream_replays_and_rebuilds_to_the_release_read_models(
    release: Services, data_dir: Path
) -> None:
    app = release.app
    for stream_id in app.recorder.stream_ids():  # type: ignore[attr-defined]
        assert app.repository.get(UUID(stream_id)).version >= 1
    tables = [
        "programs",
        "people",
        "mentorships",
        "participants",
        "goals",
        "milestones",
        "meetings",
        "meeting_rosters",
        "reviews",
        "feedback",
        "notes",
        "program_metrics",
    ]
    # The release's own rows, in the columns it had: a projection whose version
    # moved since has replaced its tables (and may have added columns).
    before = _rows(RELEASE / "views.db", tables)
    release.runner.rebuild()
    assert _rows(data_dir / "views.db", tables, like=RELEASE / "views.db") == before


def test_idempotent_retries_return_what_the_release_recorded(
    release: Services,
) -> None:
    app = release.app
    head = _head(app)
    assert len(CALLS) >= 30
    for call in CALLS:
        recorded = getattr(app, call["method"])(*call["args"], **call["kwargs"])
        assert (call["method"], recorded.id, recorded.position) == (
            call["method"],
            call["result_id"],
            call["position"],
        )
    assert _head(app) == head


def test_a_release_key_with_other_arguments_is_refused_and_records_nothing(
    release: Services,
) -> None:
    app = release.app
    head = _head(app)
    call = next(c for c in CALLS if c["method"] == "pause_mentorship")
    with pytest.raises(IdempotencyKeyReused):
        app.pause_mentorship(*call["args"], **{**call["kwargs"], "reason": "other"})
    assert _head(app) == head


def _rows(
    path: Path, tables: list[str], like: Path | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows, sorted; only the columns the tables of `like` have."""
    with sqlite3.connect(like or path) as con:
        columns = {
            t: ", ".join(row[1] for row in con.execute(f"PRAGMA table_info({t})"))
            for t in tables
        }
    with sqlite3.connect(path) as con:
        return {
            t: sorted(con.execute(f"SELECT {columns[t]} FROM {t}").fetchall(), key=repr)
            for t in tables
        }


def test_todays_commands_record_under_the_release_topics(tmp_path: Path) -> None:
    """Topics are stored and hashed: the same commands name the same event classes."""
    from tests.fixtures.make_release_store import main as write_store

    write_store(tmp_path / "today")
    today = _topics(tmp_path / "today" / "events.db")
    # Every topic the release recorded is still what the same commands record;
    # today's demo also runs features the release did not have.
    assert _topics(RELEASE / "events.db") <= today
    assert all(
        topic.startswith(NEW_SINCE_RELEASE)
        for topic in today - _topics(RELEASE / "events.db")
    ), today - _topics(RELEASE / "events.db")


# The modules and event classes added after the release.
NEW_SINCE_RELEASE = (
    "mentorlog.core.intake:",
    "mentorlog.core.identity:",
    "mentorlog.core.mentorship:Mentorship.MatchScored",
    "mentorlog.core.mentorship:Mentorship.Withdrawn",
    "mentorlog.core.mentorship:Mentorship.ProposalDeclined",
    "mentorlog.core.person:Person.Granted",
    "mentorlog.core.person:Person.GrantRevoked",
    "mentorlog.core.person:Person.CodeRedeemed",
)


def _topics(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {row[0] for row in con.execute("SELECT topic FROM stored_events")}


# Mutations whose inputs the API converts (enums, date-times, lists of enums, JSON):
# retried over HTTP with the release's keys, they must fingerprint as the service
# calls did, and so return what was recorded, recording nothing.
API_RETRIES = {
    "pause_mentorship": ("pauseMentorship", "mentorship { id }", {"reason": None}),
    "set_goal": (
        "setGoal",
        "goal { id }",
        {"title": None, "framework": None, "fields": None},
    ),
    "schedule_meeting": (
        "scheduleMeeting",
        "meeting { id }",
        {"scheduledFor": "scheduled_for", "planNumber": "plan_number"},
    ),
    "record_review": (
        "recordReview",
        "review { id }",
        {
            "progressRating": "progress_rating",
            "wentWell": "went_well",
            "challenges": None,
            "support": None,
            "nextSteps": "next_steps",
        },
    ),
}


async def test_api_retries_with_release_keys_record_nothing(
    release: Services, data_dir: Path
) -> None:
    async for api in open_api(Settings(data_dir=data_dir), release):
        for method, (mutation, selection, fields) in API_RETRIES.items():
            call = next(c for c in CALLS if c["method"] == method)
            kwargs = call["kwargs"]
            person = kwargs["actor"].removeprefix("person:")
            token = api.token(person)
            head = api.head()
            values = {name: kwargs[source or name] for name, source in fields.items()}
            if "support" in values:
                values["support"] = [s.upper() for s in values["support"]]
            payload = await api.mutate(
                mutation,
                {
                    "mentorshipId": gid("Mentorship", call["args"][0]),
                    "idempotencyKey": kwargs["idempotency_key"],
                    **values,
                },
                selection,
                token,
            )
            assert payload["userErrors"] == [], (method, payload)
            made = next(iter(payload.values()))
            assert node_id(made["id"]).split(":")[-1] == call["result_id"], method
            assert api.head() == head, method
