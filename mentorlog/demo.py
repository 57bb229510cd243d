"""A realistic demo: a program, a dozen people, a mentorship in every format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring

DEMO = "system:demo"

PEOPLE: list[dict[str, Any]] = [
    # name, stage, years, tenure, capacity, skills, interests
    dict(
        key="ada",
        display_name="Ada Okafor",
        career_stage="late",
        years_experience=24,
        tenure_years=12,
        capacity=0,
        skills=["program management"],
        interests=["talent"],
    ),
    dict(
        key="grace",
        display_name="Grace Lindqvist",
        career_stage="late",
        years_experience=21,
        tenure_years=9,
        capacity=3,
        skills=["architecture", "leadership"],
        interests=["mentoring", "distributed systems"],
    ),
    dict(
        key="tomas",
        display_name="Tomás Herrera",
        career_stage="mid",
        years_experience=11,
        tenure_years=6,
        capacity=3,
        skills=["product", "negotiation"],
        interests=["career growth"],
    ),
    dict(
        key="mei",
        display_name="Mei Tanaka",
        career_stage="late",
        years_experience=28,
        tenure_years=15,
        capacity=2,
        skills=["finance", "strategy"],
        interests=["new technology"],
    ),
    dict(
        key="priya",
        display_name="Priya Raman",
        career_stage="early",
        years_experience=5,
        tenure_years=3,
        capacity=2,
        skills=["machine learning", "social media"],
        interests=["leadership"],
    ),
    dict(
        key="sam",
        display_name="Sam Whitfield",
        career_stage="early",
        years_experience=3,
        tenure_years=2.5,
        capacity=2,
        skills=["python"],
        interests=["backend", "public speaking"],
    ),
    dict(
        key="lena",
        display_name="Lena Novak",
        career_stage="early",
        years_experience=2.5,
        tenure_years=2.5,
        capacity=1,
        skills=["testing"],
        interests=["automation"],
    ),
    dict(
        key="kofi",
        display_name="Kofi Mensah",
        career_stage="mid",
        years_experience=8,
        tenure_years=4,
        capacity=2,
        skills=["sales"],
        interests=["management"],
    ),
    dict(
        key="ines",
        display_name="Inês Costa",
        career_stage="mid",
        years_experience=7,
        tenure_years=3,
        capacity=2,
        skills=["design"],
        interests=["research"],
    ),
    dict(
        key="yusuf",
        display_name="Yusuf Demir",
        career_stage="mid",
        years_experience=9,
        tenure_years=5,
        capacity=2,
        skills=["operations"],
        interests=["strategy"],
    ),
    dict(
        key="hana",
        display_name="Hana Kim",
        career_stage="early",
        years_experience=4,
        tenure_years=2,
        capacity=2,
        skills=["data analysis"],
        interests=["product"],
    ),
    dict(
        key="oliver",
        display_name="Oliver Brandt",
        career_stage="early",
        years_experience=3,
        tenure_years=2,
        capacity=2,
        skills=["frontend"],
        interests=["design systems"],
    ),
]

CONNECTION_PLAN = [
    {
        "title": "Set goals",
        "week_start": 1,
        "week_end": 1,
        "agenda": [
            "Get to know each other",
            "Agree expectations",
            "Draft short- and long-term goals",
        ],
    },
    {
        "title": "Refine goals",
        "week_start": 2,
        "week_end": 3,
        "agenda": ["Refine short-term goals", "Agree tasks towards each goal"],
    },
    {
        "title": "Check-in",
        "week_start": 4,
        "week_end": 48,
        "agenda": [
            "Review progress",
            "Troubleshoot challenges",
            "Celebrate milestones",
        ],
    },
    {
        "title": "Closing meeting",
        "week_start": 50,
        "week_end": 52,
        "agenda": ["Review outcomes", "Plan what comes next"],
    },
]


def _day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def _when(days: int, hour: int = 15) -> str:
    moment = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (moment + timedelta(days=days)).isoformat()


def _smart(specific: str, measurable: str, days: int) -> dict[str, Any]:
    return {
        "specific": specific,
        "measurable": measurable,
        "achievable": "Fits in two hours a week alongside current work.",
        "relevant": "Builds towards the next career step.",
        "due": _day(days),
    }


def load_demo(app: Mentoring) -> dict[str, str]:
    """Record the demo through the service; return the IDs of what it made."""
    ids: dict[str, str] = {}
    for spec in PEOPLE:
        spec = dict(spec)
        key = spec.pop("key")
        ids[key] = app.register_person(actor=DEMO, **spec).id
    program = app.create_program(
        actor=DEMO,
        name="Engineering Career Mentoring 2026",
        description="A one-year program pairing experienced staff with colleagues "
        "who want to grow: one hour a month, SMART goals, periodic check-ins.",
        mentor_min_years_experience=5,
        mentee_min_tenure_years=2,
        duration_months=12,
        cadence_days=30,
        formats=["one_on_one", "reverse", "circle", "peer", "group"],
        default_framework="smart",
        admins=[ids["ada"]],
    ).id
    ids["program"] = program
    app.add_starter_goal(
        program,
        actor=DEMO,
        title="Write a personal development plan",
        framework="smart",
        fields=_smart(
            "Write a one-page development plan with my mentor.",
            "The plan is shared with my mentor and my manager.",
            60,
        ),
        locked=True,
    )
    app.add_starter_goal(
        program,
        actor=DEMO,
        title="Meet three people outside my team",
        framework="plain",
        fields={"description": "Expand your network with your mentor's introductions."},
        term="long",
    )
    app.set_connection_plan(program, actor=DEMO, meetings=CONNECTION_PLAN)

    def propose(fmt: str, people: list[tuple[str, str]], purpose: str) -> str:
        mid = app.propose_mentorship(
            actor=DEMO,
            program_id=program,
            format=fmt,
            purpose=purpose,
            participants=[{"person_id": ids[k], "role": role} for k, role in people],
        ).id
        app.start_mentorship(mid, actor=person_actor(ids["ada"]))
        return mid

    # One-on-one: the fullest story.
    one = propose(
        "one_on_one",
        [("grace", "mentor"), ("sam", "mentee")],
        "Grow from junior to mid-level backend engineer.",
    )
    ids["one_on_one"] = one
    grace, sam = person_actor(ids["grace"]), person_actor(ids["sam"])
    app.record_agreement(
        one,
        actor=sam,
        communication="Chat for quick questions; email for documents.",
        confidentiality="What we discuss stays between us unless we agree otherwise.",
        schedule="One hour every second Tuesday.",
        outcomes=["Lead a small project", "Present at the engineering all-hands"],
    )
    app.sign_agreement(one, actor=sam)
    app.sign_agreement(one, actor=grace)
    first = app.schedule_meeting(
        one, actor=sam, scheduled_for=_when(-40), plan_number=1
    )
    app.hold_meeting(
        one, first.id, actor=grace, notes="Agreed expectations; drafted goals."
    )
    smart = app.set_goal(
        one,
        actor=sam,
        title="Lead the billing export project",
        framework="smart",
        fields=_smart(
            "Lead the billing export project from design to release.",
            "Released to all customers with no rollback.",
            120,
        ),
    )
    smarty = app.set_goal(
        one,
        actor=sam,
        title="Give a talk at the all-hands",
        framework="smarty",
        fields={
            **_smart(
                "Give a 15-minute talk at the engineering all-hands.",
                "Talk given; feedback form average of 4 or more.",
                90,
            ),
            "yours": True,
        },
        term="long",
    )
    app.record_goal_progress(
        one, smart.id, actor=sam, percent=40, note="Design approved."
    )
    app.record_goal_progress(
        one, smarty.id, actor=sam, percent=25, note="Topic chosen."
    )
    second = app.schedule_meeting(
        one, actor=sam, scheduled_for=_when(-25), plan_number=2
    )
    app.hold_meeting(
        one, second.id, actor=grace, notes="Refined goals; split the project."
    )
    # Private notes: Grace keeps hers to herself; Sam shares his with Grace.
    app.write_note(
        one,
        actor=grace,
        meeting_id=second.id,
        text="Sam is ready for a stretch assignment; suggest leading a release.",
    )
    worry = app.write_note(
        one,
        actor=sam,
        meeting_id=second.id,
        text="I worry the project split leaves me the dull half.",
    )
    app.share_note(one, worry.id, actor=sam, shared_with=[ids["grace"]])
    milestone = app.reach_milestone(
        one,
        actor=grace,
        title="Design document approved",
        goal_id=smart.id,
        note="First design Sam drove end to end.",
    )
    app.celebrate_milestone(one, milestone.id, actor=grace, how="Team lunch.")
    app.record_review(
        one,
        actor=grace,
        progress_rating=4,
        went_well="Sam drives the agenda.",
        challenges="Estimating work.",
        support=["instrumental", "psychosocial"],
        next_steps="Pair on estimation.",
    )
    app.give_feedback(
        one,
        actor=sam,
        text="Grace's questions help me think.",
        rating=5,
        about_id=ids["grace"],
    )
    app.give_feedback(
        one,
        actor=DEMO,
        source="manager",
        text="Sam now leads stand-ups confidently.",
        about_id=ids["sam"],
    )
    app.schedule_meeting(one, actor=sam, scheduled_for=_when(5), plan_number=3)
    skipped = app.schedule_meeting(
        one, actor=sam, scheduled_for=_when(-10), agenda=["Catch up"]
    )
    app.cancel_meeting(one, skipped.id, actor=grace, reason="Travelling.")

    # Reverse mentoring: the junior person mentors the senior one.
    rev = propose(
        "reverse",
        [("priya", "mentor"), ("mei", "mentee")],
        "Mei learns how machine learning and social media shape the market.",
    )
    ids["reverse"] = rev
    mei = person_actor(ids["mei"])
    okr = app.set_goal(
        rev,
        actor=mei,
        title="Understand machine learning in our products",
        framework="okr",
        fields={
            "objective": "Make informed decisions about ML investments.",
            "key_results": [
                {"description": "Hands-on sessions attended", "target": 6},
                {"description": "Product teams interviewed", "target": 4},
            ],
        },
    )
    app.record_goal_progress(rev, okr.id, actor=mei, key_results=[3, 1])
    held = app.schedule_meeting(
        rev, actor=mei, scheduled_for=_when(-14), agenda=["Demo"]
    )
    app.hold_meeting(
        rev, held.id, actor=person_actor(ids["priya"]), notes="Built a classifier."
    )

    # Circle, peer and group.
    circle = propose(
        "circle",
        [
            ("tomas", "facilitator"),
            ("lena", "member"),
            ("hana", "member"),
            ("oliver", "member"),
            ("sam", "member"),
        ],
        "A circle on moving from individual contributor to lead.",
    )
    ids["circle"] = circle
    app.set_goal(
        circle,
        actor=person_actor(ids["lena"]),
        title="Share one lesson per session",
        framework="plain",
        fields={"description": "Each member brings a story."},
    )
    app.record_review(
        circle,
        actor=person_actor(ids["tomas"]),
        progress_rating=3,
        went_well="Open discussion.",
        challenges="Attendance.",
        support=["psychosocial"],
    )
    peer = propose(
        "peer",
        [("kofi", "peer"), ("ines", "peer"), ("yusuf", "peer")],
        "Mid-career peers preparing for management roles.",
    )
    ids["peer"] = peer
    app.set_goal(
        peer,
        actor=person_actor(ids["kofi"]),
        title="Prepare for a management role",
        framework="okr",
        fields={
            "objective": "Be ready to manage a team.",
            "key_results": [{"description": "Management books discussed", "target": 3}],
        },
    )
    group = propose(
        "group",
        [
            ("tomas", "mentor"),
            ("priya", "mentee"),
            ("oliver", "mentee"),
            ("hana", "mentee"),
        ],
        "Group sessions on career planning.",
    )
    ids["group"] = group
    app.schedule_meeting(
        group, actor=person_actor(ids["tomas"]), scheduled_for=_when(7), plan_number=1
    )

    # A completed one-on-one.
    done = propose(
        "one_on_one",
        [("grace", "mentor"), ("kofi", "mentee")],
        "Negotiation skills for a new sales role.",
    )
    ids["completed"] = done
    goal = app.set_goal(
        done,
        actor=person_actor(ids["kofi"]),
        title="Close a deal on my own",
        framework="plain",
        fields={},
    )
    app.achieve_goal(
        done, goal.id, actor=person_actor(ids["kofi"]), note="Signed in March."
    )
    app.record_review(
        done,
        actor=grace,
        progress_rating=5,
        went_well="Goal achieved.",
        support=["instrumental"],
    )
    app.complete_mentorship(done, actor=grace, note="All goals achieved.")
    return ids


def demo_tokens(app: Mentoring, ids: dict[str, str]) -> dict[str, str]:
    """Issue one token per role: the admin, an auditor and a mentee."""
    admin, _ = app.issue_token(
        actor=DEMO, person_id=ids["ada"], role="admin", program_id=ids["program"]
    )
    auditor, _ = app.issue_token(actor=DEMO, person_id=ids["mei"], role="auditor")
    participant, _ = app.issue_token(
        actor=DEMO, person_id=ids["sam"], role="participant"
    )
    return {"admin": admin, "auditor": auditor, "participant": participant}
