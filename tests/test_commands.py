"""Commands are declared once: the policy names only commands, and every command."""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import tokenize
from pathlib import Path

from eventsourcing.domain import Aggregate
from graphql import GraphQLInputObjectType, build_schema, get_named_type
from mentorlog.core import policy
from mentorlog.core.access import Credential
from mentorlog.core.application import Mentoring
from mentorlog.core.commands.base import COMMANDS
from mentorlog.core.identity import Identity
from mentorlog.core.intake import Intake
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.participation import Participation
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.core.webhooks import WebhookEndpoint

ROOT = Path(__file__).resolve().parent.parent
# revoke_token's argument is `credential`, hashed into stored fingerprints as such;
# the API names it as it names every ID.
INPUT_NAMES = {"credential": "credentialId"}
POLICY_NAMES = (
    policy.PARTICIPANT_COMMANDS
    | policy.SELF_COMMANDS
    | policy.ADMIN_COMMANDS
    | policy.ADMIN_ANYWHERE_COMMANDS
    | policy.OPERATOR_COMMANDS
    | policy.OWN_COMMANDS
    | policy.CODE_COMMANDS
    | policy.WORKER_COMMANDS
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
    # A token, a code, a feed's address or a webhook's secret is shown once: a
    # retry cannot return it again, so these take no key.
    assert without == {
        "issue_token",
        "create_calendar_feed",
        "invite_person",
        "redeem_invitation",
        "register_webhook",
    }


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
    # The operator's commands run through the CLI only, the worker's in the worker.
    api_commands = (
        set(COMMANDS)
        - policy.OPERATOR_COMMANDS
        - policy.CODE_COMMANDS
        - policy.WORKER_COMMANDS
    )
    assert sorted(_snake(name) for name in mutations) == sorted(api_commands)
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


# -- one feature, one place ------------------------------------------------------

# Each command module's aggregate: the part of its name (core/goals.py for
# core/commands/goals.py), or one of these.
AGGREGATES: dict[str, type[Aggregate]] = {
    "lifecycle": Mentorship,
    "programs": Program,
    "people": Person,
    "calendars": Person,
    "tokens": Credential,
    "intake": Intake,
    "identities": Identity,
    "webhooks": WebhookEndpoint,
}
SOURCES = ("core", "schema", "projections", "mentorlog", "plugins")


def command_module(name: str) -> str:
    """The feature of a command: its module's name in core/commands/."""
    for klass in Mentoring.__mro__:
        if name in vars(klass) or f"_{name}" in vars(klass):
            return klass.__module__.rsplit(".", 1)[-1]
    raise LookupError(name)


def aggregate_of(feature: str) -> type[Aggregate]:
    """The aggregate or part whose rules a feature's commands apply."""
    if feature in AGGREGATES:
        return AGGREGATES[feature]
    module = importlib.import_module(f"mentorlog.core.{feature}")
    parts = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Participation)
        and value.__module__ == module.__name__
    ]
    assert len(parts) == 1, (feature, parts)
    return parts[0]


def declared_events(aggregate: type[Aggregate]) -> set[str]:
    """The event classes an aggregate or part declares itself (not its parts')."""

    def events(klass: type) -> set[str]:
        return {
            name
            for name, value in vars(klass).items()
            if isinstance(value, type)
            and issubclass(value, Aggregate.Event)
            and "actor" in getattr(value, "__dataclass_fields__", {})
        }

    return events(aggregate) - {
        n for base in aggregate.__mro__[1:] for n in events(base)
    }


def references(path: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """What a source file names: identifiers and exact strings; `A.B` pairs.

    Calling a method of a command's name (`app.set_goal(...)`: the demo, the CLI,
    a command applying an aggregate's rule) uses it; it names neither the command
    nor its events, so it is left out. Comments and prose are no references.
    """
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        if t.type in (tokenize.NAME, tokenize.OP, tokenize.STRING)
    ]
    names: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for i, t in enumerate(tokens):
        before = tokens[i - 1].string if i else ""
        after = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if t.type == tokenize.STRING:
            try:
                value = ast.literal_eval(t.string)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, str) and value.isidentifier():
                names.add(value)
        elif t.type == tokenize.NAME and not (before == "." and after == "("):
            names.add(t.string)
            if before == "." and i >= 2:
                pairs.add((tokens[i - 2].string, t.string))
    return names, pairs


def files_of(name: str) -> set[str]:
    """The source files that name a command, or an event its aggregate declares."""
    aggregate = aggregate_of(command_module(name))
    events = declared_events(aggregate)
    found = {str(Path(inspect.getfile(aggregate)).relative_to(ROOT))}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            names, pairs = references(path)
            # A Mentorship event's name is its own; another aggregate's (Created,
            # Revoked...) counts as `Person.Erased`.
            named = (
                names & events
                if issubclass(aggregate, Participation)
                else {e for e in events if (aggregate.__name__, e) in pairs}
            )
            if name in names or named:
                found.add(str(path.relative_to(ROOT)))
    return found


def test_every_command_lives_in_at_most_five_files() -> None:
    """Its aggregate, command module, API module, projection, and the policy."""
    spread = {name: sorted(files_of(name)) for name in COMMANDS}
    assert spread["pause_mentorship"] == [
        "core/commands/lifecycle.py",
        "core/mentorship.py",
        "core/policy.py",
        "projections/mentorships.py",
        "schema/mentorships/lifecycle.py",
    ]
    over = {name: files for name, files in spread.items() if len(files) > 5}
    assert over == {}
