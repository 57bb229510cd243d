"""Bearer credentials: issued once, stored hashed, revocable, recorded as events."""

from __future__ import annotations

import pytest
from mentorlog.core.access import token_hash
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import InvalidInput, NotFound, Unauthenticated

from mentorlog.services import Services
from tests.backends import cli_args, stored_bytes
from tests.conftest import SYSTEM, World


def test_token_names_its_person_role_and_program(app: Mentoring, world: World) -> None:
    token, recorded = app.issue_token(
        actor=SYSTEM, person_id=world.admin, role="admin", program_id=world.program
    )
    principal = app.authenticate(token)
    assert (principal.person_id, principal.role) == (world.admin, "admin")
    assert principal.administers(world.program)
    assert principal.credential_id == recorded.id
    assert principal.actor == f"person:{world.admin}"


def test_only_the_hash_is_stored(services: Services, world: World) -> None:
    token, _ = services.app.issue_token(
        actor=SYSTEM, person_id=world.mentee, role="participant"
    )
    stored = stored_bytes(services)
    assert token.encode() not in stored
    assert token_hash(token).encode() in stored


def test_revoked_and_unknown_tokens_authenticate_nobody(
    app: Mentoring, world: World
) -> None:
    token, recorded = app.issue_token(
        actor=SYSTEM, person_id=world.mentor, role="auditor"
    )
    app.revoke_token(recorded.id, actor=SYSTEM, reason="left the company")
    with pytest.raises(Unauthenticated, match="revoked"):
        app.authenticate(token)
    with pytest.raises(Unauthenticated, match="unknown"):
        app.authenticate("mlg_not-a-real-token")


def test_bad_grants_are_refused_and_record_nothing(
    app: Mentoring, world: World
) -> None:
    head = app.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as bad_role:
        app.issue_token(actor=SYSTEM, person_id=world.mentee, role="owner")
    assert bad_role.value.field == "role"
    with pytest.raises(InvalidInput) as not_admin:
        app.issue_token(
            actor=SYSTEM, person_id=world.mentee, role="admin", program_id=world.program
        )
    assert not_admin.value.field == "personId"
    with pytest.raises(InvalidInput):
        app.issue_token(actor=SYSTEM, person_id=world.admin, role="admin")
    with pytest.raises(NotFound):
        app.issue_token(actor=SYSTEM, person_id="nobody", role="participant")
    assert app.recorder.max_notification_id() == head


def test_cli_creates_and_revokes_tokens(services: Services, world: World) -> None:
    from click.testing import CliRunner

    from mentorlog.cli import main

    where = cli_args(services)
    services.close()
    runner = CliRunner()
    created = runner.invoke(
        main,
        [
            "token",
            "create",
            *where,
            "--person",
            world.mentee,
            "--role",
            "participant",
        ],
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("mlg_")
    credential = created.stderr.split()[1]
    refused = runner.invoke(
        main,
        [
            "token",
            "create",
            *where,
            "--person",
            world.mentee,
            "--role",
            "admin",
            "--program",
            world.program,
        ],
    )
    assert refused.exit_code == 1 and "not an admin" in refused.output
    revoked = runner.invoke(main, ["token", "revoke", *where, credential])
    assert revoked.exit_code == 0
    again = runner.invoke(main, ["token", "revoke", *where, credential])
    assert again.exit_code == 1 and "already revoked" in again.output
