"""The Merkle tree over the log: kept by both recorders, proofs that check, and
the insider attacks `verify` alone misses, caught against an earlier checkpoint."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from mentorlog.core import merkle
from mentorlog.core.chain import link, verify
from mentorlog.core.transparency import (
    ProofError,
    Transparency,
    check_extension,
    recomputed_leaves,
)
from mentorlog.core.verify_bundle import (
    Checkpoint,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from psycopg import sql

from mentorlog.services import Services
from tests.conftest import SYSTEM, World

Sql = Callable[..., list[tuple[Any, ...]]]


@contextmanager
def event_store(services: Services) -> Iterator[Sql]:
    """Run SQL (with ? placeholders) on the event store directly, as an insider."""
    postgres = services.settings.postgres
    if postgres is None:
        with sqlite3.connect(services.settings.events_db) as lite:
            yield lambda query, *params: lite.execute(query, params).fetchall()
        return
    with psycopg.connect(**postgres.connection_kwargs(), autocommit=True) as con:
        con.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres.schema))
        )

        app: Any = services.app
        names = {
            "stored_events": app.recorder.events_table_name,
            "stored_snapshots": app.snapshots.recorder.events_table_name,
            "?": "%s",
        }

        def run(query: str, *params: Any) -> list[tuple[Any, ...]]:
            for name, actual in names.items():
                query = query.replace(name, actual)
            cursor = con.execute(query, params)  # type: ignore[call-overload]
            return cursor.fetchall() if cursor.description else []

        yield run


def stream_id(services: Services, mentorship: str) -> Any:
    """The mentorship's originator ID as the backend's events table holds it."""
    return UUID(mentorship) if services.settings.postgres else UUID(mentorship).hex


def busy(world: World) -> str:
    """A mentorship with some history, then a second one after it."""
    app = world.app
    first = world.one_on_one()
    for rating in (3, 4, 5):
        app.record_review(first, actor=world.mentee_actor, progress_rating=rating)
    app.set_goal(first, actor=world.mentee_actor, title="Ship it", framework="plain")
    return first


def checkpoint(services: Services) -> Checkpoint:
    size, root = Transparency(services.app.recorder).root()  # type: ignore[arg-type]
    return Checkpoint("mentorlog.test", size, root)


def test_the_tree_matches_the_log_and_its_proofs_check(
    services: Services, world: World
) -> None:
    mentorship = busy(world)
    recorder: Any = services.app.recorder
    log = Transparency(recorder)
    size, root = log.root()
    leaves = list(recomputed_leaves(recorder))
    assert len(leaves) == size > 10
    rebuilt: dict[merkle.Node, bytes] = {}
    for index, leaf in enumerate(leaves):
        edge = {node: rebuilt[node] for node in merkle.edge(index)}
        for level, idx, digest in merkle.append(index, edge, [leaf]):
            rebuilt[(level, idx)] = digest
    assert merkle.root(size, rebuilt.__getitem__) == root
    # Every event of the mentorship is in the log, where its proof says.
    events = recorder.select_events(UUID(mentorship))
    previous = "0" * 64
    for stored in events:
        previous = link(previous, stored)
        index, proof = log.inclusion(UUID(mentorship), stored.originator_version, size)
        verify_inclusion(index, size, leaf_hash(bytes.fromhex(previous)), proof, root)
    old = checkpoint(services)
    world.app.record_review(mentorship, actor=world.mentee_actor, progress_rating=2)
    new_size, new_root = log.root()
    assert new_size == old.size + 1
    verify_consistency(
        old.size,
        new_size,
        log.consistency_proof(old.size, new_size),
        old.root,
        new_root,
    )
    assert check_extension(recorder, [old, checkpoint(services)]) == []
    with pytest.raises(ProofError, match="there is no size"):
        log.consistency_proof(1, new_size + 5)
    with pytest.raises(ProofError, match="there is no size"):
        log.inclusion(UUID(mentorship), 1, new_size + 1)
    with pytest.raises(ProofError, match="no event 999"):
        log.inclusion(UUID(mentorship), 999, new_size)


def edit_a_rating_and_relink(services: Services, run: Sql, stream: Any) -> None:
    """Change a ReviewRecorded rating, recompute the stream's links, drop snapshots."""
    version, state = run(
        "SELECT originator_version, state FROM stored_events WHERE originator_id = ? "
        "AND topic LIKE ? ORDER BY originator_version LIMIT 1",
        stream,
        "%ReviewRecorded",
    )[0]
    edited = re.sub(
        rb'"progress_rating":(\d)',
        lambda m: b'"progress_rating":' + (b"1" if m[1] != b"1" else b"5"),
        bytes(state),
        count=1,
    )
    assert edited != bytes(state)
    run(
        "UPDATE stored_events SET state = ? WHERE originator_id = ? "
        "AND originator_version = ?",
        edited,
        stream,
        version,
    )
    key = stream.hex if isinstance(stream, UUID) else stream
    previous = "0" * 64
    rows = run(
        "SELECT originator_version, topic, state FROM stored_events "
        "WHERE originator_id = ? ORDER BY originator_version",
        stream,
    )
    for version, topic, state in rows:
        stored = StoredEvent(UUID(key), version, topic, bytes(state))
        previous = link(previous, stored)
        run(
            "UPDATE event_links SET hash = ? WHERE originator_id = ? "
            "AND originator_version = ?",
            previous,
            key,
            stored.originator_version,
        )
    run("DELETE FROM stored_snapshots")


def delete_newest_two(services: Services, run: Sql, stream: Any) -> None:
    """Delete a mentorship's newest two events and their links."""
    key = stream.hex if isinstance(stream, UUID) else stream
    (top,) = run(
        "SELECT max(originator_version) FROM stored_events WHERE originator_id = ?",
        stream,
    )[0]
    for table, ident in (("stored_events", stream), ("event_links", key)):
        run(
            f"DELETE FROM {table} WHERE originator_id = ? AND originator_version >= ?",
            ident,
            top - 1,
        )


def delete_the_stream(services: Services, run: Sql, stream: Any) -> None:
    """Delete a whole stream: its events and its links."""
    key = stream.hex if isinstance(stream, UUID) else stream
    run("DELETE FROM stored_events WHERE originator_id = ?", stream)
    run("DELETE FROM event_links WHERE originator_id = ?", key)


@pytest.mark.parametrize(
    "attack", [edit_a_rating_and_relink, delete_newest_two, delete_the_stream]
)
def test_insider_attacks_are_caught_against_an_earlier_checkpoint(
    services: Services, world: World, attack: Callable[..., None]
) -> None:
    mentorship = busy(world)
    world.app.register_person(
        actor=SYSTEM,
        display_name="Later Person",
        career_stage="mid",
        years_experience=8,
        tenure_years=3,
        capacity=1,
    )
    before = checkpoint(services)
    recorder: Any = services.app.recorder
    with event_store(services) as run:
        attack(services, run, stream_id(services, mentorship))
    assert all(v.ok for v in verify(recorder)), "verify alone misses the attack"
    found = check_extension(recorder, [before])
    assert len(found) == 1 and found[0].checkpoint == before
    assert found[0].first_leaf is not None
    if attack is edit_a_rating_and_relink:  # the edited event itself is named
        assert found[0].event is not None
        assert found[0].event[0] == UUID(mentorship).hex


def test_a_legitimate_append_passes(services: Services, world: World) -> None:
    mentorship = busy(world)
    before = checkpoint(services)
    world.app.record_review(mentorship, actor=world.mentee_actor, progress_rating=4)
    assert check_extension(services.app.recorder, [before]) == []  # type: ignore[arg-type]


def test_erasure_leaves_every_leaf_root_and_proof_unchanged(
    services: Services, world: World
) -> None:
    mentorship = busy(world)
    world.app.set_goal(
        mentorship,
        actor=world.mentee_actor,
        title="A private aim",
        framework="plain",
        private=True,
    )
    before = checkpoint(services)
    recorder: Any = services.app.recorder
    log = Transparency(recorder)
    proofs = {
        e.originator_version: log.inclusion(
            UUID(mentorship), e.originator_version, before.size
        )
        for e in recorder.select_events(UUID(mentorship))
    }
    leaves = list(recomputed_leaves(recorder))
    world.app.erase_person(world.mentee, actor=SYSTEM)
    assert list(recomputed_leaves(recorder))[: len(leaves)] == leaves
    assert log.root(before.size) == (before.size, before.root)
    assert check_extension(recorder, [before]) == []
    for version, proof in proofs.items():
        assert log.inclusion(UUID(mentorship), version, before.size) == proof
