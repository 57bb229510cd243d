"""Matching: ranking candidates by score, and assigning mentees to mentors.

Ranking asks every plugin's match_score (Catalog.match).

The optimal assignment is a rectangular linear sum assignment (scipy's
`linear_sum_assignment`, a shortest augmenting path Hungarian variant) on a score
matrix whose columns are the mentors' free places: a mentor with three places is
three columns. Each mentee takes at most one place, each place at most one mentee,
and the total score is the largest any assignment reaches. Pairs that may not be
matched (an ineligible pair, or a score of zero) are never chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from mentorlog.plugins.builtin import matching as builtin
from mentorlog.plugins.interfaces import Candidate, Match, Profile, ProgramProfile
from mentorlog.plugins.manager import Catalog
from scipy.optimize import linear_sum_assignment

if TYPE_CHECKING:
    from mentorlog.core.program import Program

# Left out of an assignment: pairs scored this low are not matches at all.
UNMATCHABLE = 0.0


def optimal(
    scores: Sequence[Sequence[float]], places: Sequence[int]
) -> list[tuple[int, int]]:
    """(mentee, mentor) index pairs maximising the total score under places.

    `scores[i][j]` scores mentee i with mentor j (UNMATCHABLE or less: never);
    `places[j]` is how many mentees mentor j may still take.
    """
    if not scores or not places or sum(places) == 0:
        return []
    matrix = np.asarray(scores, dtype=float)
    columns = np.repeat(np.arange(len(places)), np.asarray(places, dtype=int))
    expanded = matrix[:, columns]
    rows, cols = linear_sum_assignment(expanded, maximize=True)
    pairs = [
        (int(i), int(columns[c]))
        for i, c in zip(rows, cols, strict=True)
        if expanded[i, c] > UNMATCHABLE
    ]
    return sorted(pairs)


def greedy(
    scores: Sequence[Sequence[float]], places: Sequence[int]
) -> list[tuple[int, int]]:
    """The best-scored pair first, then the next: what optimal is compared with."""
    left = list(places)
    ranked = sorted(
        (
            (score, i, j)
            for i, row in enumerate(scores)
            for j, score in enumerate(row)
            if score > UNMATCHABLE
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    taken: set[int] = set()
    pairs = []
    for _, i, j in ranked:
        if i in taken or left[j] == 0:
            continue
        taken.add(i)
        left[j] -= 1
        pairs.append((i, j))
    return sorted(pairs)


def total(scores: Sequence[Sequence[float]], pairs: Sequence[tuple[int, int]]) -> float:
    """The summed score of an assignment."""
    return float(sum(scores[i][j] for i, j in pairs))


def rank(
    catalog: Catalog,
    program: ProgramProfile,
    subject: Profile,
    side: str,
    candidates: Iterable[Profile],
    limit: int | None = None,
) -> list[tuple[Profile, Match]]:
    """Candidates for a subject on one side, best first, each with its Match.

    The subject is a mentee (side "mentee": candidates are mentors) or a mentor.
    Ties keep the candidates' order. With a limit, the built-in scores are summed
    without their explanations first, and only the best few (and any within
    rounding of the last of them) are explained in full and ranked on their Match.
    """
    pool = list(candidates)

    def pair(candidate: Profile) -> tuple[Profile, Profile]:
        return (candidate, subject) if side == "mentee" else (subject, candidate)

    if limit is not None and limit < 1:
        return []
    if limit is None or len(pool) <= limit:
        scored = [(c, catalog.match(*pair(c), program)) for c in pool]
        return sorted(scored, key=lambda s: -s[1].total)[:limit]
    weighers = [
        builtin.weigher(subject, side, program)
        if scorer.function is builtin.match_score
        else None
        for scorer in catalog.scorers
    ]
    totals = [_total(catalog, weighers, *pair(c), side, program) for c in pool]
    cut = sorted(totals, reverse=True)[limit - 1] - ROUNDING
    shortlist = [
        (c, catalog.match(*pair(c), program))
        for c, t in zip(pool, totals, strict=True)
        if t >= cut
    ]
    return sorted(shortlist, key=lambda s: -s[1].total)[:limit]


# Two sums of the same terms in another order may differ by this much.
ROUNDING = 1e-9


def _total(
    catalog: Catalog,
    weighers: Sequence[Callable[[Profile], tuple[float, float]] | None],
    mentor: Profile,
    mentee: Profile,
    side: str,
    program: ProgramProfile,
) -> float:
    """What catalog.match(...).total is, computing no built-in explanation."""
    num, den = 0.0, 0.0
    candidate = mentor if side == "mentee" else mentee
    for scorer, weigh in zip(catalog.scorers, weighers, strict=True):
        if weigh is not None:
            n, d = weigh(candidate)
            num, den = num + n, den + d
            continue
        for c in scorer(mentor, mentee, program):
            num, den = num + c.weight * c.score, den + c.weight
    return min(1.0, max(0.0, num / den)) if den else 0.0


@dataclass(frozen=True)
class Pairing:
    """A mentor and a mentee who may be matched: in which format, with what score."""

    mentor_id: str
    mentee_id: str
    format: str
    mentor_role: str
    mentee_role: str
    match: Match


@dataclass(frozen=True)
class Suggestion:
    """A candidate for someone enrolled, with the match's score and explanation."""

    person_id: str
    side: str
    pairing: Pairing


def contributions_of(match: Match) -> list[dict[str, Any]]:
    """A match's contributions as stored in an event."""
    return [
        {
            "name": c.name,
            "weight": c.weight,
            "score": c.score,
            "explanation": c.explanation,
        }
        for c in match.contributions
    ]


def program_profile(program: Program) -> ProgramProfile:
    """A program as matching sees it."""
    return ProgramProfile(str(program.id), program.eligibility, tuple(program.formats))


def candidate(profile: Profile, role: str) -> Candidate:
    """A profile as a format's rules see it, in one role."""
    return Candidate(
        person_id=profile.person_id,
        role=role,
        career_stage=profile.career_stage,
        years_experience=profile.years_experience,
        tenure_years=profile.tenure_years,
    )
