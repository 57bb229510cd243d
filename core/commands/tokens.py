"""Token commands: issue and revoke bearer tokens, authenticate them."""

from __future__ import annotations

from uuid import UUID

from mentorlog.core.access import (
    ROLES,
    Credential,
    Principal,
    credential_id,
    credential_key,
    new_token,
    token_hash,
)
from mentorlog.core.commands.base import Recorded, Service, command, reconnecting
from mentorlog.core.errors import (
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from mentorlog.core.inputs import (
    check_choice,
    check_text,
)
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem


class TokenCommands(Service):
    """Token commands: issue and revoke bearer tokens, authenticate them."""

    @command
    def issue_token(
        self, *, actor: str, person_id: str, role: str, program_id: str | None = None
    ) -> tuple[str, Recorded]:
        """Issue a bearer token; it is returned once, only its hash is stored."""
        self._raise_problems(check_choice("role", role, ROLES))
        person = self._load(Person, person_id, "personId")
        if role == "admin":
            if program_id is None:
                raise InvalidInput(
                    [Problem("programId", "an admin token names a program")]
                )
            program = self._load(Program, program_id, "programId")
            if str(person.id) not in program.admins:
                raise InvalidInput(
                    [
                        Problem(
                            "personId",
                            f"{self.name_of(person)} is not an admin "
                            f"of '{program.name}'",
                        )
                    ]
                )
            program_id = str(program.id)
        elif program_id is not None:
            program_id = str(self._load(Program, program_id, "programId").id)
        token = new_token()
        credential = Credential(
            actor=actor,
            token_hash=token_hash(token),
            person_id=str(person.id),
            role=role,
            program_id=program_id,
        )
        return token, self._commit(str(credential.id), credential)

    @command
    def revoke_token(
        self,
        credential: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Revoke a token by its credential ID."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))

        def attempt() -> Recorded:
            grant = self._load(Credential, credential, "credentialId")
            grant.revoke(actor=actor, reason=reason)
            return self._commit(str(grant.id), grant)

        try:
            return self._retrying(attempt)
        finally:  # this process refuses the token at once (if recorded)
            self.principals.forget({_uuid_text(credential)}, set())

    def authenticate(self, token: str) -> Principal:
        """Return the principal a bearer token names, or raise Unauthenticated."""
        return self.principal_of(credential_id(token))

    def kept_principal(self, token: str) -> Principal | None:
        """The token's principal if it is kept and current, reading nothing; else
        None (then `authenticate`, which may read the store)."""
        return self.principals.kept(credential_key(token))

    def principal_of(self, credential: str | UUID, fresh: bool = False) -> Principal:
        """The principal of a credential that still holds, or raise Unauthenticated.

        Kept principals are current to within `self.principals.refresh` seconds of
        the log (core/principals.py); `fresh` loads from the store regardless.
        """
        key = _uuid_text(credential)
        generation = None
        if not fresh:
            kept, generation = reconnecting(
                lambda: self.principals.get(key), "authenticating", self.lost
            )
            if kept is not None:
                return kept
        principal = self._load_principal(credential)
        if generation is not None:
            self.principals.put(principal, generation)
        return principal

    def _load_principal(self, credential: str | UUID) -> Principal:
        """The principal as the Credential and Person aggregates now stand."""
        try:
            grant = self._load(Credential, credential, "token")
        except NotFound:
            raise Unauthenticated("the token is unknown") from None
        if grant.revoked:
            raise Unauthenticated("the token has been revoked")
        try:
            person = self._load(Person, grant.person_id, "token")
        except NotFound:
            raise Unauthenticated("the token's person is unknown") from None
        if person.erased:
            raise Unauthenticated("the token's person has been erased")
        return Principal(str(grant.id), grant.person_id, grant.role, grant.program_id)


def _uuid_text(value: str | UUID) -> str:
    """A credential ID as kept (the UUID's text), whichever way it was given."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        return str(value)
