"""Mentorship lifecycle commands: propose (withdraw, decline), start ... end."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from mentorlog.core.commands.base import Recorded, Service, command, new_id
from mentorlog.core.errors import (
    InvalidInput,
    OverCapacity,
    ParticipantsInvalid,
    UnknownFormat,
)
from mentorlog.core.inputs import check_text, excerpt
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Candidate


class LifecycleCommands(Service):
    """Mentorship lifecycle commands: propose (withdraw, decline), start ... end."""

    @command
    def propose_mentorship(
        self,
        *,
        actor: str,
        program_id: str,
        format: str,
        participants: Sequence[Mapping[str, str]],
        purpose: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Propose a mentorship in a format, with people in roles."""
        program = self._load(Program, program_id, "programId")
        fmt = self.catalog.format(format)
        if fmt is None:
            raise UnknownFormat(f"unknown format '{excerpt(format)}'", "format")
        if format not in program.formats:
            raise UnknownFormat(
                f"program '{program.name}' does not enable format '{excerpt(format)}'",
                "format",
            )
        problems = check_text("purpose", purpose, required=False, max_len=2000)
        if problems:
            raise InvalidInput(problems)
        candidates = []
        for p in participants:
            person = self._load(Person, p.get("person_id", ""), "participants")
            candidates.append(
                Candidate(
                    person_id=str(person.id),
                    role=p.get("role", ""),
                    career_stage=person.career_stage,
                    years_experience=person.years_experience,
                    tenure_years=person.tenure_years,
                )
            )
        problems = fmt.check(candidates)
        if problems:
            raise ParticipantsInvalid(problems)

        def side_of(role: str) -> str:
            found = fmt.role(role)
            assert found is not None  # the format's check accepted every role
            return found.side

        mentorship = Mentorship(
            actor=actor,
            program_id=str(program.id),
            format=format,
            participants=[
                {"person_id": c.person_id, "role": c.role, "side": side_of(c.role)}
                for c in candidates
            ],
            purpose=purpose,
        )
        return self._commit(str(mentorship.id), mentorship)

    @command
    def start_mentorship(
        self, mentorship_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Start a proposal: check eligibility and capacity, copy starter goals."""

        def attempt() -> Recorded:
            mentorship = self._load(Mentorship, mentorship_id, "mentorshipId")
            program = self._load(Program, mentorship.program_id, "programId")
            mentorship.start(actor=actor)
            people = [
                self._load(Person, p["person_id"], "participants")
                for p in mentorship.participants
            ]
            for person, place in zip(people, mentorship.participants, strict=True):
                program.check_eligible(
                    self.name_of(person),
                    place["side"],
                    years_experience=person.years_experience,
                    tenure_years=person.tenure_years,
                )
            self._begin(mentorship, program, people, actor)
            return self._commit(str(mentorship.id), mentorship, *people)

        return self._retrying(attempt, mentorship_id)

    def _begin(
        self,
        mentorship: Mentorship,
        program: Program,
        people: Sequence[Person],
        actor: str,
    ) -> None:
        """Take the started mentorship's places and copy the starter goals."""
        for person in people:
            try:
                person.join(actor=actor, mentorship_id=str(mentorship.id))
            except OverCapacity as exc:
                name = self.name_of(person)
                raise OverCapacity(f"{name} {exc.message}", exc.field) from None
        for starter in program.starter_goals:
            mentorship.set_goal(
                actor=actor,
                goal_id=new_id(),
                title=starter["title"],
                framework=starter["framework"],
                fields=starter["fields"],
                term=starter["term"],
                private=False,
                owner_id=None,
                starter_goal_id=starter["id"],
                locked=starter["locked"],
            )

    @command
    def pause_mentorship(
        self,
        mentorship_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Pause an active mentorship."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        return self._on_mentorship(
            mentorship_id, lambda m: m.pause(actor=actor, reason=reason)
        )

    @command
    def resume_mentorship(
        self, mentorship_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Resume a paused mentorship."""
        return self._on_mentorship(mentorship_id, lambda m: m.resume(actor=actor))

    @command
    def complete_mentorship(
        self,
        mentorship_id: str,
        *,
        actor: str,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Complete a mentorship and free its participants' capacity."""
        self._raise_problems(check_text("note", note, required=False, max_len=5000))
        return self._closing(
            mentorship_id, lambda m: m.complete(actor=actor, note=note), actor
        )

    @command
    def end_mentorship(
        self,
        mentorship_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """End a mentorship early, with a reason, and free capacity."""
        self._raise_problems(check_text("reason", reason, max_len=2000))
        return self._closing(
            mentorship_id, lambda m: m.end(actor=actor, reason=reason), actor
        )

    @command
    def withdraw_proposal(
        self,
        mentorship_id: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Withdraw a proposal before it starts; no mentorship is counted as ended."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        return self._on_mentorship(
            mentorship_id, lambda m: m.withdraw(actor=actor, reason=reason)
        )

    @command
    def decline_proposal(
        self,
        mentorship_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """A proposed participant declines the proposal, with a reason."""
        self._raise_problems(check_text("reason", reason, max_len=2000))
        person_id = self._acting_person(actor)
        return self._on_mentorship(
            mentorship_id,
            lambda m: m.decline(actor=actor, person_id=person_id, reason=reason),
        )

    def _closing(
        self, mentorship_id: str, close: Callable[[Mentorship], None], actor: str
    ) -> Recorded:
        def attempt() -> Recorded:
            mentorship = self._load(Mentorship, mentorship_id, "mentorshipId")
            joined = mentorship.status != "proposed"
            close(mentorship)
            people = []
            if joined:
                for person_id in mentorship.person_ids():
                    person = self._load(Person, person_id, "participants")
                    person.leave(actor=actor, mentorship_id=str(mentorship.id))
                    people.append(person)
            return self._commit(str(mentorship.id), mentorship, *people)

        return self._retrying(attempt, mentorship_id)
