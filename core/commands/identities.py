"""Identity commands: link people to their provider's identities, grant them roles;
authenticate a provider's verified token."""

from __future__ import annotations

from mentorlog.core.access import ROLES, Principal
from mentorlog.core.commands.base import Recorded, command, reconnecting
from mentorlog.core.commands.tokens import TokenCommands
from mentorlog.core.errors import InvalidInput, NotFound, TokenRefused
from mentorlog.core.identity import Identity, grant_id, identity_id
from mentorlog.core.inputs import check_choice, check_text
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem


class IdentityCommands(TokenCommands):
    """Identity commands: link and unlink identities, grant and revoke roles
    (beside tokens': an identity's principal is rechecked as a token's is)."""

    @command
    def link_identity(
        self,
        *,
        actor: str,
        issuer: str,
        subject: str,
        person_id: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Link the identity (issuer + subject) to a person."""
        self._raise_problems(
            check_text("issuer", issuer, max_len=2000)
            + check_text("subject", subject, max_len=255)
        )
        return self._link(actor, issuer, subject, person_id, "operator")

    def _link(
        self, actor: str, issuer: str, subject: str, person_id: str, via: str
    ) -> Recorded:
        def attempt() -> Recorded:
            person = self._load(Person, person_id, "personId")
            if person.erased:
                raise InvalidInput([Problem("personId", "the person is erased")])
            try:
                identity = self._load(Identity, identity_id(issuer, subject), "subject")
            except NotFound:
                identity = Identity(
                    actor=actor,
                    issuer=issuer,
                    subject=subject,
                    person_id=str(person.id),
                    via=via,
                )
            else:
                identity.relink(actor=actor, person_id=str(person.id), via=via)
            return self._commit(str(identity.id), identity)

        return self._retrying(attempt)

    @command
    def unlink_identity(
        self,
        *,
        actor: str,
        issuer: str,
        subject: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Unlink an identity: its tokens authenticate nobody from then on."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        key = str(identity_id(issuer, subject))

        def attempt() -> Recorded:
            identity = self._load(Identity, key, "subject")
            identity.unlink(actor=actor, reason=reason)
            return self._commit(key, identity)

        try:
            return self._retrying(attempt)
        finally:  # this process refuses the identity at once (if recorded)
            self.principals.forget({key}, set())

    @command
    def grant_role(
        self,
        *,
        actor: str,
        person_id: str,
        role: str,
        program_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Grant a person a role, which their linked identities act in."""
        self._raise_problems(check_choice("role", role, ROLES))

        def attempt() -> Recorded:
            person = self._load(Person, person_id, "personId")
            program = self._grant_program(person, role, program_id)
            grant = grant_id(str(person.id), role, program)
            person.grant(actor=actor, grant_id=grant, role=role, program_id=program)
            return self._commit(grant, person)

        return self._retrying(attempt)

    def _grant_program(
        self, person: Person, role: str, program_id: str | None
    ) -> str | None:
        """The program a grant names, checked as issue_token checks a token's."""
        if role == "auditor":
            if program_id is not None:
                raise InvalidInput(
                    [Problem("programId", "an auditor's grant names no program")]
                )
            return None
        if program_id is None:
            if role == "admin":
                raise InvalidInput(
                    [Problem("programId", "an admin's grant names a program")]
                )
            return None  # a participant in every mentorship they take part in
        program = self._load(Program, program_id, "programId")
        if role == "admin" and str(person.id) not in program.admins:
            raise InvalidInput(
                [
                    Problem(
                        "personId",
                        f"{self.name_of(person)} is not an admin of '{program.name}'",
                    )
                ]
            )
        return str(program.id)

    @command
    def revoke_grant(
        self,
        *,
        actor: str,
        person_id: str,
        grant: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Revoke a person's grant: no identity acts in it from then on."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))

        def attempt() -> Recorded:
            person = self._load(Person, person_id, "personId")
            person.revoke_grant(actor=actor, grant_id=grant, reason=reason)
            return self._commit(grant, person)

        try:
            return self._retrying(attempt)
        finally:  # this process refuses the grant at once (if recorded)
            self.principals.forget({grant}, set())

    def authenticate_identity(
        self, issuer: str, subject: str, grant: str | None = None
    ) -> Principal:
        """The principal a verified token's identity acts as: its person in one of
        their grants (`grant`, or their only one), or raise TokenRefused."""
        key = f"{identity_id(issuer, subject)}/{grant or ''}"
        kept, generation = reconnecting(
            lambda: self.principals.get(key), "authenticating", self.lost
        )
        if kept is not None:
            return kept
        principal = self._identity_principal(issuer, subject, grant)
        self.principals.put(principal, generation, key)
        return principal

    def recheck(self, principal: Principal) -> Principal:
        """The principal as the store now stands (no kept entry), or raise
        Unauthenticated: a bearer token's, or an identity's in its grant."""
        if principal.identity_id is None:
            return self.principal_of(principal.credential_id, fresh=True)
        identity = self._load(Identity, principal.identity_id, "token")
        return self._identity_principal(
            identity.issuer, identity.subject, principal.credential_id
        )

    def _identity_principal(
        self, issuer: str, subject: str, grant: str | None
    ) -> Principal:
        """The principal as the Identity and Person aggregates now stand."""
        try:
            identity = self._load(Identity, identity_id(issuer, subject), "token")
        except NotFound:
            raise TokenRefused(
                "IDENTITY_NOT_LINKED",
                f"the identity {subject!r} of {issuer} is linked to no person",
            ) from None
        if not identity.linked:
            raise TokenRefused("IDENTITY_UNLINKED", "the identity has been unlinked")
        try:
            person = self._load(Person, identity.person_id, "token")
        except NotFound:
            raise TokenRefused(
                "IDENTITY_NOT_LINKED", "the identity's person is unknown"
            ) from None
        if person.erased:
            raise TokenRefused("PERSON_ERASED", "the identity's person has been erased")
        grants = person.grants
        if grant is None:
            if not grants:
                raise TokenRefused("NO_GRANT", "the person has been granted no role")
            if len(grants) > 1:
                listed = ", ".join(
                    f"{key} ({role}{' of ' + program if program else ''})"
                    for key, (role, program) in sorted(grants.items())
                )
                raise TokenRefused(
                    "GRANT_AMBIGUOUS",
                    f"the person has several grants: name one in the "
                    f"Mentorlog-Grant header ({listed})",
                )
            grant = next(iter(grants))
        if grant not in grants:
            raise TokenRefused("GRANT_UNKNOWN", "the person has no such grant")
        role, program_id = grants[grant]
        return Principal(
            credential_id=grant,
            person_id=identity.person_id,
            role=role,
            program_id=program_id,
            identity_id=str(identity.id),
        )
