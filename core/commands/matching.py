"""Matching in a program's intake: the profiles compared, candidates, assignments.

The intake's commands (core/commands/intake.py) read through these: a person as
matching sees them (their profile and opened answers), the candidates for someone,
the optimal assignment of waiting mentees, and the format a pair would meet in.
An erased person is no candidate: enrolled still, but nobody to match.
"""

from __future__ import annotations

from typing import Any

from mentorlog.core import matching
from mentorlog.core.commands.base import Service
from mentorlog.core.errors import InvalidInput, NotEligible, NotEnrolled
from mentorlog.core.intake import ENROLLED, Intake
from mentorlog.core.matching import Pairing, Suggestion
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Match, Problem, Profile

MAX_SUGGESTIONS = 50


class IntakeMatching(Service):
    """What matching reads of an intake: profiles, candidates, the assignment."""

    def _suggestions(
        self, program: Program, intake: Intake, person_id: str, limit: int
    ) -> list[Suggestion]:
        """Candidates for an enrolled person of the intake, best first."""
        found = intake.applications.get(person_id)
        if found is None or found["status"] != ENROLLED:
            raise NotEnrolled("that person is not enrolled in the program", "personId")
        side = found["side"]
        other = "mentor" if side == "mentee" else "mentee"
        open_pairs = self._open_proposals(intake)

        def pending(someone: str) -> int:
            return sum(1 for p in open_pairs if someone in p.values())

        person = self._load(Person, person_id, "personId")
        self._refuse_erased(person, "personId")
        subject = self._profile(intake, person, pending(person_id))
        profiles, fits = {}, {}
        for candidate_id in intake.enrolled(other):
            candidate = self._load(Person, candidate_id, "personId")
            if candidate.erased:  # enrolled still, but nobody to match
                continue
            profile = self._profile(intake, candidate, pending(candidate_id))
            if profile.free_places > 0 and self._eligible(program, profile, other):
                pair = (profile, subject) if side == "mentee" else (subject, profile)
                fit = self._fit(program, *pair)
                if fit is not None:
                    profiles[candidate_id], fits[candidate_id] = profile, fit
        ranked = matching.rank(
            self.catalog,
            matching.program_profile(program),
            subject,
            side,
            profiles.values(),
            min(limit, MAX_SUGGESTIONS),
        )
        suggestions = []
        for profile, match in ranked:
            mentor, mentee = (
                (profile, subject) if side == "mentee" else (subject, profile)
            )
            suggestions.append(
                Suggestion(
                    profile.person_id,
                    other,
                    Pairing(
                        mentor.person_id,
                        mentee.person_id,
                        *fits[profile.person_id],
                        match,
                    ),
                )
            )
        return suggestions

    def answers_of(self, intake: Intake, person_id: str) -> dict[str, Any]:
        """A person's answers to the intake's questions, opened; {} once erased."""
        found = intake.applications.get(person_id, {}).get("answers", {})
        return dict(self.sealer.open(found, {}))

    @staticmethod
    def _refuse_erased(person: Person, field: str) -> None:
        if person.erased:
            raise InvalidInput([Problem(field, "the person is erased")])

    def _open_proposals(self, intake: Intake) -> list[dict[str, str]]:
        """The intake's proposals that are still proposed (not started or closed)."""
        return [
            pair
            for mentorship_id, pair in intake.proposals.items()
            if self._load(Mentorship, mentorship_id, "mentorshipId").status
            == "proposed"
        ]

    def _places_of(self, intake: Intake, person: Person) -> int:
        """A person's places free, counting the intake's open proposals as taken."""
        pending = sum(
            1
            for pair in self._open_proposals(intake)
            if str(person.id) in pair.values()
        )
        return person.capacity - len(person.mentorships) - pending

    def _profile(self, intake: Intake, person: Person, pending: int = 0) -> Profile:
        """A person as matching sees them: their profile and intake answers."""
        answers = self.answers_of(intake, str(person.id))
        return Profile(
            person_id=str(person.id),
            career_stage=person.career_stage,
            years_experience=person.years_experience,
            tenure_years=person.tenure_years,
            skills=(*person.skills, *answers.get("skills", ())),
            interests=(*person.interests, *answers.get("interests", ())),
            capacity=person.capacity,
            active_mentorships=len(person.mentorships) + pending,
            availability=tuple(answers.get("availability", ())),
        )

    @staticmethod
    def _eligible(program: Program, profile: Profile, side: str) -> bool:
        try:
            program.check_eligible(
                profile.person_id,
                side,
                years_experience=profile.years_experience,
                tenure_years=profile.tenure_years,
            )
        except NotEligible:
            return False
        return True

    def _fit(
        self, program: Program, mentor: Profile, mentee: Profile
    ) -> tuple[str, str, str] | None:
        """The first enabled format (and roles) that takes this mentor and mentee."""
        for name in program.formats:
            fmt = self.catalog.format(name)
            if fmt is None:
                continue
            for guide in (r for r in fmt.roles if r.side == "mentor"):
                for learner in (r for r in fmt.roles if r.side == "mentee"):
                    people = [
                        matching.candidate(mentor, guide.name),
                        matching.candidate(mentee, learner.name),
                    ]
                    if not fmt.check(people):
                        return name, guide.name, learner.name
        return None

    def _pairing(
        self, program: Program, intake: Intake, mentor_id: str, mentee_id: str
    ) -> Pairing | None:
        mentor = self._profile(intake, self._load(Person, mentor_id, "mentorId"))
        mentee = self._profile(intake, self._load(Person, mentee_id, "menteeId"))
        fit = self._fit(program, mentor, mentee)
        if fit is None:
            return None
        match = self.catalog.match(mentor, mentee, matching.program_profile(program))
        return Pairing(mentor_id, mentee_id, *fit, match)

    def _assignment(self, program: Program, intake: Intake) -> list[Pairing]:
        """The optimal assignment of waiting mentees to mentors' free places."""
        open_pairs = self._open_proposals(intake)

        def pending(person_id: str) -> int:
            return sum(1 for p in open_pairs if person_id in p.values())

        def profiles(side: str) -> list[Profile]:
            found = []
            for person_id in intake.enrolled(side):
                person = self._load(Person, person_id, "personId")
                if person.erased:
                    continue
                profile = self._profile(intake, person, pending(person_id))
                if profile.free_places > 0 and self._eligible(program, profile, side):
                    found.append(profile)
            return found

        mentees, mentors = profiles("mentee"), profiles("mentor")
        where = matching.program_profile(program)
        fits: dict[tuple[int, int], tuple[str, str, str]] = {}
        matches: dict[tuple[int, int], Match] = {}
        scores = []
        for i, mentee in enumerate(mentees):
            row = []
            for j, mentor in enumerate(mentors):
                fit = self._fit(program, mentor, mentee)
                if fit is None:
                    row.append(matching.UNMATCHABLE)
                    continue
                fits[i, j] = fit
                matches[i, j] = self.catalog.match(mentor, mentee, where)
                row.append(matches[i, j].total)
            scores.append(row)
        places = [m.free_places for m in mentors]
        return [
            Pairing(
                mentors[j].person_id,
                mentees[i].person_id,
                *fits[i, j],
                matches[i, j],
            )
            for i, j in matching.optimal(scores, places)
        ]
