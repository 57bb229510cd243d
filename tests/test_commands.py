"""Commands are declared once: the policy names only commands, and every command."""

from __future__ import annotations

import inspect

from mentorlog.core import policy
from mentorlog.core.application import Mentoring
from mentorlog.core.commands.base import COMMANDS

POLICY_NAMES = (
    policy.PARTICIPANT_COMMANDS | policy.ADMIN_COMMANDS | policy.ADMIN_ANYWHERE_COMMANDS
)


def test_every_name_in_the_policy_is_a_command() -> None:
    assert sorted(POLICY_NAMES - set(COMMANDS)) == []


def test_every_command_has_an_access_rule() -> None:
    assert sorted(set(COMMANDS) - POLICY_NAMES) == []


def test_every_command_is_a_method_of_the_service_with_its_declared_signature() -> None:
    for name, signature in COMMANDS.items():
        # erase_person destroys the key, then runs _erase_person, the recorded part.
        method = getattr(Mentoring, f"_{name}", None) or getattr(Mentoring, name)
        assert inspect.signature(method) == signature, name
        assert "actor" in signature.parameters, name


def test_commands_that_record_take_an_idempotency_key() -> None:
    without = {
        name for name, s in COMMANDS.items() if "idempotency_key" not in s.parameters
    }
    # A token is shown once: a retry cannot return it again, so it takes no key.
    assert without == {"issue_token"}
