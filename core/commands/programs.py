"""Program commands: create, starter goals, connection plan, admins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from mentorlog.core.commands.base import Recorded, Service, command, new_id
from mentorlog.core.errors import (
    InvalidInput,
    UnknownFormat,
)
from mentorlog.core.inputs import (
    GOAL_TERMS,
    check_choice,
    check_int,
    check_number,
    check_text,
    check_texts,
    excerpt,
)
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem


class ProgramCommands(Service):
    """Program commands: create, starter goals, connection plan, admins."""

    @command
    def create_program(
        self,
        *,
        actor: str,
        name: str,
        description: str = "",
        mentor_min_years_experience: float = 0,
        mentee_min_tenure_years: float = 0,
        duration_months: int = 12,
        cadence_days: int = 30,
        formats: Sequence[str] = ("one_on_one",),
        default_framework: str = "smart",
        admins: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Create a program with its criteria, formats and default framework."""
        problems = [
            *check_text("name", name, max_len=200),
            *check_text("description", description, required=False, max_len=5000),
            *check_number(
                "mentorMinYearsExperience", mentor_min_years_experience, 0, 80
            ),
            *check_number("menteeMinTenureYears", mentee_min_tenure_years, 0, 80),
            *check_int("durationMonths", duration_months, 1, 120),
            *check_int("cadenceDays", cadence_days, 1, 365),
        ]
        if not formats:
            problems.append(Problem("formats", "enable at least one format"))
        for f in formats:
            if self.catalog.format(f) is None:
                raise UnknownFormat(f"unknown format '{excerpt(f)}'", "formats")
        self._framework(default_framework)
        if problems:
            raise InvalidInput(problems)
        for person_id in admins:
            self._load(Person, person_id, "admins")
        program = Program(
            actor=actor,
            name=name.strip(),
            description=description,
            eligibility={
                "mentor_min_years_experience": mentor_min_years_experience,
                "mentee_min_tenure_years": mentee_min_tenure_years,
            },
            duration_months=duration_months,
            cadence_days=cadence_days,
            formats=list(dict.fromkeys(formats)),
            default_framework=default_framework,
            admins=[str(UUID(a)) for a in admins],
        )
        return self._commit(str(program.id), program)

    @command
    def add_starter_goal(
        self,
        program_id: str,
        *,
        actor: str,
        title: str,
        framework: str | None = None,
        fields: Mapping[str, Any] | None = None,
        term: str = "short",
        locked: bool = False,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Add a starter goal that each new mentorship of the program receives."""

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            name = framework or program.default_framework
            problems = [
                *check_text("title", title, max_len=200),
                *check_choice("term", term, GOAL_TERMS),
            ]
            if problems:
                raise InvalidInput(problems)
            # Starter goals are checked as if the mentee set them.
            fields_set = {} if fields is None else fields
            self._check_goal(self._framework(name), fields_set, "mentee")
            goal_id = new_id()
            program.add_starter_goal(
                actor=actor,
                goal_id=goal_id,
                title=title.strip(),
                framework=name,
                fields=dict(fields_set),
                term=term,
                locked=locked,
            )
            return self._commit(goal_id, program)

        return self._retrying(attempt)

    @command
    def set_connection_plan(
        self,
        program_id: str,
        *,
        actor: str,
        meetings: Sequence[Mapping[str, Any]],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Replace the program's connection plan (a timeline of planned meetings)."""
        plan: list[dict[str, Any]] = []
        problems: list[Problem] = []
        for i, m in enumerate(meetings, start=1):
            where = f"meetings.{i - 1}"
            start, end = m.get("week_start"), m.get("week_end")
            problems += check_text(f"{where}.title", m.get("title"), max_len=200)
            problems += check_int(f"{where}.weekStart", start, 1, 520)
            problems += check_int(f"{where}.weekEnd", end, 1, 520)
            problems += check_texts(f"{where}.agenda", m.get("agenda", []))
            if not problems and start > end:  # type: ignore[operator]
                problems.append(
                    Problem(f"{where}.weekEnd", "weekEnd is before weekStart")
                )
            plan.append(
                {
                    "number": i,
                    "title": m.get("title"),
                    "week_start": start,
                    "week_end": end,
                    "agenda": list(m.get("agenda", [])),
                }
            )
        if problems:
            raise InvalidInput(problems)

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            program.set_connection_plan(actor=actor, meetings=plan)
            return self._commit(str(program.id), program)

        return self._retrying(attempt)

    @command
    def add_program_admin(
        self,
        program_id: str,
        *,
        actor: str,
        person_id: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Make a registered person an admin of the program."""

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            person = self._load(Person, person_id, "personId")
            program.add_admin(actor=actor, person_id=str(person.id))
            return self._commit(str(program.id), program)

        return self._retrying(attempt)
