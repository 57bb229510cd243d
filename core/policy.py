"""Who may read and change what: one place for the rules of access."""

from __future__ import annotations

from collections.abc import Collection

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
        "reach_milestone",
        "celebrate_milestone",
        "schedule_meeting",
        "hold_meeting",
        "cancel_meeting",
        "record_review",
        "give_feedback",
        "pause_mentorship",
        "resume_mentorship",
        "complete_mentorship",
        "end_mentorship",
    }
)
# Commands a program admin may run within their program.
ADMIN_COMMANDS = frozenset(
    {
        "add_starter_goal",
        "set_connection_plan",
        "add_program_admin",
        "register_person",
        "propose_mentorship",
        "start_mentorship",
        "pause_mentorship",
        "resume_mentorship",
        "complete_mentorship",
        "end_mentorship",
        "revise_goal",
        "abandon_goal",
        "give_feedback",
    }
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
        return (
            command in ADMIN_COMMANDS
            and program_id is not None
            and principal.administers(program_id)
        )
    return command in PARTICIPANT_COMMANDS and principal.person_id in participant_ids


def may_read_mentorship(
    principal: Principal, program_id: str, participant_ids: Collection[str]
) -> bool:
    """True when the principal may see a mentorship at all."""
    if principal.is_auditor:
        return True
    if principal.role == "admin":
        return principal.administers(program_id)
    return principal.person_id in participant_ids


def may_read_private(principal: Principal, owner_id: str | None) -> bool:
    """Private content (private goals, notes) is for its owner alone."""
    return owner_id is not None and principal.person_id == owner_id


def may_read_program(principal: Principal, program_id: str, joined: bool) -> bool:
    """Admins see their program, auditors all, participants those they take part in."""
    if principal.is_auditor:
        return True
    if principal.role == "admin":
        return principal.administers(program_id)
    return joined


def may_read_person(
    principal: Principal, person_id: str, shares_mentorship: bool, in_program: bool
) -> bool:
    """People see themselves and their partners; admins their program; auditors all."""
    if principal.is_auditor or principal.person_id == person_id:
        return True
    if principal.role == "admin":
        return in_program
    return shares_mentorship
