"""GROW: goal, reality, options and will, the coaching model for one goal."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from mentorlog.plugins.interfaces import (
    GoalContext,
    GoalField,
    GoalFramework,
    Problem,
    check_required,
)

MIN_OPTIONS = 2
_SEPARATOR = re.compile(r"[\n;]")

FIELDS = (
    GoalField("goal", "text", True, "What the mentee wants to achieve."),
    GoalField(
        "reality", "text", True, "Where things stand today, and what is in the way."
    ),
    GoalField(
        "options",
        "text",
        True,
        "At least two different ways forward, one per line or separated by ';'.",
    ),
    GoalField("will", "text", True, "The first step the mentee commits to."),
    GoalField(
        "will_by",
        "date",
        True,
        "When that first step will be done (YYYY-MM-DD), today or later.",
    ),
)


def split_options(text: str) -> list[str]:
    """Split the options text into its non-empty options, one per line or ';'."""
    return [part.strip() for part in _SEPARATOR.split(text) if part.strip()]


@dataclass
class Grow(GoalFramework):
    """GROW: the goal, the current reality, the options, and the will to act."""

    def validate(
        self, values: Mapping[str, Any], context: GoalContext
    ) -> list[Problem]:
        """Check the fields, two different options, a first step and its date."""
        problems = check_required(self.fields, values)
        faulty = {p.field for p in problems}
        options = values.get("options")
        if "fields.options" not in faulty and isinstance(options, str):
            found = split_options(options)
            if len(found) < MIN_OPTIONS:
                problems.append(
                    Problem(
                        "fields.options",
                        f"list at least {MIN_OPTIONS} options, one per line or "
                        "separated by ';'",
                    )
                )
            elif len({o.casefold() for o in found}) != len(found):
                problems.append(
                    Problem("fields.options", "each option must be different")
                )
        will, goal = values.get("will"), values.get("goal")
        if (
            "fields.will" not in faulty
            and isinstance(will, str)
            and isinstance(goal, str)
            and will.strip().casefold() == goal.strip().casefold()
        ):
            problems.append(
                Problem(
                    "fields.will",
                    "will must name a first step towards the goal, not the goal itself",
                )
            )
        by = values.get("will_by")
        if (
            "fields.will_by" not in faulty
            and isinstance(by, str)
            and date.fromisoformat(by) < context.today
        ):
            problems.append(
                Problem("fields.will_by", "the first step needs a date today or later")
            )
        return problems


GROW = Grow(
    "grow",
    "GROW",
    "Goal, Reality, Options, Will: from where the mentee is to a dated first step.",
    FIELDS,
)
