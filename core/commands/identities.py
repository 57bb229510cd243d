"""Identity commands: link people to their provider's identities, grant them roles;
authenticate a provider's verified token."""

from __future__ import annotations

from datetime import timedelta

from mentorlog.core import clock
from mentorlog.core.access import (
    ROLES,
    Credential,
    Principal,
    new_token,
    person_actor,
    token_hash,
)
from mentorlog.core.commands.base import Recorded, command, reconnecting
from mentorlog.core.commands.tokens import TokenCommands
from mentorlog.core.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    TokenRefused,
)
from mentorlog.core.identity import (
    INVITATION_DAYS,
    Identity,
    Invitation,
    email_hash,
    grant_id,
    identity_id,
    invitation_id,
)
from mentorlog.core.inputs import check_choice, check_email, check_text
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
            superseded = self._superseded_codes(person, actor, issuer)
            try:
                return self._commit(str(identity.id), identity, *superseded)
            finally:  # this process refuses the superseded tokens at once
                self.principals.forget({str(c.id) for c in superseded}, set())

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

    @command
    def invite_person(
        self,
        *,
        actor: str,
        person_id: str,
        role: str,
        program_id: str,
        email: str | None = None,
    ) -> tuple[str | None, Recorded]:
        """Invite a person to a role in a program: by their recorded email (they
        redeem it by signing in with it, verified), or by a one-time code returned
        once (only its hash is kept) for a person who takes part in nothing yet."""
        self._raise_problems(
            check_choice("role", role, ("participant", "admin"))
            + (check_email(email) if email is not None else [])
        )
        person = self._load(Person, person_id, "personId")
        if person.erased:
            raise InvalidInput([Problem("personId", "the person is erased")])
        program = self._grant_program(person, role, program_id)
        assert program is not None
        expires = (clock.now() + timedelta(days=INVITATION_DAYS)).isoformat()
        code: str | None = None
        if email is not None:
            recorded = self.sealer.open(person.email)
            if not isinstance(recorded, str) or email_hash(recorded) != email_hash(
                email
            ):
                raise InvalidInput(
                    [Problem("email", f"it is not the email of {self.name_of(person)}")]
                )
            try:
                invitation = self._load(Invitation, invitation_id(email=email), "email")
            except NotFound:
                invitation = Invitation(
                    actor=actor,
                    person_id=str(person.id),
                    role=role,
                    program_id=program,
                    code_hash=None,
                    email_hash=email_hash(email),
                    expires_at=expires,
                )
            else:  # one stream per email: its invitations one after another
                try:
                    invitation.reissue(
                        actor=actor,
                        now=clock.now(),
                        person_id=str(person.id),
                        role=role,
                        program_id=program,
                        expires_at=expires,
                    )
                except InvalidTransition as refused:
                    raise InvalidInput([Problem("email", refused.message)]) from None
        else:
            if person.mentorships or person.grants or person.code_credentials:
                # Whoever holds the code would act as them: they sign in instead.
                raise InvalidInput(
                    [
                        Problem(
                            "personId",
                            f"{self.name_of(person)} takes part already: invite "
                            "them by email, to redeem by signing in",
                        )
                    ]
                )
            code = "mlgi_" + new_token().removeprefix("mlg_")
            invitation = Invitation(
                actor=actor,
                person_id=str(person.id),
                role=role,
                program_id=program,
                code_hash=token_hash(code),
                email_hash=None,
                expires_at=expires,
            )
        try:
            return code, self._commit(str(invitation.id), invitation)
        finally:  # signed in already, they redeem it at their next sign-in here
            self.principals.forget(set(), {str(person.id)})

    @command
    def withdraw_invitation(
        self,
        *,
        actor: str,
        invitation_id: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Withdraw an invitation not redeemed yet: nobody redeems it then."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))

        def attempt() -> Recorded:
            found = self._load(Invitation, invitation_id, "invitationId")
            try:
                found.withdraw(actor=actor, reason=reason)
            except InvalidTransition as refused:
                raise InvalidInput([Problem("invitationId", refused.message)]) from None
            return self._commit(str(found.id), found)

        return self._retrying(attempt)

    def get_invitation(self, invitation: str) -> Invitation:
        """The invitation, for the API's checks."""
        return self._load(Invitation, invitation, "invitationId")

    @command
    def redeem_invitation(self, *, actor: str, code: str) -> tuple[str, Recorded]:
        """Redeem an invitation's one-time code: a bearer token for the invited
        person, in the invited role, returned once. `actor` is the way it came
        (the redemption endpoint); the events are the person's."""
        self._raise_problems(check_text("code", code, max_len=200))
        key = invitation_id(code_hash=token_hash(code.strip()))
        token = new_token()

        def attempt() -> Recorded:
            try:
                invitation = self._load(Invitation, key, "code")
            except NotFound:
                raise InvalidInput([Problem("code", "the code is unknown")]) from None
            invited = person_actor(invitation.person_id)
            person = self._load(Person, invitation.person_id, "code")
            if person.erased:
                raise InvalidInput([Problem("code", "the invited person is erased")])
            credential = Credential(
                actor=invited,
                token_hash=token_hash(token),
                person_id=invitation.person_id,
                role=invitation.role,
                program_id=invitation.program_id,
            )
            try:
                invitation.redeem(
                    actor=invited,
                    now=clock.now(),
                    credential=str(credential.id),
                    via=actor,
                )
            except InvalidTransition as refused:
                raise InvalidInput([Problem("code", refused.message)]) from None
            # Kept on the person: their first sign-in with an identity revokes it.
            person.redeem_code(
                actor=invited,
                invitation_id=str(invitation.id),
                credential_id=str(credential.id),
            )
            return self._commit(str(credential.id), credential, invitation, person)

        return token, self._retrying(attempt)

    def _superseded_codes(
        self, person: Person, actor: str, by: str
    ) -> list[Credential]:
        """The person's code-yielded tokens still in force, revoked: once they sign
        in with an identity, whoever else redeemed or kept their code holds nothing."""
        revoked = []
        for credential in person.code_credentials:
            kept = self._load(Credential, credential, "personId")
            if not kept.revoked:
                kept.revoke(actor=actor, reason=f"superseded by signing in with {by}")
                revoked.append(kept)
        return revoked

    def authenticate_identity(
        self,
        issuer: str,
        subject: str,
        grant: str | None = None,
        verified_email: str | None = None,
    ) -> Principal:
        """The principal a verified token's identity acts as: its person in one of
        their grants (`grant`, or their only one), or raise TokenRefused. A
        verified email with an open invitation redeems it: the identity linked to
        the invited person (if it is not yet), who is granted the invited role."""
        key = f"{identity_id(issuer, subject)}/{grant or ''}"
        kept, generation = reconnecting(
            lambda: self.principals.get(key), "authenticating", self.lost
        )
        if kept is not None:
            return kept
        if verified_email is not None:
            self._redeem_by_sign_in(issuer, subject, verified_email)
        principal = self._identity_principal(issuer, subject, grant)
        self.principals.put(principal, generation, key)
        return principal

    def _redeem_by_sign_in(self, issuer: str, subject: str, email: str) -> None:
        """Redeem the open invitation of the verified email, if any: link a new
        identity by it, or grant the role to the person the identity is linked to."""
        try:
            invitation = self._load(Invitation, invitation_id(email=email), "token")
        except NotFound:
            return
        if not invitation.is_open(clock.now()):
            return
        invited = person_actor(invitation.person_id)
        person = self._load(Person, invitation.person_id, "token")
        if person.erased:
            return
        made: list[Identity] = []
        try:
            identity = self._load(Identity, identity_id(issuer, subject), "token")
        except NotFound:
            identity = Identity(
                actor=invited,
                issuer=issuer,
                subject=subject,
                person_id=invitation.person_id,
                via=f"invitation:{invitation.id}",
            )
            made.append(identity)
        else:  # linked already: to the invited person, the invitation adds a grant
            if not identity.linked or identity.person_id != invitation.person_id:
                return  # invitations do not relink
        try:
            invitation.redeem(
                actor=invited, now=clock.now(), credential=str(identity.id), via=issuer
            )
        except InvalidTransition:
            return  # expired: the sign-in is refused as not linked
        grant = grant_id(invitation.person_id, invitation.role, invitation.program_id)
        if grant not in person.grants:
            person.grant(
                actor=invited,
                grant_id=grant,
                role=invitation.role,
                program_id=invitation.program_id,
            )
        superseded = self._superseded_codes(person, invited, issuer) if made else []
        try:
            self._commit(str(identity.id), *made, person, invitation, *superseded)
        finally:  # this process refuses the superseded tokens at once
            self.principals.forget({str(c.id) for c in superseded}, set())

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
