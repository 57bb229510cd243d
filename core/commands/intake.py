"""Intake commands: settings, applications, requests, bulk matching; suggestions.

What a person answers or writes is sealed here with their key (core/intake.py says
whose), after the checks, so nothing is sealed for someone who is not there; an
erased person's is refused, since their key is gone. Matching opens the answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from mentorlog.core.access import actor_person_id
from mentorlog.core.commands.base import Recorded, command, new_id
from mentorlog.core.commands.lifecycle import LifecycleCommands
from mentorlog.core.commands.matching import IntakeMatching
from mentorlog.core.errors import (
    IntakeClosed,
    InvalidInput,
    OverCapacity,
    ParticipantsInvalid,
)
from mentorlog.core.inputs import check_choice, check_int, check_text, check_texts
from mentorlog.core.intake import (
    LIST_QUESTIONS,
    QUESTIONS,
    SIDES,
    Intake,
    intake_id,
)
from mentorlog.core.matching import Pairing, Suggestion, contributions_of
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem


class IntakeCommands(IntakeMatching, LifecycleCommands):
    """Intake commands: settings, applications, requests, bulk matching."""

    # -- settings and applications -------------------------------------------

    @command
    def configure_intake(
        self,
        program_id: str,
        *,
        actor: str,
        is_open: bool,
        cohort_start: str | None = None,
        cohort_end: str | None = None,
        mentor_places: int | None = None,
        mentee_places: int | None = None,
        questions: Sequence[str] = QUESTIONS,
        request_days: int = 14,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Set a program's intake: open or closed, cohort, places, questions."""
        problems = [
            *_check_date("cohortStart", cohort_start),
            *_check_date("cohortEnd", cohort_end),
            *(
                check_int("mentorPlaces", mentor_places, 0, 100_000)
                if mentor_places is not None
                else []
            ),
            *(
                check_int("menteePlaces", mentee_places, 0, 100_000)
                if mentee_places is not None
                else []
            ),
            *check_int("requestDays", request_days, 1, 365),
            *check_texts("questions", questions),
        ]
        if not problems:
            problems += [
                p for q in questions for p in check_choice("questions", q, QUESTIONS)
            ]
        self._raise_problems(problems)
        start, end = _iso_date(cohort_start), _iso_date(cohort_end)
        if start and end and start > end:
            self._raise_problems(
                [Problem("cohortEnd", "cohortEnd is before cohortStart")]
            )

        settings: dict[str, Any] = {
            "is_open": bool(is_open),
            "cohort_start": start,
            "cohort_end": end,
            "mentor_places": mentor_places,
            "mentee_places": mentee_places,
            "questions": list(dict.fromkeys(questions)),
            "request_days": request_days,
        }

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            try:
                intake = self._intake(str(program.id))
            except IntakeClosed:  # its first settings create it
                intake = Intake(actor=actor, program_id=str(program.id), **settings)
            else:
                intake.configure(actor=actor, **settings)
            return self._commit(str(program.id), intake)

        return self._retrying(attempt, str(intake_id(program_id)))

    @command
    def apply_to_program(
        self,
        program_id: str,
        *,
        actor: str,
        person_id: str,
        side: str,
        answers: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Apply to a program as mentor or mentee, answering its questions."""
        if answers is not None and not isinstance(answers, Mapping):
            raise InvalidInput([Problem("answers", "answers must be an object")])
        given = dict(answers or {})
        self._raise_problems(check_choice("side", side, SIDES))

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            person = self._load(Person, person_id, "personId")
            self._refuse_erased(person, "personId")
            intake = self._intake(str(program.id))
            intake.check_can_apply(str(person.id))
            self._raise_problems(_check_answers(given, intake.questions))
            program.check_eligible(
                self.name_of(person),
                side,
                years_experience=person.years_experience,
                tenure_years=person.tenure_years,
            )
            intake.apply(
                actor=actor,
                person_id=str(person.id),
                side=side,
                answers=self._seal_personal(str(person.id), given, "personId"),
            )
            return self._commit(str(person.id), intake)

        return self._retrying(attempt, str(intake_id(program_id)))

    @command
    def approve_application(
        self,
        program_id: str,
        *,
        actor: str,
        person_id: str,
        waitlist: bool = True,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Enrol an applicant; over the side's places, waitlist them (or refuse)."""
        return self._on_intake(
            program_id,
            person_id,
            lambda i: i.approve(actor=actor, person_id=person_id, waitlist=waitlist),
        )

    @command
    def decline_application(
        self,
        program_id: str,
        *,
        actor: str,
        person_id: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Decline a pending or waitlisted application, with a reason."""
        self._raise_problems(check_text("reason", reason, max_len=2000))
        return self._on_intake(
            program_id,
            person_id,
            lambda i: i.decline(
                actor=actor,
                person_id=person_id,
                reason=self._applicants_text(i, person_id, reason),
            ),
        )

    @command
    def withdraw_application(
        self,
        program_id: str,
        *,
        actor: str,
        person_id: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Give up an application or enrolment; the first waitlisted takes the place."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        return self._on_intake(
            program_id,
            person_id,
            lambda i: i.leave(
                actor=actor,
                person_id=person_id,
                reason=self._applicants_text(i, person_id, reason),
            ),
        )

    # -- requests ------------------------------------------------------------

    @command
    def request_mentor(
        self,
        program_id: str,
        *,
        actor: str,
        mentee_id: str,
        mentor_id: str,
        message: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """A mentee asks an enrolled mentor with places free to mentor them."""
        self._raise_problems(
            check_text("message", message, required=False, max_len=2000)
        )

        def attempt() -> Recorded:
            intake = self._intake(program_id)
            mentor = self._load(Person, mentor_id, "mentorId")
            intake.check_request(mentee_id, str(mentor.id))
            self._refuse_erased(mentor, "mentorId")
            self._refuse_erased(self._load(Person, mentee_id, "menteeId"), "menteeId")
            request_id = new_id()
            intake.request(
                actor=actor,
                request_id=request_id,
                mentee_id=mentee_id,
                mentor_id=str(mentor.id),
                message=self._seal_personal(mentee_id, message, "menteeId"),
            )
            if self._places_of(intake, mentor) <= 0:
                raise OverCapacity(
                    f"{self.name_of(mentor)} has no mentoring place free", "mentorId"
                )
            return self._commit(request_id, intake)

        return self._retrying(attempt, str(intake_id(program_id)))

    @command
    def accept_request(
        self,
        program_id: str,
        request_id: str,
        *,
        actor: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """The requested mentor accepts: propose the mentorship, and start it if
        the format's rules, eligibility and capacity allow."""

        def attempt() -> Recorded:
            intake = self._intake(program_id)
            by = actor_person_id(actor)
            found = intake.pending_request(request_id, by)
            mentee = self._load(Person, found["mentee_id"], "requestId")
            self._refuse_erased(mentee, "requestId")
            program = self._load(Program, intake.program_id, "programId")
            pairing = self._pairing(
                program, intake, found["mentor_id"], found["mentee_id"]
            )
            if pairing is None:
                raise ParticipantsInvalid(
                    [
                        Problem(
                            "requestId",
                            "no format of the program takes this mentor and mentee",
                        )
                    ]
                )
            # The purpose quotes the mentee's message, sealed with their key.
            mentorship = self._propose(program, pairing, actor, found["message"])
            intake.accept(
                actor=actor,
                request_id=request_id,
                mentorship_id=str(mentorship.id),
                by=by,
            )
            people = [
                self._load(Person, p["person_id"], "participants")
                for p in mentorship.participants
            ]
            if all(len(p.mentorships) < p.capacity for p in people):
                mentorship.start(actor=actor)
                self._begin(mentorship, program, people, actor)
            return self._commit(str(mentorship.id), intake, mentorship, *people)

        return self._retrying(attempt, str(intake_id(program_id)))

    @command
    def decline_request(
        self,
        program_id: str,
        request_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """The requested mentor declines, with a reason."""
        self._raise_problems(check_text("reason", reason, max_len=2000))

        def attempt() -> Recorded:
            intake = self._intake(program_id)
            by = actor_person_id(actor)
            mentor_id = intake.pending_request(request_id, by)["mentor_id"]
            intake.decline_request(
                actor=actor,
                request_id=request_id,
                reason=self._seal_personal(mentor_id, reason, "requestId"),
                by=by,
            )
            return self._commit(request_id, intake)

        return self._retrying(attempt, str(intake_id(program_id)))

    # -- bulk matching -------------------------------------------------------

    @command
    def apply_bulk_match(
        self, program_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Propose the optimal assignment of waiting mentees, each with its score."""

        def attempt() -> Recorded:
            program = self._load(Program, program_id, "programId")
            intake = self._intake(str(program.id))
            proposed = []
            for pairing in self._assignment(program, intake):
                mentorship = self._propose(program, pairing, actor, "")
                intake.propose(
                    actor=actor,
                    mentorship_id=str(mentorship.id),
                    mentor_id=pairing.mentor_id,
                    mentee_id=pairing.mentee_id,
                )
                proposed.append(mentorship)
            return self._commit(str(program.id), intake, *proposed)

        return self._retrying(attempt, str(intake_id(program_id)))

    def bulk_match_preview(self, program_id: str) -> list[Pairing]:
        """The assignment apply_bulk_match would propose now."""
        program = self._load(Program, program_id, "programId")
        return self._assignment(program, self._intake(str(program.id)))

    def match_suggestions(
        self, program_id: str, person_id: str, limit: int = 10
    ) -> list[Suggestion]:
        """Candidates for an enrolled person, best first: eligible, with places,
        in a format the program enables."""
        program = self._load(Program, program_id, "programId")
        return self._suggestions(
            program, self._intake(str(program.id)), person_id, limit
        )

    # -- helpers -------------------------------------------------------------

    def get_intake(self, program_id: str) -> Intake:
        """A program's intake, or IntakeClosed if it has none."""
        return self._intake(program_id)

    def _intake(self, program_id: str) -> Intake:
        """The program's intake, or IntakeClosed if it has none."""
        try:
            uid = intake_id(str(self._load(Program, program_id, "programId").id))
            found: Any = self.repository.get(uid)
        except AggregateNotFoundError:
            raise IntakeClosed(
                "the program has no intake: nobody can apply yet", "programId"
            ) from None
        assert isinstance(found, Intake)
        return found

    def _seal_personal(self, owner: str, value: Any, field: str) -> Any:
        """An answer or text sealed with its person's key; nothing given stays plain."""
        if not value:
            return value
        try:
            return self.sealer.seal(owner, value)
        except KeyError:  # erased while the command ran
            raise InvalidInput([Problem(field, "the person is erased")]) from None

    def _applicants_text(self, intake: Intake, person_id: str, text: str) -> Any:
        """A reason given on an application, sealed with the applicant's key."""
        intake.application(person_id)  # NotFound first: no key for a stranger
        return self._seal_personal(person_id, text, "personId")

    def _on_intake(self, program_id: str, person_id: str, change: Any) -> Recorded:
        def attempt() -> Recorded:
            intake = self._intake(program_id)
            change(intake)
            return self._commit(person_id, intake)

        return self._retrying(attempt, str(intake_id(program_id)))

    def _propose(
        self, program: Program, pairing: Pairing, actor: str, purpose: str
    ) -> Mentorship:
        mentorship = Mentorship(
            actor=actor,
            program_id=str(program.id),
            format=pairing.format,
            participants=[
                {
                    "person_id": pairing.mentor_id,
                    "role": pairing.mentor_role,
                    "side": "mentor",
                },
                {
                    "person_id": pairing.mentee_id,
                    "role": pairing.mentee_role,
                    "side": "mentee",
                },
            ],
            purpose=purpose,
        )
        mentorship.record_match(
            actor=actor,
            total=pairing.match.total,
            contributions=contributions_of(pairing.match),
        )
        return mentorship


def _iso_date(value: str | None) -> str | None:
    """A checked date in one spelling (YYYY-MM-DD), so dates compare as text."""
    return None if value is None else date.fromisoformat(value).isoformat()


def _check_date(field: str, value: str | None) -> list[Problem]:
    if value is None:
        return []
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return [Problem(field, f"{field} must be a date (YYYY-MM-DD)")]
    return []


def _check_answers(answers: Mapping[str, Any], asked: Sequence[str]) -> list[Problem]:
    """Answers only to the questions asked: lists of texts, and "about" as text."""
    if not isinstance(answers, Mapping):
        return [Problem("answers", "answers must be an object")]
    problems: list[Problem] = []
    for name, value in answers.items():
        where = f"answers.{name}"
        if name not in asked:
            problems.append(Problem(where, f"the program does not ask '{name}'"))
        elif name in LIST_QUESTIONS:
            problems += check_texts(where, value)
        else:
            problems += check_text(where, value, required=False, max_len=5000)
    return problems
