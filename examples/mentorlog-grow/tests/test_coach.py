"""The coach match score, loaded by its entry point and weighed by catalog.match."""

from __future__ import annotations

from conftest import SYSTEM, People
from mentorlog.core.application import Mentoring
from mentorlog.plugins.interfaces import Profile, ProgramProfile
from mentorlog.plugins.manager import load_catalog

from mentorlog_grow.coach import COACH_WEIGHT

PROGRAM = ProgramProfile("program", {}, ("speed",))


def _mentor(*skills: str) -> Profile:
    return Profile("mentor", "late", 20, 5, skills, (), 2, 0)


def _mentee(*interests: str) -> Profile:
    return Profile("mentee", "early", 2, 2, (), interests, 1, 0)


def test_a_mentee_who_wants_a_coach_prefers_a_mentor_who_coaches() -> None:
    catalog = load_catalog()
    info = next(p for p in catalog.plugins if p.name == "grow")
    assert "match_score" in info.hooks
    wanted = _mentee("Coaching", "python")
    coaching = catalog.match(_mentor("GROW  coaching"), wanted, PROGRAM)
    other = catalog.match(_mentor("rust"), wanted, PROGRAM)
    coach = coaching.contribution("coach")
    assert coach is not None
    assert (coach.weight, coach.score) == (COACH_WEIGHT, 1.0)
    assert "wants a coach" in coach.explanation
    refused = other.contribution("coach")
    assert refused is not None and refused.score == 0.0
    assert coaching.total > other.total


def test_no_coach_contribution_when_the_mentee_does_not_ask_for_one() -> None:
    match = load_catalog().match(_mentor("coaching"), _mentee("python"), PROGRAM)
    assert match.contribution("coach") is None
    assert match.contribution("interests") is not None


def test_disabling_the_plugin_removes_the_coach_contribution() -> None:
    catalog = load_catalog(disabled=["grow"])
    match = catalog.match(_mentor("coaching"), _mentee("coaching"), PROGRAM)
    assert match.contribution("coach") is None


def test_registered_people_are_matched_as_profiles(
    app: Mentoring, people: People
) -> None:
    coach = app.register_person(
        actor=SYSTEM,
        display_name="Cora Coach",
        career_stage="late",
        years_experience=15,
        tenure_years=4,
        skills=["coaching"],
        capacity=2,
    ).id
    mentee = app.register_person(
        actor=SYSTEM,
        display_name="Milo Mentee",
        career_stage="early",
        years_experience=2,
        tenure_years=2,
        interests=["coaching"],
    ).id

    def profile(person_id: str) -> Profile:
        p = app.get_person(person_id)
        return Profile(
            str(p.id),
            p.career_stage,
            p.years_experience,
            p.tenure_years,
            tuple(p.skills),
            tuple(p.interests),
            p.capacity,
            len(p.mentorships),
        )

    program = app.get_program(people.program)
    match = app.catalog.match(
        profile(coach),
        profile(mentee),
        ProgramProfile(str(program.id), program.eligibility, tuple(program.formats)),
    )
    part = match.contribution("coach")
    assert part is not None and part.score == 1.0
