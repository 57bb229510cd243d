"""People commands: register a person, erase their personal data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from uuid import UUID

from mentorlog.core.access import actor_person_id
from mentorlog.core.commands.base import Recorded, Service, command
from mentorlog.core.errors import (
    CannotEraseSelf,
    InvalidInput,
    LastAdmin,
)
from mentorlog.core.inputs import (
    CAREER_STAGE_VALUES,
    check_choice,
    check_email,
    check_int,
    check_number,
    check_text,
    check_texts,
)
from mentorlog.core.person import Person
from mentorlog.core.program import ADMIN_TOPICS, Program
from mentorlog.plugins.interfaces import Problem

PAGE = 500


class PeopleCommands(Service):
    """People commands: register a person, erase their personal data."""

    @command
    def register_person(
        self,
        *,
        actor: str,
        display_name: str,
        career_stage: str,
        years_experience: float,
        tenure_years: float,
        skills: Sequence[str] = (),
        interests: Sequence[str] = (),
        capacity: int = 1,
        email: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Register a person; their name and email are sealed with their own key."""
        problems = [
            *check_text("displayName", display_name, max_len=200),
            *(check_email(email) if email is not None else []),
            *check_choice("careerStage", career_stage, CAREER_STAGE_VALUES),
            *check_number("yearsExperience", years_experience, 0, 80),
            *check_number("tenureYears", tenure_years, 0, 80),
            *check_texts("skills", skills),
            *check_texts("interests", interests),
            *check_int("capacity", capacity, 0, 50),
        ]
        if not problems and tenure_years > years_experience:
            problems.append(
                Problem("tenureYears", "tenure cannot exceed years of experience")
            )
        if problems:
            raise InvalidInput(problems)
        key_id = str(uuid.uuid4())
        person = Person(
            actor=actor,
            key_id=key_id,
            display_name=self.sealer.seal(key_id, display_name.strip()),
            email=None if email is None else self.sealer.seal(key_id, email.strip()),
            career_stage=career_stage,
            years_experience=float(years_experience),
            tenure_years=float(tenure_years),
            skills=list(skills),
            interests=list(interests),
            capacity=capacity,
        )
        return self._commit(str(person.id), person)

    def erase_person(
        self,
        person_id: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Erase a person's personal data by destroying their key; history stays.

        The key goes first, then the erasure is recorded: anything sealed for them
        by a command still running is stored after the key went, so every read
        model opens it as erased, or before the erasure, which blanks it.
        """
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        person = self._load(Person, person_id, "personId")
        if not person.erased:  # erasing twice is refused by the Person itself
            self._check_erasable(person, actor)
        self.sealer.keys.destroy(str(person.id))
        return self._erase_person(
            str(person.id), actor=actor, reason=reason, idempotency_key=idempotency_key
        )

    def _check_erasable(self, person: Person, actor: str) -> None:
        """Refuse erasing one's own person, or the last admin of a program.

        Erasure cannot be undone: an admin who erased themselves would lock
        themselves out, and a program whose admins are all erased has nobody left
        to run it (no admin can be added without one).
        """
        person_id = str(person.id)
        if actor_person_id(actor) == person_id:
            raise CannotEraseSelf(
                "you cannot erase yourself: another admin of your program, or the "
                "operator (mentorlog erase-person), can",
                "personId",
            )
        for program in self._administered_by(person_id):
            others = [
                a
                for a in program.admins
                if a != person_id and not self._load(Person, a, "admins").erased
            ]
            if not others:
                raise LastAdmin(
                    f"{self.name_of(person)} is the last admin of program "
                    f"'{program.name}': make someone else its admin first",
                    "personId",
                )

    def _administered_by(self, person_id: str) -> list[Program]:
        """The programs the person administers, found from their admin events."""
        program_ids: dict[UUID, None] = {}
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start, PAGE, topics=ADMIN_TOPICS, inclusive_of_start=start is None
            )
            program_ids.update(dict.fromkeys(UUID(str(n.originator_id)) for n in page))
            if len(page) < PAGE:
                break
            start = page[-1].id
        programs = [self._load(Program, i, "programId") for i in program_ids]
        return [p for p in programs if person_id in p.admins]

    @command
    def _erase_person(
        self,
        person_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record the erasure (erase_person destroyed the key already)."""

        def attempt() -> Recorded:
            person = self._load(Person, person_id, "personId")
            person.erase(actor=actor, reason=reason)
            return self._commit(str(person.id), person)

        try:
            return self._retrying(attempt)
        finally:  # this process refuses the person's tokens at once (if recorded)
            self.principals.forget(set(), {person_id})
