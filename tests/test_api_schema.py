"""The schema itself: the committed SDL is current, and everything is described."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import mentorlog.schema
from graphql import (
    BreakingChange,
    build_schema,
    find_breaking_changes,
    get_introspection_query,
)
from mentorlog.schema import schema, sdl

SDL_FILE = Path(mentorlog.schema.__file__).parent / "schema.graphql"
RELEASED_FILE = Path(mentorlog.schema.__file__).parent / "released.graphql"
BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}
REGENERATE = (
    "schema/schema.graphql is stale: regenerate it with "
    "`mentorlog schema > schema/schema.graphql` "
    "(or `python -m mentorlog.schema > schema/schema.graphql`) and commit it"
)


def test_committed_sdl_is_current() -> None:
    assert SDL_FILE.read_text().rstrip("\n") == sdl().rstrip("\n"), REGENERATE


def test_python_dash_m_prints_the_sdl() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "mentorlog.schema"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed.rstrip("\n") == sdl().rstrip("\n")


def _missing_descriptions(types: list[dict[str, Any]]) -> list[str]:
    missing: list[str] = []
    for t in types:
        name = t["name"]
        if name.startswith("__") or name in BUILTIN:
            continue
        if not t.get("description"):
            missing.append(name)
        for field in t.get("fields") or []:
            if not field.get("description"):
                missing.append(f"{name}.{field['name']}")
            for arg in field.get("args") or []:
                if not arg.get("description"):
                    missing.append(f"{name}.{field['name']}({arg['name']})")
        for field in t.get("inputFields") or []:
            if not field.get("description"):
                missing.append(f"{name}.{field['name']}")
        for value in t.get("enumValues") or []:
            if not value.get("description"):
                missing.append(f"{name}.{value['name']}")
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    result = schema.execute_sync(get_introspection_query(descriptions=True))
    assert result.errors is None
    types = result.data["__schema"]["types"]  # type: ignore[index]
    assert len(types) > 50
    assert _missing_descriptions(types) == []


def test_the_walk_notices_a_missing_description() -> None:
    fake = [
        {
            "name": "Thing",
            "description": "",
            "fields": [{"name": "a", "description": None, "args": []}],
            "enumValues": [{"name": "B", "description": ""}],
        }
    ]
    assert _missing_descriptions(fake) == ["Thing", "Thing.a", "Thing.B"]


def test_relay_node_and_the_enums_are_there() -> None:
    text = sdl()
    for name in (
        "MentorshipStatus",
        "GoalStatus",
        "GoalTerm",
        "MeetingStatus",
        "SupportKind",
        "FeedbackSource",
        "CareerStage",
        "RoleSide",
    ):
        assert f"enum {name} {{" in text
    for node in ("Program", "Person", "Mentorship", "Goal", "Milestone", "Meeting"):
        assert f"type {node} implements Node {{" in text
    assert "node(\n" in text and "scalar JSON" in text


# -- schema evolution: no breaking change without a deprecation ----------------------

DEPRECATE_INSTEAD = (
    "breaking changes against schema/released.graphql (the schema clients rely "
    "on): {changes}. Deprecate instead (@deprecated(reason: ...)) and keep the old "
    "field, argument, type or value working; or, deliberately and with the clients "
    "told, release a new baseline: `python -m mentorlog.schema > "
    "schema/released.graphql`."
)


def breaking_changes(released: str, current: str) -> list[BreakingChange]:
    """What `current` breaks for a client written against `released`."""
    return find_breaking_changes(build_schema(released), build_schema(current))


def test_no_breaking_change_since_the_release() -> None:
    changes = breaking_changes(RELEASED_FILE.read_text(), sdl())
    described = "; ".join(f"{c.type.name}: {c.description}" for c in changes)
    assert changes == [], DEPRECATE_INSTEAD.format(changes=described)


def test_the_check_notices_breaking_changes() -> None:
    released = RELEASED_FILE.read_text()
    field = '  """What the mentorship is for."""\n  purpose: String!\n'
    removed_field = released.replace(field, "", 1)
    retyped = released.replace("mentorshipId: ID!", "mentorshipId: Int!", 1)
    for broken in (removed_field, retyped):
        assert broken != released
        assert breaking_changes(released, broken)
    # Adding a field, or deprecating one, breaks nothing.
    deprecated = released.replace(
        "  purpose: String!\n", '  purpose: String! @deprecated(reason: "x")\n', 1
    )
    assert breaking_changes(released, deprecated) == []
