"""The demo's next cohort: newcomers register, apply, are enrolled, ask mentors.

demo.py records it last, two days before the demo is loaded (its clock is
simulated), after the mentorships' stories; `ids` names the demo's people and
program and gains the newcomers and Noor's request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring

# The next cohort's newcomers: key, name, career stage, years, tenure, capacity;
# skills, interests.
NEWCOMERS: list[tuple[str, str, str, float, float, int, list[str], list[str]]] = [
    ("noor", "Noor Haddad", "early", 3, 2.5, 1, ["sql"], ["product strategy"]),
    ("ravi", "Ravi Patel", "early", 4, 3, 1, ["java"], ["budgeting"]),
    ("zoe", "Zoe Martin", "early", 2.5, 2, 1, ["go"], ["system design"]),
    ("ben", "Ben Carter", "early", 3, 2, 1, ["css"], ["leadership"]),
]
# The next cohort's applicants: key, side, answers.
APPLICANTS: list[tuple[str, str, dict[str, Any]]] = [
    ("grace", "mentor", {"skills": ["system design"], "availability": ["tue-pm"]}),
    ("tomas", "mentor", {"skills": ["product strategy"], "availability": ["mon-am"]}),
    ("mei", "mentor", {"skills": ["budgeting"], "availability": ["tue-pm", "thu-am"]}),
    (
        "sam",
        "mentee",
        {
            "interests": ["system design"],
            "goals": ["Lead a design review"],
            "availability": ["tue-pm"],
            "about": "Backend engineer, two years in.",
        },
    ),
    ("noor", "mentee", {"goals": ["Move into product"], "availability": ["mon-am"]}),
    ("ravi", "mentee", {"availability": ["thu-am"]}),
    ("zoe", "mentee", {"availability": ["tue-pm"]}),
    ("ben", "mentee", {"availability": ["mon-am"]}),
]


def load_intake(app: Mentoring, ids: dict[str, str]) -> None:
    """Yesterday: the next cohort's intake opens, people apply, one waits."""
    program, ada = ids["program"], person_actor(ids["ada"])
    for key, name, stage, years, tenure, capacity, skills, interests in NEWCOMERS:
        ids[key] = app.register_person(
            actor=ada,
            display_name=name,
            career_stage=stage,
            years_experience=years,
            tenure_years=tenure,
            capacity=capacity,
            skills=skills,
            interests=interests,
        ).id
    app.configure_intake(
        program,
        actor=ada,
        is_open=True,
        cohort_start=(datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
        cohort_end=(datetime.now(UTC) + timedelta(days=395)).date().isoformat(),
        mentor_places=4,
        mentee_places=4,
        request_days=14,
    )
    for key, side, answers in APPLICANTS:
        # Sam applies himself; the others through the program's admin.
        actor = person_actor(ids["sam"]) if key == "sam" else ada
        app.apply_to_program(
            program, actor=actor, person_id=ids[key], side=side, answers=answers
        )
        app.approve_application(program, actor=ada, person_id=ids[key])
    # Yusuf's application waits for Ada.
    app.apply_to_program(
        program,
        actor=ada,
        person_id=ids["yusuf"],
        side="mentor",
        answers={"skills": ["operations"], "availability": ["mon-am"]},
    )
    ids["request"] = app.request_mentor(
        program,
        actor=person_actor(ids["noor"]),
        mentee_id=ids["noor"],
        mentor_id=ids["tomas"],
        message="Could you help me move into product?",
    ).id
    app.request_mentor(
        program,
        actor=person_actor(ids["ravi"]),
        mentee_id=ids["ravi"],
        mentor_id=ids["mei"],
        message="I would like to learn budgeting for my team.",
    )
