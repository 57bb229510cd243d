"""Bulk matching against a greedy assignment, and one mentee's suggestions.

Setup (not timed) makes seeded, realistic profiles: topics drawn from 40, two to
five skills per mentor and interests per mentee, one to three of 10 weekly slots,
career stages and experience that pass or fail the program's criteria now and then.

- Bulk: --mentees mentees and --mentors mentors with 3-4 places each. Scoring
  every pair through Catalog.match (every installed match_score plugin, as the
  service does) is timed apart from the assignment; the optimal assignment
  (core/matching.optimal: scipy's linear_sum_assignment, mentors expanded by
  places) is timed against the greedy one on the same scores, and the ratio of
  their totals printed (optimal / greedy, at least 1).
- Suggestions: one mentee against --candidates mentors, ranked by
  core/matching.rank (what matchSuggestions runs once the profiles are loaded),
  --queries times with a different mentee each; p50, p99 and max in ms, against
  the 50 ms target for the p99.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from mentorlog.core import matching
from mentorlog.plugins.interfaces import CAREER_STAGES, Profile, ProgramProfile
from mentorlog.plugins.manager import load_catalog

TOPICS = [f"topic {i}" for i in range(40)]
SLOTS = [f"{d}-{h}" for d in ("mon", "tue", "wed", "thu", "fri") for h in ("am", "pm")]
PROGRAM = ProgramProfile(
    "bench",
    {"mentor_min_years_experience": 5, "mentee_min_tenure_years": 1},
    ("one_on_one",),
)
TARGET_P99_MS = 50.0


def mentor(r: random.Random, i: int) -> Profile:
    """A mentor with 3-4 places, mostly mid or late career."""
    years = r.uniform(3, 30)
    return Profile(
        f"mentor-{i}",
        r.choice(CAREER_STAGES[1:]),
        years,
        min(years, r.uniform(1, 15)),
        tuple(r.sample(TOPICS, r.randint(2, 5))),
        (),
        r.randint(3, 4),
        0,
        tuple(r.sample(SLOTS, r.randint(1, 3))),
    )


def mentee(r: random.Random, i: int) -> Profile:
    """A mentee with one place, mostly early career."""
    years = r.uniform(0.5, 10)
    return Profile(
        f"mentee-{i}",
        r.choice(CAREER_STAGES[:2]),
        years,
        min(years, r.uniform(0.5, 6)),
        (),
        tuple(r.sample(TOPICS, r.randint(2, 5))),
        1,
        0,
        tuple(r.sample(SLOTS, r.randint(1, 3))),
    )


def bulk(args: argparse.Namespace, r: random.Random) -> None:
    """Score every pair, then assign optimally and greedily; print both."""
    catalog = load_catalog()
    mentees = [mentee(r, i) for i in range(args.mentees)]
    mentors = [mentor(r, i) for i in range(args.mentors)]
    started = time.perf_counter()
    scores = [[catalog.match(m, e, PROGRAM).total for m in mentors] for e in mentees]
    scoring = time.perf_counter() - started
    places = [m.free_places for m in mentors]
    started = time.perf_counter()
    best = matching.optimal(scores, places)
    optimal_s = time.perf_counter() - started
    started = time.perf_counter()
    quick = matching.greedy(scores, places)
    greedy_s = time.perf_counter() - started
    optimal_total, greedy_total = (
        matching.total(scores, best),
        matching.total(scores, quick),
    )
    plugins = ", ".join(p.name for p in catalog.plugins)
    print(
        f"bulk: {args.mentees} mentees x {args.mentors} mentors "
        f"({sum(places)} places); plugins: {plugins}"
    )
    print(f"  scoring {len(mentees) * len(mentors):,} pairs: {scoring:.2f} s")
    print(
        f"  optimal (linear_sum_assignment): {optimal_s * 1000:.0f} ms, "
        f"{len(best)} matched, total {optimal_total:.2f}"
    )
    print(
        f"  greedy: {greedy_s * 1000:.0f} ms, {len(quick)} matched, "
        f"total {greedy_total:.2f}"
    )
    print(f"  optimal / greedy total: {optimal_total / greedy_total:.4f}")
    assert optimal_total >= greedy_total - 1e-9


def suggestions(args: argparse.Namespace, r: random.Random) -> None:
    """Rank --candidates mentors for --queries different mentees; print percentiles."""
    catalog = load_catalog()
    candidates = [mentor(r, i) for i in range(args.candidates)]
    times = []
    for i in range(args.queries):
        subject = mentee(r, i)
        started = time.perf_counter()
        matching.rank(catalog, PROGRAM, subject, "mentee", candidates, limit=10)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
    print(f"suggestions: one mentee among {args.candidates:,} candidates")
    print(
        f"  p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms, "
        f"max {times[-1]:.1f} ms over {args.queries} queries "
        f"(target p99 < {TARGET_P99_MS:.0f} ms: {verdict})"
    )


def main() -> None:
    """Run both measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=1000)
    parser.add_argument("--mentors", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    r = random.Random(args.seed)
    bulk(args, r)
    suggestions(args, r)


if __name__ == "__main__":
    main()
