"""Built-in match scores: interests, career stage, eligibility, places, times."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, KeysView

from mentorlog.plugins.hookspecs import hookimpl
from mentorlog.plugins.interfaces import (
    CAREER_STAGES,
    Contribution,
    Profile,
    ProgramProfile,
)

INTERESTS_WEIGHT = 2.0
STAGE_WEIGHT = 1.0
ELIGIBILITY_WEIGHT = 4.0
CAPACITY_WEIGHT = 1.0
AVAILABILITY_WEIGHT = 1.0
# Years more than the mentee that make a same-stage mentor clearly more experienced.
SENIOR_BY_YEARS = 3.0


@hookimpl
def match_score(
    mentor: Profile, mentee: Profile, program: ProgramProfile
) -> list[Contribution]:
    """Score interests, career stage, eligibility, free places and availability."""
    return [
        interests(mentor, mentee),
        career_stage(mentor, mentee, program),
        eligibility(mentor, mentee, program),
        capacity(mentor, mentee),
        *availability(mentor, mentee),
    ]


def _normal(words: Iterable[str]) -> dict[str, str]:
    """Map each word, folded for comparison, to how it was first written."""
    if isinstance(words, tuple):  # a Profile's: the same few lists, scored often
        return _normal_tuple(words)
    return _fold(words)


@functools.lru_cache(maxsize=16384)
def _normal_tuple(words: tuple[str, ...]) -> dict[str, str]:
    return _fold(words)


def _fold(words: Iterable[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for word in words:
        key = " ".join(word.split()).casefold()
        if key:
            seen.setdefault(key, " ".join(word.split()))
    return seen


def _listing(words: list[str]) -> str:
    return ", ".join(words)


def interests(mentor: Profile, mentee: Profile) -> Contribution:
    """The share of the mentee's interests the mentor has as skills."""
    wanted = _normal(mentee.interests)
    offered = _normal(mentor.skills)
    if not wanted:
        return Contribution(
            "interests",
            0.0,
            0.0,
            "The mentee lists no interests, so skills and interests are not compared.",
        )
    shared = [wanted[k] for k in wanted if k in offered]
    count, of = len(shared), len(wanted)
    plural = "interest" if of == 1 else "interests"
    if shared:
        explanation = (
            f"Shares {count} of the mentee's {of} {plural}: {_listing(shared)}."
        )
    else:
        explanation = (
            f"Shares none of the mentee's {of} {plural} "
            f"({_listing(list(wanted.values()))})."
        )
    return Contribution("interests", INTERESTS_WEIGHT, count / of, explanation)


def _stage(profile: Profile) -> int | None:
    try:
        return CAREER_STAGES.index(profile.career_stage)
    except ValueError:
        return None


def _years(value: float) -> str:
    return f"{value:g} year" + ("" if value == 1 else "s")


def career_stage(
    mentor: Profile, mentee: Profile, program: ProgramProfile
) -> Contribution:
    """A mentor a stage or more ahead is best; peers suit a program with peers."""
    ahead, behind = _stage(mentor), _stage(mentee)
    more = mentor.years_experience - mentee.years_experience
    if ahead is None or behind is None:
        ahead, behind = (1, 0) if more > 0 else (0, 0) if more == 0 else (0, 1)
    stages = (
        f"the mentor is {mentor.career_stage} career, the mentee {mentee.career_stage}"
    )
    if ahead > behind:
        return Contribution(
            "career_stage",
            STAGE_WEIGHT,
            1.0,
            f"The mentor is further along: {stages}.",
        )
    if ahead < behind:
        if "reverse" in program.formats:
            return Contribution(
                "career_stage",
                STAGE_WEIGHT,
                0.75,
                f"The mentor is at an earlier career stage ({stages}), "
                "which suits the program's reverse mentoring.",
            )
        return Contribution(
            "career_stage",
            STAGE_WEIGHT,
            0.0,
            f"The mentor is at an earlier career stage than the mentee ({stages}).",
        )
    if more >= SENIOR_BY_YEARS:
        return Contribution(
            "career_stage",
            STAGE_WEIGHT,
            0.75,
            f"Both are {mentor.career_stage} career; the mentor has "
            f"{_years(more)} more experience.",
        )
    if more <= -SENIOR_BY_YEARS:
        return Contribution(
            "career_stage",
            STAGE_WEIGHT,
            0.25,
            f"Both are {mentor.career_stage} career, but the mentee has "
            f"{_years(-more)} more experience.",
        )
    if "peer" in program.formats:
        return Contribution(
            "career_stage",
            STAGE_WEIGHT,
            1.0,
            f"Both are {mentor.career_stage} career with similar experience: "
            "a good pair for the program's peer mentoring.",
        )
    return Contribution(
        "career_stage",
        STAGE_WEIGHT,
        0.5,
        f"Both are {mentor.career_stage} career with similar experience: "
        "more peers than mentor and mentee.",
    )


def eligibility(
    mentor: Profile, mentee: Profile, program: ProgramProfile
) -> Contribution:
    """Whether the mentor and the mentee meet the program's criteria."""
    need_years = float(program.eligibility.get("mentor_min_years_experience", 0))
    need_tenure = float(program.eligibility.get("mentee_min_tenure_years", 0))
    if not need_years and not need_tenure:
        return Contribution(
            "eligibility",
            ELIGIBILITY_WEIGHT,
            1.0,
            "The program sets no eligibility criteria.",
        )
    mentor_ok = mentor.years_experience >= need_years
    mentee_ok = mentee.tenure_years >= need_tenure
    mentor_says = (
        f"the mentor has {_years(mentor.years_experience)} of experience "
        f"(mentors need {_years(need_years)})"
    )
    mentee_says = (
        f"the mentee has {_years(mentee.tenure_years)} of tenure "
        f"(mentees need {_years(need_tenure)})"
    )
    if mentor_ok and mentee_ok:
        return Contribution(
            "eligibility",
            ELIGIBILITY_WEIGHT,
            1.0,
            f"Both meet the program's criteria: {mentor_says} and {mentee_says}.",
        )
    failing = [
        s for s, ok in ((mentor_says, mentor_ok), (mentee_says, mentee_ok)) if not ok
    ]
    return Contribution(
        "eligibility",
        ELIGIBILITY_WEIGHT,
        0.0,
        f"Not eligible for the program: {' and '.join(failing)}.",
    )


def capacity(mentor: Profile, mentee: Profile) -> Contribution:
    """The mentor's share of places still free; none free on either side is zero."""
    if mentee.free_places == 0:
        return Contribution(
            "capacity",
            CAPACITY_WEIGHT,
            0.0,
            f"The mentee has no place free: {mentee.active_mentorships} of "
            f"{mentee.capacity} taken.",
        )
    if mentor.free_places == 0:
        return Contribution(
            "capacity",
            CAPACITY_WEIGHT,
            0.0,
            f"The mentor has no place free: {mentor.active_mentorships} of "
            f"{mentor.capacity} taken.",
        )
    return Contribution(
        "capacity",
        CAPACITY_WEIGHT,
        mentor.free_places / mentor.capacity,
        f"The mentor has {mentor.free_places} of {mentor.capacity} "
        f"place{'' if mentor.capacity == 1 else 's'} free.",
    )


def availability(mentor: Profile, mentee: Profile) -> list[Contribution]:
    """The share of the mentee's times the mentor can meet (if both list times)."""
    wanted = _normal(mentee.availability)
    offered = _normal(mentor.availability)
    if not wanted or not offered:
        return []
    shared = [wanted[k] for k in wanted if k in offered]
    if shared:
        explanation = (
            f"Both can meet at {len(shared)} of the mentee's {len(wanted)} "
            f"times: {_listing(shared)}."
        )
    else:
        explanation = (
            "No time in common: the mentee can meet at "
            f"{_listing(list(wanted.values()))}, the mentor at "
            f"{_listing(list(offered.values()))}."
        )
    return [
        Contribution(
            "availability", AVAILABILITY_WEIGHT, len(shared) / len(wanted), explanation
        )
    ]


def weigher(
    subject: Profile, side: str, program: ProgramProfile
) -> Callable[[Profile], tuple[float, float]]:
    """What match_score's contributions sum to per candidate: (weight * score, weight).

    The subject is a mentee (side "mentee": candidates are mentors) or a mentor;
    what depends on the subject alone is worked out once, and nothing is explained.
    Ranking many candidates scores each with this and explains only the best.
    """
    need_years = float(program.eligibility.get("mentor_min_years_experience", 0))
    need_tenure = float(program.eligibility.get("mentee_min_tenure_years", 0))
    no_criteria = not need_years and not need_tenure
    if side == "mentee":
        wanted = _normal(subject.interests).keys()
        times = _normal(subject.availability).keys()
        subject_ok = subject.tenure_years >= need_tenure
        subject_free = subject.free_places > 0

        def weigh(candidate: Profile) -> tuple[float, float]:
            return _weigh(
                candidate,
                subject,
                wanted,
                _normal(candidate.skills).keys(),
                times,
                _normal(candidate.availability).keys(),
                no_criteria
                or (subject_ok and candidate.years_experience >= need_years),
                subject_free and candidate.free_places > 0,
                program,
            )

        return weigh
    offered = _normal(subject.skills).keys()
    free = _normal(subject.availability).keys()
    subject_ok = subject.years_experience >= need_years
    subject_free = subject.free_places > 0

    def weigh_mentee(candidate: Profile) -> tuple[float, float]:
        return _weigh(
            subject,
            candidate,
            _normal(candidate.interests).keys(),
            offered,
            _normal(candidate.availability).keys(),
            free,
            no_criteria or (subject_ok and candidate.tenure_years >= need_tenure),
            subject_free and candidate.free_places > 0,
            program,
        )

    return weigh_mentee


def _weigh(
    mentor: Profile,
    mentee: Profile,
    wanted: KeysView[str],
    offered: KeysView[str],
    times: KeysView[str],
    free: KeysView[str],
    eligible: bool,
    places: bool,
    program: ProgramProfile,
) -> tuple[float, float]:
    num = STAGE_WEIGHT * _stage_score(mentor, mentee, program)
    den = STAGE_WEIGHT + ELIGIBILITY_WEIGHT + CAPACITY_WEIGHT
    if wanted:
        num += INTERESTS_WEIGHT * (len(wanted & offered) / len(wanted))
        den += INTERESTS_WEIGHT
    if eligible:
        num += ELIGIBILITY_WEIGHT
    if places:
        num += CAPACITY_WEIGHT * (
            (mentor.capacity - mentor.active_mentorships) / mentor.capacity
        )
    if times and free:
        num += AVAILABILITY_WEIGHT * (len(times & free) / len(times))
        den += AVAILABILITY_WEIGHT
    return num, den


def _stage_score(mentor: Profile, mentee: Profile, program: ProgramProfile) -> float:
    """career_stage's score alone."""
    ahead, behind = _stage(mentor), _stage(mentee)
    more = mentor.years_experience - mentee.years_experience
    if ahead is None or behind is None:
        ahead, behind = (1, 0) if more > 0 else (0, 0) if more == 0 else (0, 1)
    if ahead > behind:
        return 1.0
    if ahead < behind:
        return 0.75 if "reverse" in program.formats else 0.0
    if more >= SENIOR_BY_YEARS:
        return 0.75
    if more <= -SENIOR_BY_YEARS:
        return 0.25
    return 1.0 if "peer" in program.formats else 0.5
