"""The schema itself: the committed SDL is current, and everything is described."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import mentorlog.schema
from graphql import get_introspection_query
from mentorlog.schema import schema, sdl

SDL_FILE = Path(mentorlog.schema.__file__).parent / "schema.graphql"
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
