"""Access and erasure: `token create` / `token revoke`, `identity link` / `unlink` /
`grant` / `revoke`, `erase-person`."""

from __future__ import annotations

from collections.abc import Callable

import click

from mentorlog.cli.common import CLI_ACTOR, NodeID, data_option, opened


def role_options(command: Callable[..., None]) -> Callable[..., None]:
    """--person, --role and --program: whom a token or a grant is for, as what."""
    for option in reversed(
        (
            click.option(
                "--person",
                "person_id",
                required=True,
                type=NodeID("Person"),
                help="The person's ID (a UUID or the API's global ID).",
            ),
            click.option(
                "--role",
                required=True,
                type=click.Choice(["participant", "admin", "auditor"]),
            ),
            click.option(
                "--program",
                "program_id",
                type=NodeID("Program"),
                help="The program (required for admin; a UUID or the API's global ID).",
            ),
        )
    ):
        command = option(command)
    return command


@click.group()
def token() -> None:
    """Issue and revoke bearer tokens."""


@token.command("create")
@data_option
@role_options
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


@click.group()
def identity() -> None:
    """Link people to their identity provider's accounts; grant them roles."""


ISSUER = click.option(
    "--issuer",
    envvar="MENTORLOG_OIDC_ISSUER",
    required=True,
    help="The identity provider's issuer (default: MENTORLOG_OIDC_ISSUER).",
)


@identity.command("link")
@data_option
@ISSUER
@click.option("--subject", required=True, help="The account's `sub` at the issuer.")
@click.option(
    "--person",
    "person_id",
    required=True,
    type=NodeID("Person"),
    help="The person's ID (a UUID or the API's global ID).",
)
def identity_link(
    data_dir: str | None,
    database_url: str | None,
    issuer: str,
    subject: str,
    person_id: str,
) -> None:
    """Link an identity (issuer + subject) to a person."""
    with opened(data_dir, database_url, create=False) as services:
        recorded = services.app.link_identity(
            actor=CLI_ACTOR, issuer=issuer, subject=subject, person_id=person_id
        )
    click.echo(f"linked identity {recorded.id} to person {person_id}")


@identity.command("unlink")
@data_option
@ISSUER
@click.option("--subject", required=True, help="The account's `sub` at the issuer.")
@click.option("--reason", default="", help="Why, for the record.")
def identity_unlink(
    data_dir: str | None,
    database_url: str | None,
    issuer: str,
    subject: str,
    reason: str,
) -> None:
    """Unlink an identity: its tokens authenticate nobody from then on."""
    with opened(data_dir, database_url, create=False) as services:
        recorded = services.app.unlink_identity(
            actor=CLI_ACTOR, issuer=issuer, subject=subject, reason=reason
        )
    click.echo(f"unlinked identity {recorded.id}")


@identity.command("grant")
@data_option
@role_options
def identity_grant(
    data_dir: str | None,
    database_url: str | None,
    person_id: str,
    role: str,
    program_id: str | None,
) -> None:
    """Grant a person a role; print the grant's ID."""
    with opened(data_dir, database_url, create=False) as services:
        recorded = services.app.grant_role(
            actor=CLI_ACTOR, person_id=person_id, role=role, program_id=program_id
        )
    click.echo(recorded.id)


@identity.command("revoke")
@data_option
@click.option(
    "--person",
    "person_id",
    required=True,
    type=NodeID("Person"),
    help="The person's ID (a UUID or the API's global ID).",
)
@click.argument("grant")
@click.option("--reason", default="", help="Why, for the record.")
def identity_revoke(
    data_dir: str | None,
    database_url: str | None,
    person_id: str,
    grant: str,
    reason: str,
) -> None:
    """Revoke a person's grant by its ID."""
    with opened(data_dir, database_url, create=False) as services:
        services.app.revoke_grant(
            actor=CLI_ACTOR, person_id=person_id, grant=grant, reason=reason
        )
    click.echo(f"revoked grant {grant}")
