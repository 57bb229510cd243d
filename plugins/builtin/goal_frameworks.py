"""Built-in goal frameworks: plain, SMART, SMARTY and OKR."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard

from mentorlog.plugins.hookspecs import hookimpl
from mentorlog.plugins.interfaces import (
    GoalContext,
    GoalField,
    GoalFramework,
    Problem,
    check_required,
)

SMART_FIELDS = (
    GoalField("specific", "text", True, "What exactly will be accomplished."),
    GoalField("measurable", "text", True, "How success will be measured."),
    GoalField("achievable", "text", True, "Why it is challenging but attainable."),
    GoalField("relevant", "text", True, "How it ties to the bigger picture."),
    GoalField("due", "date", True, "When it is due (YYYY-MM-DD), in the future."),
)


def _finite(value: Any) -> TypeGuard[int | float]:
    """Tell whether a value is a real, finite number (not a bool, NaN or infinity)."""
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
    )


@dataclass
class Smart(GoalFramework):
    """SMART: specific, measurable, achievable, relevant, time-bound."""

    def validate(
        self, values: Mapping[str, Any], context: GoalContext
    ) -> list[Problem]:
        """Check the five fields and that the due date lies in the future."""
        problems = check_required(self.fields, values)
        due = values.get("due")
        due_ok = not any(p.field == "fields.due" for p in problems)
        if due_ok and isinstance(due, str) and date.fromisoformat(due) <= context.today:
            problems.append(Problem("fields.due", "due must be a future date"))
        return problems


@dataclass
class Smarty(Smart):
    """SMARTY: SMART plus 'yours', the mentee's confirmed ownership."""

    def validate(
        self, values: Mapping[str, Any], context: GoalContext
    ) -> list[Problem]:
        """Check SMART, then that the mentee confirms the goal is theirs."""
        problems = super().validate(values, context)
        if any(p.field == "fields.yours" for p in problems):
            return problems  # missing or not a boolean: already said
        if values.get("yours") is not True:
            problems.append(
                Problem("fields.yours", "the mentee must confirm the goal is theirs")
            )
        elif context.actor_side not in ("mentee", "peer"):
            problems.append(
                Problem("fields.yours", "only the mentee can confirm ownership")
            )
        return problems


@dataclass
class Okr(GoalFramework):
    """OKR: an objective with 1-5 measurable key results."""

    def validate(
        self, values: Mapping[str, Any], context: GoalContext
    ) -> list[Problem]:
        """Check the objective and each key result's description and numeric target."""
        problems = check_required(self.fields, values)
        results = values.get("key_results")
        if problems or not isinstance(results, list):
            return problems
        if not 1 <= len(results) <= 5:
            problems.append(
                Problem("fields.key_results", "an OKR needs 1 to 5 key results")
            )
        for i, kr in enumerate(results):
            where = f"fields.key_results.{i}"
            if not isinstance(kr, dict):
                problems.append(Problem(where, "a key result is an object"))
                continue
            if (
                not isinstance(kr.get("description"), str)
                or not kr["description"].strip()
            ):
                problems.append(Problem(where, "a key result needs a description"))
            target = kr.get("target")
            if not _finite(target) or target <= 0:
                problems.append(
                    Problem(where, "a key result needs a numeric target above 0")
                )
            if "unit" in kr and not isinstance(kr["unit"], str):
                problems.append(Problem(where, "a key result's unit must be text"))
            extra = set(kr) - {"description", "target", "unit"}
            if extra:
                problems.append(
                    Problem(where, f"unknown key result fields: {sorted(extra)}")
                )
        return problems

    def validate_progress(
        self, values: Mapping[str, Any], measurement: Mapping[str, Any]
    ) -> list[Problem]:
        """Check one current value per key result."""
        current = measurement.get("key_results")
        expected = len(values.get("key_results", []))
        if not isinstance(current, list) or len(current) != expected:
            return [
                Problem(
                    "keyResults",
                    f"give the current value of all {expected} key results",
                )
            ]
        for i, value in enumerate(current):
            if not _finite(value) or value < 0:
                return [
                    Problem(
                        f"keyResults.{i}", "a current value is a number of at least 0"
                    )
                ]
        return []

    def progress(
        self, values: Mapping[str, Any], measurement: Mapping[str, Any]
    ) -> float:
        """Average each key result's share of its target, capped at 100%."""
        results = values["key_results"]
        shares = [
            min(current / kr["target"], 1.0)
            for current, kr in zip(measurement["key_results"], results, strict=True)
        ]
        return round(100 * sum(shares) / len(shares), 1)


FRAMEWORKS: list[GoalFramework] = [
    GoalFramework(
        "plain",
        "Plain goal",
        "A free-text goal with an optional description.",
        (GoalField("description", "text", False, "What the goal is about."),),
    ),
    Smart(
        "smart",
        "SMART",
        "Specific, measurable, achievable, relevant and time-bound.",
        SMART_FIELDS,
    ),
    Smarty(
        "smarty",
        "SMARTY",
        "SMART, and Yours: the mentee confirms they own the goal.",
        SMART_FIELDS
        + (
            GoalField(
                "yours", "boolean", True, "The mentee confirms the goal is theirs."
            ),
        ),
    ),
    Okr(
        "okr",
        "OKR",
        "An objective with 1-5 measurable key results.",
        (
            GoalField("objective", "text", True, "The qualitative objective."),
            GoalField(
                "key_results",
                "key_results",
                True,
                "A list of {description, target, unit} with numeric targets.",
            ),
        ),
    ),
]


@hookimpl
def register_goal_frameworks() -> list[GoalFramework]:
    """Register the built-in goal frameworks."""
    return FRAMEWORKS
