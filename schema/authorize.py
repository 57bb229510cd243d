"""Authorization of mutations: may this principal run this command on that object?

Each check loads the object the command is about from the event store (the
authority, never behind) and asks core/policy.py. A refusal is the very NotFound
the command would raise for an unknown ID (same code, field and message shape), so
a refusal does not tell that the object exists. Commands about no object yet
(createProgram, registerPerson) are refused with FORBIDDEN instead.

The checks run in the command's worker thread, just before the command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from mentorlog.core.access import Credential, Principal
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.errors import Forbidden, NotFound
from mentorlog.core.inputs import excerpt
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.policy import (
    may_command,
    may_command_goal,
    may_read_private,
    may_revoke_token,
)
from mentorlog.schema import ids

Command = Callable[[Mentoring, Principal], Recorded]


def _uuid(node_id: str, field: str) -> UUID:
    try:
        return UUID(node_id)
    except ValueError:
        raise NotFound(f"'{excerpt(node_id)}' is not a valid ID", field) from None


def mentorship(
    app: Mentoring, principal: Principal, command: str, mentorship_id: str
) -> Mentorship:
    """The mentorship, if the principal may run the command on it; else NotFound."""
    found = app.get_mentorship(mentorship_id)
    if not may_command(principal, command, found.program_id, found.person_ids()):
        raise NotFound(f"no mentorship with ID {found.id}", "mentorshipId")
    return found


def goal(
    app: Mentoring,
    principal: Principal,
    command: str,
    mentorship_id: str,
    goal_id: str,
) -> None:
    """Check a command on a goal: its mentorship, and a private goal's owner."""
    found = mentorship(app, principal, command, mentorship_id)
    target = found.goal(goal_id)
    owner = target["owner_id"]
    if target["private"] and not may_read_private(
        principal, owner, target["shared_with"]
    ):
        raise NotFound(f"no goal {goal_id} in this mentorship", "goalId")
    if not may_command_goal(principal, target["private"], owner):
        raise Forbidden(
            "only its owner changes a private goal; it is shared with you to read",
            "goalId",
        )


def note(
    app: Mentoring,
    principal: Principal,
    command: str,
    mentorship_id: str,
    note_id: str,
) -> None:
    """Check a command on a note: its mentorship, and who may read a private one."""
    found = mentorship(app, principal, command, mentorship_id)
    target = found.note(note_id)
    if target["private"] and not may_read_private(
        principal, target["author_id"], target["shared_with"]
    ):
        raise NotFound(f"no note {note_id} in this mentorship", "noteId")


def program(
    app: Mentoring, principal: Principal, command: str, program_id: str
) -> None:
    """Check a command on a program: the principal must be one of its admins."""
    found = app.get_program(program_id)
    if not may_command(principal, command, str(found.id)):
        raise NotFound(f"no program with ID {found.id}", "programId")


def anywhere(principal: Principal, command: str, what: str) -> None:
    """Check a command about no object yet (e.g. a new program)."""
    if not may_command(principal, command):
        raise Forbidden(f"your token may not {what}")


def credential(app: Mentoring, principal: Principal, credential_id: str) -> None:
    """Check revoking a token: one's own, or one of a program one administers."""
    uid = _uuid(credential_id, "credentialId")
    grant: Any
    try:
        grant = app.repository.get(uid)
    except AggregateNotFoundError:
        grant = None
    if not isinstance(grant, Credential) or not may_revoke_token(
        principal, str(grant.id), grant.program_id
    ):
        raise NotFound(f"no credential with ID {uid}", "credentialId")


# -- commands that decode their target and check it first -------------------------


def on_mentorship(
    command: str, value: str, run: Callable[[Mentoring, str, str], Recorded]
) -> Command:
    """A command on a mentorship (by global ID): run(app, mentorship_id, actor)."""

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        mentorship_id = ids.decode(value, "Mentorship", "mentorshipId")
        mentorship(app, principal, command, mentorship_id)
        return run(app, mentorship_id, principal.actor)

    return checked


def on_goal(
    command: str, value: str, run: Callable[[Mentoring, str, str, str], Recorded]
) -> Command:
    """A command on a goal (by global ID): run(app, mentorship_id, goal_id, actor)."""

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        mentorship_id, goal_id = ids.decode_scoped(value, "Goal", "goalId")
        goal(app, principal, command, mentorship_id, goal_id)
        return run(app, mentorship_id, goal_id, principal.actor)

    return checked


def on_note(
    command: str, value: str, run: Callable[[Mentoring, str, str, str], Recorded]
) -> Command:
    """A command on a note (by global ID): run(app, mentorship_id, note_id, actor)."""

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        mentorship_id, note_id = ids.decode_scoped(value, "Note", "noteId")
        note(app, principal, command, mentorship_id, note_id)
        return run(app, mentorship_id, note_id, principal.actor)

    return checked


def on_scoped(
    command: str,
    value: str,
    type_name: str,
    field: str,
    run: Callable[[Mentoring, str, str, str], Recorded],
) -> Command:
    """A command on a milestone or meeting: run(app, mentorship_id, own_id, actor)."""

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        mentorship_id, own_id = ids.decode_scoped(value, type_name, field)
        mentorship(app, principal, command, mentorship_id)
        return run(app, mentorship_id, own_id, principal.actor)

    return checked


def on_program(
    command: str, value: str, run: Callable[[Mentoring, str, str], Recorded]
) -> Command:
    """A command on a program (by global ID): run(app, program_id, actor)."""

    def checked(app: Mentoring, principal: Principal) -> Recorded:
        program_id = ids.decode(value, "Program", "programId")
        program(app, principal, command, program_id)
        return run(app, program_id, principal.actor)

    return checked
