"""Who may read and change what: one place for the rules of access.

Reads: auditors read everything; a program admin reads their program and its
mentorships, and every person: people belong to the organisation, not to a
program (a person is registered in no program and joins programs by taking part
in their mentorships), so an admin finds and proposes anyone; a participant reads
the mentorships they take part in (within their token's program, if it names
one), those mentorships' programs, and the people they meet there (partners, and
the programs' admins), and no one else: to them another program's person is an
unknown ID.

A program's intake: its admins (and auditors) list every application with its
answers and status; a participant reads their own application, and, while enrolled
in the program, its enrolled mentors' public profiles and answers, never another
mentee's; suggestions are for the person themselves or the program's admins.

Private content (a private goal's title, fields and notes; a private note's text)
is for its owner, and for the partners the owner shares it with, each acting
through a participant token.

`ReadScope` states the read rules as data, so the read models can apply them in
SQL (projections/queries.py) and the predicates below apply them in Python.

Writes: auditors never write; admins run ADMIN_COMMANDS in their program (and
ADMIN_ANYWHERE_COMMANDS, which are not about one program); participants run
PARTICIPANT_COMMANDS on mentorships they may read, and SELF_COMMANDS on their own
part of a program's intake (their application, their request, a request to them);
any token but an auditor's runs OWN_COMMANDS on itself (revoking it, issuing
another for its own person, its person's calendar feed); GOAL_COMMANDS on a
private goal are for its owner (partners it is shared with read it, and cannot
change it). An admin erases the people of their program (its participants and
admins), never their own person nor a program's last admin
(core/commands/people.py). `commands_of` and `who_may` say the same to clients
(Viewer.allowedMutations, the mutations' descriptions).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from mentorlog.core.access import Principal

# Commands a participant may run on a mentorship they take part in.
PARTICIPANT_COMMANDS = frozenset(
    {
        "record_agreement",
        "sign_agreement",
        "set_goal",
        "revise_goal",
        "record_goal_progress",
        "achieve_goal",
        "abandon_goal",
        "share_goal",
        "write_note",
        "revise_note",
        "share_note",
        "reach_milestone",
        "celebrate_milestone",
        "schedule_meeting",
        "reschedule_meeting",
        "hold_meeting",
        "cancel_meeting",
        "record_review",
        "give_feedback",
        "pause_mentorship",
        "resume_mentorship",
        "complete_mentorship",
        "end_mentorship",
        "withdraw_proposal",
        "decline_proposal",
    }
)
# Commands a participant runs on their own part of a program's intake: applying
# and withdrawing (the applicant), requesting (the mentee), answering (the mentor).
SELF_COMMANDS = frozenset(
    {
        "apply_to_program",
        "withdraw_application",
        "request_mentor",
        "accept_request",
        "decline_request",
    }
)
# Commands a program admin may run within their program.
ADMIN_COMMANDS = frozenset(
    {
        "add_starter_goal",
        "set_connection_plan",
        "add_program_admin",
        "propose_mentorship",
        "start_mentorship",
        "pause_mentorship",
        "resume_mentorship",
        "complete_mentorship",
        "end_mentorship",
        "withdraw_proposal",
        "configure_intake",
        "apply_to_program",
        "approve_application",
        "decline_application",
        "withdraw_application",
        "apply_bulk_match",
        "revise_goal",
        "abandon_goal",
        "give_feedback",
        "erase_person",
        "revoke_token",
        "invite_person",
        "withdraw_invitation",
        "register_webhook",
        "disable_webhook",
        "enable_webhook",
        "delete_webhook",
        "redeliver_webhook",
        "set_nudge_rules",
    }
)
# Commands any admin may run: they are about no program yet (a new program, or a
# person who joins programs later). The creator of a program becomes its admin.
ADMIN_ANYWHERE_COMMANDS = frozenset({"create_program", "register_person"})
# Commands no token runs: the operator runs them through the CLI (mentorlog
# identity ...), so nobody with API access links an identity they hold to someone
# else, or grants themselves a role.
OPERATOR_COMMANDS = frozenset(
    {"link_identity", "unlink_identity", "grant_role", "revoke_grant"}
)
# Commands no token runs: whoever holds an invitation's one-time code redeems it
# (POST /invitations/redeem), once.
CODE_COMMANDS = frozenset({"redeem_invitation"})
# Commands no token runs: the nudge worker runs them (mentorlog/nudges.py, in the
# served app or `mentorlog nudges run`) as `system:nudges`.
WORKER_COMMANDS = frozenset(
    {"send_nudge", "retry_nudge", "record_nudge_delivered", "record_nudge_failed"}
)
# Commands any token but an auditor's runs on what is its own: itself, or its
# person. issue_token issues only for the token's own person: nobody mints a
# credential for someone else (the operator's CLI does, for service accounts); a
# calendar feed is the token's person's own (core/commands/calendars.py).
PERSON_COMMANDS = frozenset(
    {"issue_token", "create_calendar_feed", "revoke_calendar_feed"}
)
OWN_COMMANDS = PERSON_COMMANDS | {"revoke_token"}
# Commands on a goal: on a private goal, only its owner runs them (may_command_goal).
GOAL_COMMANDS = frozenset(
    {
        "revise_goal",
        "record_goal_progress",
        "achieve_goal",
        "abandon_goal",
        "share_goal",
    }
)


@dataclass(frozen=True)
class ReadScope:
    """What a principal may read, as data: everything, a program, own mentorships.

    A mentorship is readable when `everything` is set, or when it is in
    `program_id` (if set) and, with `own_only`, the viewer takes part in it; a
    scope that sets neither reads no mentorship. People are readable with
    `everything` or `all_people`, else the viewer and those related to what the
    scope reads (see `may_read_person`).
    """

    viewer_id: str
    everything: bool = False
    program_id: str | None = None
    own_only: bool = False
    all_people: bool = False

    def allows_mentorship(
        self, program_id: str, participant_ids: Collection[str]
    ) -> bool:
        """True when a mentorship of that program with those people is readable."""
        if self.everything:
            return True
        if self.program_id is None and not self.own_only:
            return False
        if self.program_id is not None and program_id != self.program_id:
            return False
        return not self.own_only or self.viewer_id in participant_ids


def read_scope(principal: Principal) -> ReadScope:
    """The read rules for a principal (see the module docstring)."""
    if principal.is_auditor:
        return ReadScope(principal.person_id, everything=True)
    if principal.role == "admin":
        return ReadScope(
            principal.person_id, program_id=principal.program_id, all_people=True
        )
    return ReadScope(
        principal.person_id, program_id=principal.program_id, own_only=True
    )


def may_command(
    principal: Principal,
    command: str,
    program_id: str | None = None,
    participant_ids: Collection[str] = (),
) -> bool:
    """True when the principal may run the command on that program or mentorship."""
    if principal.is_auditor:
        return False
    if principal.role == "admin":
        if command in ADMIN_ANYWHERE_COMMANDS:
            return True
        return (
            command in ADMIN_COMMANDS
            and program_id is not None
            and principal.administers(program_id)
        )
    return (
        command in PARTICIPANT_COMMANDS | SELF_COMMANDS
        and program_id is not None
        and read_scope(principal).allows_mentorship(program_id, participant_ids)
    )


def commands_of(principal: Principal) -> frozenset[str]:
    """The commands a principal may run somewhere, each on what its role reaches."""
    if principal.is_auditor:
        return frozenset()
    if principal.role == "admin":  # an admin token always names its program
        return ADMIN_ANYWHERE_COMMANDS | ADMIN_COMMANDS | OWN_COMMANDS
    return PARTICIPANT_COMMANDS | SELF_COMMANDS | OWN_COMMANDS


def roles_of(command: str) -> tuple[str, ...]:
    """The roles whose tokens may run a command somewhere; never an auditor's."""
    admin = command in ADMIN_COMMANDS | ADMIN_ANYWHERE_COMMANDS | OWN_COMMANDS
    participant = command in PARTICIPANT_COMMANDS | SELF_COMMANDS | OWN_COMMANDS
    return ("admin",) * admin + ("participant",) * participant


def who_may(command: str) -> str:
    """Which tokens may run a command, in words, from the tables above (for docs)."""
    who = []
    if command in ADMIN_ANYWHERE_COMMANDS:
        who.append("an admin token, bound to any program or none")
    if command in ADMIN_COMMANDS:
        who.append("an admin token bound to the program it concerns")
    if command in PARTICIPANT_COMMANDS:
        who.append("the participant token of someone who takes part in the mentorship")
    if command in SELF_COMMANDS:
        who.append(
            "the participant token of the person it concerns (the applicant, the "
            "requesting mentee, the requested mentor)"
        )
    if command in PERSON_COMMANDS:
        who.append("an admin token or a participant token, for its own person only")
    elif command in OWN_COMMANDS:
        who.append("any admin or participant token, on itself")
    if command in GOAL_COMMANDS:
        who[-1] += "; on a private goal, only its owner's participant token"
    return f"{', or '.join(who)}."


def may_command_goal(principal: Principal, private: bool, owner_id: str | None) -> bool:
    """True when the principal may change a goal they may otherwise command on."""
    return not private or may_read_private(principal, owner_id)


def may_read_mentorship(
    principal: Principal, program_id: str, participant_ids: Collection[str]
) -> bool:
    """True when the principal may see a mentorship at all."""
    return read_scope(principal).allows_mentorship(program_id, participant_ids)


def may_read_private(
    principal: Principal, owner_id: str | None, shared_with: Collection[str] = ()
) -> bool:
    """Private content is for its owner, and for those the owner shares it with,
    acting as participants: an admin or auditor token never reads it."""
    return (
        owner_id is not None
        and principal.role == "participant"
        and (principal.person_id == owner_id or principal.person_id in shared_with)
    )


def may_read_program(principal: Principal, program_id: str, joined: bool) -> bool:
    """Admins see their program, auditors all, participants those they take part in.

    `joined`: the principal takes part in a mentorship of the program that they may
    read (so a participant token bound to one program sees only that program).
    """
    if principal.is_auditor:
        return True
    if principal.role == "admin":
        return principal.administers(program_id)
    return joined and principal.program_id in (None, program_id)


def may_read_person(principal: Principal, person_id: str, related: bool) -> bool:
    """Auditors and admins read everyone; others themselves and those related.

    `related`: the person takes part in a mentorship the principal may read, or
    administers a program the principal may read.
    """
    return (
        principal.is_auditor
        or principal.role == "admin"
        or principal.person_id == person_id
        or related
    )


def program_people(principal: Principal) -> ReadScope:
    """The people of the principal's program: its participants and its admins.

    An admin reads every person, but changes only those of their program (erases
    them): this scope, applied to people, keeps those the admin's mentorships and
    program relate to.
    """
    return replace(read_scope(principal), all_people=False)


def may_read_metrics(principal: Principal, program_id: str) -> bool:
    """A program's metrics, trends and exports: its admins and auditors."""
    return principal.is_auditor or principal.administers(program_id)


def may_manage_webhooks(principal: Principal, program_id: str) -> bool:
    """A program's webhook endpoints and their deliveries: its admins only."""
    return may_command(principal, "register_webhook", program_id)


def may_verify(principal: Principal) -> bool:
    """Only auditors verify the hash chains."""
    return principal.is_auditor


def may_issue_token(
    principal: Principal, person_id: str, role: str, program_id: str | None
) -> bool:
    """A token issues tokens for its own person only (OWN_COMMANDS): a participant
    token no wider than its own, and (from an admin token) an admin token for a
    program the person administers, which the command checks; never an
    auditor's, never for another person."""
    if principal.is_auditor or person_id != principal.person_id:
        return False
    if role == "participant":
        return principal.role == "admin" or principal.program_id in (None, program_id)
    return role == "admin" and principal.role == "admin" and program_id is not None


def may_create_calendar_feed(principal: Principal, program_id: str | None) -> bool:
    """A token creates its own person's calendar feed no wider than itself, as it
    issues tokens (may_issue_token): a participant token bound to a program, of
    that program's mentorships only; never an auditor's."""
    if principal.is_auditor:
        return False
    return principal.role == "admin" or principal.program_id in (None, program_id)


def may_revoke_calendar_feed(principal: Principal) -> bool:
    """Any token but an auditor's revokes its own person's calendar feed."""
    return not principal.is_auditor


def may_revoke_token(
    principal: Principal, credential_id: str, program_id: str | None
) -> bool:
    """Anyone but an auditor revokes their own token; admins those of their program."""
    if principal.is_auditor:
        return False
    if credential_id == principal.credential_id:
        return True  # OWN_COMMANDS
    return program_id is not None and may_command(principal, "revoke_token", program_id)


def may_read_intake_people(principal: Principal, program_id: str) -> bool:
    """Admins list the people of their program's intake (auditors every program's)."""
    if principal.is_auditor:
        return True
    return principal.role == "admin" and principal.administers(program_id)


def may_read_invitations(principal: Principal, program_id: str) -> bool:
    """A program's invitations: its admins (auditors every program's)."""
    return may_read_intake_people(principal, program_id)


def may_read_application(
    principal: Principal,
    program_id: str,
    person_id: str,
    side: str,
    viewer_enrolled: bool,
) -> bool:
    """An application (with its answers): admins of the program, the applicant, and
    participants enrolled in the program for a mentor's; never another mentee's."""
    if may_read_intake_people(principal, program_id):
        return True
    if principal.role != "participant" or principal.program_id not in (
        None,
        program_id,
    ):
        return False
    return principal.person_id == person_id or (side == "mentor" and viewer_enrolled)


def may_match(principal: Principal, program_id: str, person_id: str) -> bool:
    """Suggestions for a person: for themselves, or for an admin of the program."""
    if principal.is_auditor:
        return False
    if principal.role == "admin":
        return principal.administers(program_id)
    return principal.person_id == person_id and principal.program_id in (
        None,
        program_id,
    )
