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

import heapq
from collections.abc import Iterable, Sequence

import numpy as np
from mentorlog.plugins.interfaces import Match, Profile, ProgramProfile
from mentorlog.plugins.manager import Catalog
from scipy.optimize import linear_sum_assignment

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
    Ties keep the candidates' order.
    """
    scored = [
        (
            candidate,
            catalog.match(candidate, subject, program)
            if side == "mentee"
            else catalog.match(subject, candidate, program),
        )
        for candidate in candidates
    ]
    if limit is None:
        return sorted(scored, key=lambda s: -s[1].total)
    return heapq.nsmallest(limit, scored, key=lambda s: -s[1].total)
