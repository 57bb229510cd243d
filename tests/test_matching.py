"""Match scores: the built-in contributions and Catalog.match on realistic people."""

from __future__ import annotations

import math

import pytest
from mentorlog.core.application import Mentoring
from mentorlog.plugins.builtin import matching
from mentorlog.plugins.interfaces import Contribution, Match, Profile, ProgramProfile
from mentorlog.plugins.manager import Catalog, load_catalog

from tests.conftest import INSTALLED_PLUGINS, SYSTEM, World

# Domain rules, checked in the service before anything is stored: one backend is
# enough (test_replay, test_lifecycle and the API tests run on both).
pytestmark = pytest.mark.sqlite_only("domain rules, the same on every store")

ENGINEERING = ProgramProfile(
    "engineering",
    {"mentor_min_years_experience": 5, "mentee_min_tenure_years": 2},
    ("one_on_one",),
)
OPEN = ProgramProfile("open", {}, ("one_on_one",))


def mentor(
    stage: str = "late",
    years: float = 15,
    skills: tuple[str, ...] = ("Python", "Leadership", "Kubernetes"),
    capacity: int = 3,
    active: int = 1,
) -> Profile:
    """A mentor: by default late career, 15 years, 2 of 3 places free."""
    return Profile("maya", stage, years, 6, skills, ("hiking",), capacity, active)


def mentee(
    stage: str = "early",
    years: float = 3,
    tenure: float = 3,
    interests: tuple[str, ...] = ("python", "leadership", "public speaking"),
    capacity: int = 1,
    active: int = 0,
) -> Profile:
    """A mentee: by default early career, 3 years, three interests, a place free."""
    return Profile("milo", stage, years, tenure, ("sql",), interests, capacity, active)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The built-in plugins only."""
    return load_catalog(INSTALLED_PLUGINS)


# -- interests -----------------------------------------------------------------


def test_interests_share_of_the_mentees_interests_among_the_mentors_skills() -> None:
    part = matching.interests(mentor(), mentee())
    assert (part.name, part.weight) == ("interests", matching.INTERESTS_WEIGHT)
    assert part.score == pytest.approx(2 / 3)
    assert part.explanation == (
        "Shares 2 of the mentee's 3 interests: python, leadership."
    )


def test_interests_ignore_case_spacing_and_repeats() -> None:
    part = matching.interests(
        mentor(skills=("public speaking", "PYTHON")),
        mentee(interests=("Public  Speaking", "python", "Python", "go")),
    )
    assert part.score == pytest.approx(2 / 3)
    assert part.explanation == (
        "Shares 2 of the mentee's 3 interests: Public Speaking, python."
    )


def test_interests_none_shared_scores_zero_and_names_what_was_wanted() -> None:
    part = matching.interests(mentor(skills=("rust",)), mentee(interests=("design",)))
    assert part.score == 0.0
    assert part.explanation == "Shares none of the mentee's 1 interest (design)."


def test_interests_without_any_explain_but_do_not_count(catalog: Catalog) -> None:
    part = matching.interests(mentor(), mentee(interests=()))
    assert (part.weight, part.score) == (0.0, 0.0)
    assert "lists no interests" in part.explanation
    match = catalog.match(mentor(), mentee(interests=()), ENGINEERING)
    counted = [c for c in match.contributions if c.name != "interests"]
    assert match.total == pytest.approx(Match.of(counted).total)


# -- career stage ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentor_at", "mentee_at", "formats", "score", "says"),
    [
        (("late", 15), ("early", 3), (), 1.0, "The mentor is further along"),
        (("mid", 8), ("early", 6), (), 1.0, "mentor is mid career, the mentee early"),
        (("mid", 12), ("mid", 7), (), 0.75, "the mentor has 5 years more"),
        (("mid", 9), ("mid", 7), (), 0.5, "more peers than mentor and mentee"),
        (("mid", 5), ("mid", 9), ("peer",), 0.25, "the mentee has 4 years more"),
        (("mid", 9), ("mid", 7), ("peer",), 1.0, "the program's peer mentoring"),
        (("early", 2), ("late", 20), (), 0.0, "at an earlier career stage"),
        (("early", 2), ("late", 20), ("reverse",), 0.75, "reverse mentoring"),
    ],
)
def test_career_stage_gap(
    mentor_at: tuple[str, float],
    mentee_at: tuple[str, float],
    formats: tuple[str, ...],
    score: float,
    says: str,
) -> None:
    program = ProgramProfile("p", {}, ("one_on_one", *formats))
    part = matching.career_stage(
        mentor(*mentor_at), mentee(*mentee_at, tenure=1), program
    )
    assert (part.name, part.weight, part.score) == (
        "career_stage",
        matching.STAGE_WEIGHT,
        score,
    )
    assert says in part.explanation


def test_career_stage_unknown_stage_falls_back_on_years() -> None:
    ahead = matching.career_stage(mentor("staff", 12), mentee("junior", 2), OPEN)
    behind = matching.career_stage(mentor("staff", 2), mentee("junior", 12), OPEN)
    assert (ahead.score, behind.score) == (1.0, 0.0)


# -- eligibility -------------------------------------------------------------------


def test_eligibility_both_meet_the_criteria_at_the_minimum() -> None:
    part = matching.eligibility(mentor(years=5), mentee(tenure=2), ENGINEERING)
    assert (part.name, part.score) == ("eligibility", 1.0)
    assert part.explanation == (
        "Both meet the program's criteria: the mentor has 5 years of experience "
        "(mentors need 5 years) and the mentee has 2 years of tenure (mentees need "
        "2 years)."
    )


@pytest.mark.parametrize(
    ("years", "tenure", "blamed"),
    [
        (4.5, 3, ["the mentor has 4.5 years of experience (mentors need 5 years)"]),
        (15, 1, ["the mentee has 1 year of tenure (mentees need 2 years)"]),
        (1, 0, ["the mentor has 1 year", "and the mentee has 0 years of tenure"]),
    ],
)
def test_eligibility_not_met_scores_zero_naming_who(
    years: float, tenure: float, blamed: list[str]
) -> None:
    part = matching.eligibility(
        mentor(years=years), mentee(years=3, tenure=tenure), ENGINEERING
    )
    assert part.score == 0.0
    assert part.explanation.startswith("Not eligible for the program: ")
    for words in blamed:
        assert words in part.explanation


def test_eligibility_without_criteria_and_weighs_most() -> None:
    part = matching.eligibility(mentor(years=0), mentee(tenure=0), OPEN)
    assert part.score == 1.0
    assert part.explanation == "The program sets no eligibility criteria."
    others = (
        matching.INTERESTS_WEIGHT,
        matching.STAGE_WEIGHT,
        matching.CAPACITY_WEIGHT,
    )
    assert part.weight == matching.ELIGIBILITY_WEIGHT > max(others)


# -- capacity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentor_places", "mentee_places", "score", "says"),
    [
        ((3, 1), (1, 0), 2 / 3, "The mentor has 2 of 3 places free."),
        ((1, 0), (1, 0), 1.0, "The mentor has 1 of 1 place free."),
        ((2, 2), (1, 0), 0.0, "The mentor has no place free: 2 of 2 taken."),
        ((0, 0), (1, 0), 0.0, "The mentor has no place free: 0 of 0 taken."),
        ((3, 0), (1, 1), 0.0, "The mentee has no place free: 1 of 1 taken."),
    ],
)
def test_capacity_is_the_mentors_share_of_free_places(
    mentor_places: tuple[int, int],
    mentee_places: tuple[int, int],
    score: float,
    says: str,
) -> None:
    part = matching.capacity(
        mentor(capacity=mentor_places[0], active=mentor_places[1]),
        mentee(capacity=mentee_places[0], active=mentee_places[1]),
    )
    assert (part.name, part.weight) == ("capacity", matching.CAPACITY_WEIGHT)
    assert part.score == pytest.approx(score)
    assert part.explanation == says


# -- Catalog.match ---------------------------------------------------------------------


def test_match_is_the_weighted_mean_listed_by_impact(catalog: Catalog) -> None:
    match = catalog.match(mentor(), mentee(), ENGINEERING)
    # eligibility 4 x 1, career stage 1 x 1, interests 2 x 2/3, capacity 1 x 2/3.
    assert match.total == pytest.approx((4 + 1 + 4 / 3 + 2 / 3) / 8)
    assert [c.name for c in match.contributions] == [
        "eligibility",
        "career_stage",
        "interests",
        "capacity",
    ]
    impacts = [c.impact for c in match.contributions]
    assert impacts == sorted(impacts, reverse=True)
    assert match.contribution("interests") == matching.interests(mentor(), mentee())
    assert match.contribution("missing") is None


def test_the_best_suited_mentor_ranks_first_and_an_ineligible_one_last(
    catalog: Catalog,
) -> None:
    wanted = mentee()
    everything = ("python", "leadership", "public speaking")
    candidates = {
        "too new": mentor("mid", 4, everything),
        "peer": mentor("early", 5, ("cobol",)),
        "busy": mentor(capacity=2, active=2),
        "unrelated": mentor(skills=("cobol",)),
        "expert": mentor(),
    }
    scores = {
        name: catalog.match(person, wanted, ENGINEERING).total
        for name, person in candidates.items()
    }
    ranking = sorted(scores, key=lambda name: scores[name], reverse=True)
    assert ranking == ["expert", "busy", "unrelated", "peer", "too new"]
    # Perfect interests cannot make up for failing the program's criteria.
    too_new = catalog.match(candidates["too new"], wanted, ENGINEERING)
    assert too_new.contributions[0].name == "eligibility"
    assert too_new.contributions[0].score == 0.0
    assert too_new.total <= 0.5


def test_match_without_the_built_in_plugin_has_nothing_to_weigh() -> None:
    match = load_catalog(disabled=["matching", *INSTALLED_PLUGINS]).match(
        mentor(), mentee(), OPEN
    )
    assert match == Match(0.0, ())


def _part(match: Match, name: str) -> Contribution:
    """The contribution with this name, which must be there."""
    part = match.contribution(name)
    assert part is not None, f"no '{name}' in {match}"
    return part


def _profile(app: Mentoring, person_id: str) -> Profile:
    """A registered person as matching sees them."""
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


def test_registered_people_match_as_their_profiles(
    app: Mentoring, world: World
) -> None:
    coach = app.register_person(
        actor=SYSTEM,
        display_name="Cleo Coach",
        career_stage="late",
        years_experience=18,
        tenure_years=7,
        skills=["Python", "Leadership"],
        capacity=2,
    ).id
    learner = app.register_person(
        actor=SYSTEM,
        display_name="Lee Learner",
        career_stage="early",
        years_experience=2,
        tenure_years=2,
        interests=["python", "leadership", "public speaking"],
    ).id
    record = app.get_program(world.program)
    program = ProgramProfile(str(record.id), record.eligibility, tuple(record.formats))
    before = app.catalog.match(_profile(app, coach), _profile(app, learner), program)
    assert _part(before, "capacity").score == 1.0

    # Once the coach mentors someone, one place of two is left.
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=world.program,
        format="one_on_one",
        participants=[
            {"person_id": coach, "role": "mentor"},
            {"person_id": world.mentee, "role": "mentee"},
        ],
    ).id
    app.start_mentorship(mentorship, actor=SYSTEM)
    after = app.catalog.match(_profile(app, coach), _profile(app, learner), program)
    parts = {c.name: c for c in after.contributions}
    assert parts["capacity"].score == 0.5
    assert parts["capacity"].explanation == "The mentor has 1 of 2 places free."
    assert parts["interests"].explanation == (
        "Shares 2 of the mentee's 3 interests: python, leadership."
    )
    assert parts["eligibility"].score == 1.0
    assert "mentors need 5 years" in parts["eligibility"].explanation
    assert after.total < before.total

    # The world's mentee has no place left: the match says so.
    busy = app.catalog.match(
        _profile(app, world.mentor), _profile(app, world.mentee), program
    )
    assert _part(busy, "capacity").explanation == (
        "The mentee has no place free: 1 of 1 taken."
    )


# -- the values themselves -------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "score"),
    [(1, -0.1), (1, 1.01), (-1, 0.5), (math.inf, 0.5), (1, math.nan)],
)
def test_a_contribution_refuses_a_weight_or_score_out_of_range(
    weight: float, score: float
) -> None:
    with pytest.raises(ValueError, match="contribution 'x'"):
        Contribution("x", weight, score, "Why.")


def test_match_of_zero_weights_is_zero_and_ties_keep_their_order() -> None:
    a = Contribution("a", 0.0, 1.0, "A.")
    b = Contribution("b", 0.0, 0.0, "B.")
    assert Match.of([a, b]) == Match(0.0, (a, b))
    high = Contribution("high", 2.0, 1.0, "High.")
    low = Contribution("low", 2.0, 0.0, "Low.")
    assert Match.of([a, high, low]) == Match(0.5, (high, low, a))


def test_profiles_hold_tuples_and_never_negative_free_places() -> None:
    skills: list[str] = ["go"]
    person = Profile("p", "mid", 5, 2, skills, "design", 1, 3)  # type: ignore[arg-type]
    assert (person.skills, person.interests, person.free_places) == (
        ("go",),
        ("design",),
        0,
    )
    criteria = {"mentee_min_tenure_years": 1.0}
    program = ProgramProfile("p", criteria, ["peer"])  # type: ignore[arg-type]
    assert program.formats == ("peer",)
    criteria["mentee_min_tenure_years"] = 9
    assert program.eligibility == {"mentee_min_tenure_years": 1.0}


@pytest.mark.parametrize(
    "program",
    [
        ENGINEERING,
        OPEN,
        ProgramProfile("peers", {"mentor_min_years_experience": 2}, ("peer",)),
        ProgramProfile("reverse", {}, ("reverse", "one_on_one")),
    ],
)
def test_ranking_the_best_few_gives_the_full_rankings_head_exactly(
    catalog: Catalog, program: ProgramProfile
) -> None:
    import random

    from mentorlog.core import matching as ranking
    from mentorlog.plugins.interfaces import CAREER_STAGES

    r = random.Random(7)
    topics = [f"Topic {i}" for i in range(12)] + ["  topic 3 ", "TOPIC 4"]
    slots = ["mon-am", "tue-pm", "wed-am", "Mon-AM"]

    def person(i: int) -> Profile:
        years = r.choice([0.5, 2, 3, 5, 8, 15])
        capacity = r.randint(1, 4)
        return Profile(
            f"p{i}",
            r.choice([*CAREER_STAGES, "unknown"]),
            years,
            r.choice([0, 1, 2, 5]),
            tuple(r.sample(topics, r.randint(0, 4))),
            tuple(r.sample(topics, r.randint(0, 4))),
            capacity,
            r.randint(0, capacity),
            tuple(r.sample(slots, r.randint(0, 2))),
        )

    people = [person(i) for i in range(300)]
    for side in ("mentee", "mentor"):
        for subject in people[:20]:
            full = ranking.rank(catalog, program, subject, side, people)
            for limit in (1, 5, 25):
                head = ranking.rank(catalog, program, subject, side, people, limit)
                assert head == full[:limit]
