"""Access and erasure: `token create` / `token revoke`, `erase-person`."""

from __future__ import annotations

import click

from mentorlog.cli.common import CLI_ACTOR, NodeID, data_option, opened


@click.group()
def token() -> None:
    """Issue and revoke bearer tokens."""


@token.command("create")
@data_option
@click.option(
    "--person",
    "person_id",
    required=True,
    type=NodeID("Person"),
    help="The person's ID (a UUID or the API's global ID).",
)
@click.option(
    "--role", required=True, type=click.Choice(["participant", "admin", "auditor"])
)
@click.option(
    "--program",
    "program_id",
    type=NodeID("Program"),
    help="The program (required for admin; a UUID or the API's global ID).",
)
def token_create(
    data_dir: str | None,
    database_url: str | None,
    person_id: str,
    role: str,
    program_id: str | None,
) -> None:
    """Print a new token once; only its hash is stored."""
    with opened(data_dir, database_url, create=False) as services:
        secret, recorded = services.app.issue_token(
            actor=CLI_ACTOR, person_id=person_id, role=role, program_id=program_id
        )
    click.echo(secret)
    click.echo(
        f"credential {recorded.id} (keep the token: it is not shown again)", err=True
    )


@token.command("revoke")
@data_option
@click.argument("credential_id")
@click.option("--reason", default="", help="Why the token is revoked.")
def token_revoke(
    data_dir: str | None, database_url: str | None, credential_id: str, reason: str
) -> None:
    """Revoke a token by its credential ID."""
    with opened(data_dir, database_url, create=False) as services:
        services.app.revoke_token(credential_id, actor=CLI_ACTOR, reason=reason)
    click.echo(f"revoked {credential_id}")


@click.command("erase-person")
@data_option
@click.argument("person_id", type=NodeID("Person"))
@click.option("--reason", default="", help="Why the data is erased (recorded).")
def erase_personal_data(
    data_dir: str | None, database_url: str | None, person_id: str, reason: str
) -> None:
    """Erase a person's personal data by destroying their key; history stays.

    PERSON_ID is a UUID or the API's global ID of the person.
    """
    with opened(data_dir, database_url, create=False) as services:
        services.app.erase_person(person_id, actor=CLI_ACTOR, reason=reason)
        services.runner.catch_up()
    click.echo(f"erased {person_id}: their key is destroyed")
