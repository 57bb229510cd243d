"""Commands are declared once: the policy names only commands, and every command."""

from __future__ import annotations

import inspect
from pathlib import Path

from graphql import GraphQLInputObjectType, build_schema, get_named_type
from mentorlog.core import policy
from mentorlog.core.application import Mentoring
from mentorlog.core.commands.base import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
# revoke_token's argument is `credential`, hashed into stored fingerprints as such;
# the API names it as it names every ID.
INPUT_NAMES = {"credential": "credentialId"}
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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_each_mutation_runs_the_command_of_its_name_with_its_arguments() -> None:
    """A mutation's input holds its command's arguments, in GraphQL's spelling.

    The actor is the token's person; a command on a goal, note, meeting or
    milestone takes the mentorship from that item's ID.
    """
    sdl = build_schema((ROOT / "schema" / "schema.graphql").read_text())
    assert sdl.mutation_type is not None
    mutations = sdl.mutation_type.fields
    assert sorted(_snake(name) for name in mutations) == sorted(COMMANDS)
    for name, field in mutations.items():
        signature = COMMANDS[_snake(name)]
        arguments = {INPUT_NAMES.get(p, _camel(p)) for p in signature.parameters} - {
            "self",
            "actor",
        }
        input_type = get_named_type(field.args["input"].type)
        assert isinstance(input_type, GraphQLInputObjectType), name
        fields = set(input_type.fields)
        assert fields <= arguments, (name, fields - arguments)
        assert arguments - fields <= {"mentorshipId"}, (name, arguments - fields)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
