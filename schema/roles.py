"""Who may run each mutation, from core/policy.py: descriptions and the viewer's list.

Every mutation's description ends with the sentence policy.who_may writes from the
policy's tables, so the SDL says which tokens may run it; Viewer.allowedMutations
lists the mutations a token may run, from policy.commands_of. A mutation is named
for its command (proposeMentorship runs propose_mentorship).
"""

from __future__ import annotations

from collections.abc import Iterable

from mentorlog.core.access import Principal
from mentorlog.core.policy import (
    CODE_COMMANDS,
    OPERATOR_COMMANDS,
    WORKER_COMMANDS,
    commands_of,
    who_may,
)
from strawberry.types.base import get_object_definition


def mutation_name(command: str) -> str:
    """The mutation that runs a command: its name in camelCase."""
    head, *rest = command.split("_")
    return head + "".join(part.title() for part in rest)


def described(command: str) -> str:
    """The sentence a mutation's description ends with: who may run it."""
    return f"Who may run it: {who_may(command)} Never an auditor token."


def describe_roles(mutation_type: type) -> None:
    """End each mutation's description with who may run it (once per field)."""
    for field in get_object_definition(mutation_type, strict=True).fields:
        sentence = described(field.python_name)
        if not (field.description or "").endswith(sentence):
            field.description = f"{field.description} {sentence}".lstrip()


def allowed_mutations(principal: Principal) -> list[str]:
    """The mutations the principal's token may run somewhere, by name, sorted."""
    return sorted(mutation_name(c) for c in commands_of(principal))


def roles_table(commands: Iterable[str]) -> str:
    """A Markdown table of the mutations and the tokens that may run them (the
    operator's and the nudge worker's commands have no mutation)."""
    rows = ["| mutation | who may run it |", "|---|---|"]
    unexposed = OPERATOR_COMMANDS | CODE_COMMANDS | WORKER_COMMANDS
    api = (c for c in commands if c not in unexposed)
    for command in sorted(api, key=mutation_name):
        rows.append(f"| `{mutation_name(command)}` | {who_may(command)} |")
    return "\n".join(rows)
