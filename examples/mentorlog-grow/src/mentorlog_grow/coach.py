"""A match score for mentees who want a coach: prefer mentors who coach."""

from __future__ import annotations

from mentorlog.plugins.interfaces import Contribution, Profile

COACH_WEIGHT = 1.5
# Interests that say "I want a coach", and skills that say "I coach".
WANTS_A_COACH = frozenset({"coaching", "grow", "grow coaching", "a coach"})
COACHES = frozenset({"coaching", "grow", "grow coaching"})


def _folded(words: tuple[str, ...]) -> set[str]:
    return {" ".join(w.split()).casefold() for w in words}


def coach_contribution(mentor: Profile, mentee: Profile) -> list[Contribution]:
    """One contribution when the mentee asks for a coach; none otherwise."""
    if not _folded(mentee.interests) & WANTS_A_COACH:
        return []
    if _folded(mentor.skills) & COACHES:
        return [
            Contribution(
                "coach",
                COACH_WEIGHT,
                1.0,
                "The mentee wants a coach and the mentor coaches (GROW works well).",
            )
        ]
    return [
        Contribution(
            "coach",
            COACH_WEIGHT,
            0.0,
            "The mentee wants a coach, but the mentor lists no coaching skill.",
        )
    ]
