"""A realistic demo: a dozen people, a mentorship per format, six simulated months."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.clock import simulated
from mentorlog.demo_intake import load_intake

DEMO = "system:demo"

# key, name, career stage, years of experience, tenure, capacity; skills, interests
# fmt: off
PEOPLE: list[tuple[str, str, str, float, float, int, list[str], list[str]]] = [
    ("ada", "Ada Okafor", "late", 24, 12, 0,
     ["program management"], ["talent"]),
    ("grace", "Grace Lindqvist", "late", 21, 9, 3,
     ["architecture", "leadership"], ["mentoring", "distributed systems"]),
    ("tomas", "Tomás Herrera", "mid", 11, 6, 3,
     ["product", "negotiation"], ["career growth"]),
    ("mei", "Mei Tanaka", "late", 28, 15, 2,
     ["finance", "strategy"], ["new technology"]),
    ("priya", "Priya Raman", "early", 5, 3, 2,
     ["machine learning", "social media"], ["leadership"]),
    ("sam", "Sam Whitfield", "early", 3, 2.5, 2,
     ["python"], ["backend", "public speaking"]),
    ("lena", "Lena Novak", "early", 2.5, 2.5, 1,
     ["testing"], ["automation"]),
    ("kofi", "Kofi Mensah", "mid", 8, 4, 2,
     ["sales"], ["management"]),
    ("ines", "Inês Costa", "mid", 7, 3, 2,
     ["design"], ["research"]),
    ("yusuf", "Yusuf Demir", "mid", 9, 5, 2,
     ["operations"], ["strategy"]),
    ("hana", "Hana Kim", "early", 4, 2, 2,
     ["data analysis"], ["product"]),
    ("oliver", "Oliver Brandt", "early", 3, 2, 2,
     ["frontend"], ["design systems"]),
]
# fmt: on

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


DAYS = 180  # the demo's history starts this many days before it is loaded
TICK = timedelta(minutes=3)  # between two events of one session
Story = Iterator[float]  # yields the day (and fraction of a day) of its next step


class DemoClock:
    """The demo's simulated clock: days since its start, a few minutes per event."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.moment = start

    def at(self, day: float) -> None:
        """Move to a later moment: day `day` (its fraction gives the hour)."""
        moment = self.start + timedelta(days=day)
        if moment < self.moment:
            raise ValueError(f"the demo's clock cannot go back to day {day}")
        self.moment = moment

    def __call__(self) -> datetime:
        """The next event's time: a tick after the last one."""
        self.moment += TICK
        return self.moment

    def when(self, day: float) -> str:
        """An ISO date-time on day `day`, for a meeting's scheduled time."""
        return (self.start + timedelta(days=day)).isoformat()

    def date(self, day: float) -> str:
        """An ISO date on day `day`, for a goal's due date."""
        return (self.start + timedelta(days=day)).date().isoformat()


def at(day: int, hour: int = 10) -> float:
    """A story's step on day `day` at `hour` o'clock."""
    return day + hour / 24


def load_demo(app: Mentoring) -> dict[str, str]:
    """Record the demo through the service; return the IDs of what it made.

    Its history is simulated: it starts DAYS days ago, and each mentorship's story
    unfolds over the months since (meetings weeks apart, one that went quiet, one
    completed after four months). Events are recorded in the order of their
    simulated times, so the log, the chain and every as-of view agree.
    """
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = DemoClock(today - timedelta(days=DAYS))
    ids: dict[str, str] = {}
    with simulated(clock):
        clock.at(at(0, 9))
        _setup(app, clock, ids)
        stories = [
            _one_on_one(app, clock, ids),
            _reverse(app, clock, ids),
            _circle(app, ids),
            _peer(app, ids),
            _group(app, clock, ids),
            _completed(app, ids),
        ]
        _unfold(clock, stories)
        elapsed = (clock.moment - clock.start) / timedelta(days=1)
        clock.at(max(elapsed, DAYS - 2 + 9 / 24))
        load_intake(app, ids)
    if clock.moment > datetime.now(UTC):
        raise ValueError("the demo's simulated history reaches into the future")
    return ids


def _unfold(clock: DemoClock, stories: list[Story]) -> None:
    """Run the stories' steps in the order of their days, interleaved."""
    pending = [(day, i, s) for i, s in enumerate(stories) if (day := next(s, None))]
    heapq.heapify(pending)
    while pending:
        day, i, story = heapq.heappop(pending)
        clock.at(day)
        later = next(story, None)
        if later is not None:
            heapq.heappush(pending, (later, i, story))


def _setup(app: Mentoring, clock: DemoClock, ids: dict[str, str]) -> None:
    """Day 0: the people, the program, its starter goals and connection plan."""
    for key, name, stage, years, tenure, capacity, skills, interests in PEOPLE:
        ids[key] = app.register_person(
            actor=DEMO,
            display_name=name,
            email=f"{key}@example.org",  # where email nudges reach them
            career_stage=stage,
            years_experience=years,
            tenure_years=tenure,
            capacity=capacity,
            skills=skills,
            interests=interests,
        ).id
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
            clock.date(60),
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


def _smart(specific: str, measurable: str, due: str) -> dict[str, Any]:
    return {
        "specific": specific,
        "measurable": measurable,
        "achievable": "Fits in two hours a week alongside current work.",
        "relevant": "Builds towards the next career step.",
        "due": due,
    }


def _propose(
    app: Mentoring,
    ids: dict[str, str],
    fmt: str,
    people: list[tuple[str, str]],
    purpose: str,
) -> str:
    """Propose a mentorship in the demo program; its admin starts it."""
    mid = app.propose_mentorship(
        actor=DEMO,
        program_id=ids["program"],
        format=fmt,
        purpose=purpose,
        participants=[{"person_id": ids[k], "role": role} for k, role in people],
    ).id
    app.start_mentorship(mid, actor=person_actor(ids["ada"]))
    return mid


def _one_on_one(app: Mentoring, clock: DemoClock, ids: dict[str, str]) -> Story:
    """The fullest story: Grace mentors Sam, meeting every few weeks."""
    yield at(3)
    one = _propose(
        app,
        ids,
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
    yield at(4, 9)
    app.sign_agreement(one, actor=grace)
    first = app.schedule_meeting(
        one, actor=sam, scheduled_for=clock.when(at(7, 15)), plan_number=1
    )
    yield at(7, 16)
    app.hold_meeting(
        one, first.id, actor=grace, notes="Agreed expectations; drafted goals."
    )
    yield at(8, 11)
    smart = app.set_goal(
        one,
        actor=sam,
        title="Lead the billing export project",
        framework="smart",
        fields=_smart(
            "Lead the billing export project from design to release.",
            "Released to all customers with no rollback.",
            clock.date(128),
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
                clock.date(98),
            ),
            "yours": True,
        },
        term="long",
    )
    yield at(15, 17)
    app.record_goal_progress(
        one, smart.id, actor=sam, percent=40, note="Design approved."
    )
    app.record_goal_progress(
        one, smarty.id, actor=sam, percent=25, note="Topic chosen."
    )
    second = app.schedule_meeting(
        one, actor=sam, scheduled_for=clock.when(at(21, 15)), plan_number=2
    )
    yield at(21, 16)
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
    yield at(49, 14)
    milestone = app.reach_milestone(
        one,
        actor=grace,
        title="Design document approved",
        goal_id=smart.id,
        note="First design Sam drove end to end.",
    )
    yield at(50, 13)
    app.celebrate_milestone(one, milestone.id, actor=grace, how="Team lunch.")
    yield at(63, 16)
    app.record_review(
        one,
        actor=grace,
        progress_rating=4,
        went_well="Sam drives the agenda.",
        challenges="Estimating work.",
        support=["instrumental", "psychosocial"],
        next_steps="Pair on estimation.",
    )
    yield at(64, 9)
    app.give_feedback(
        one,
        actor=sam,
        text="Grace's questions help me think.",
        rating=5,
        about_id=ids["grace"],
    )
    yield at(70, 11)
    app.give_feedback(
        one,
        actor=DEMO,
        source="manager",
        text="Sam now leads stand-ups confidently.",
        about_id=ids["sam"],
    )
    yield at(140, 9)
    # The next check-in is still ahead when the demo is loaded.
    app.schedule_meeting(
        one, actor=sam, scheduled_for=clock.when(at(DAYS + 5, 15)), plan_number=3
    )
    yield at(150, 9)
    skipped = app.schedule_meeting(
        one, actor=sam, scheduled_for=clock.when(at(160, 15)), agenda=["Catch up"]
    )
    yield at(158, 18)
    app.cancel_meeting(one, skipped.id, actor=grace, reason="Travelling.")


def _reverse(app: Mentoring, clock: DemoClock, ids: dict[str, str]) -> Story:
    """Reverse mentoring: the junior Priya mentors the senior Mei, then it stalls."""
    yield at(10)
    rev = _propose(
        app,
        ids,
        "reverse",
        [("priya", "mentor"), ("mei", "mentee")],
        "Mei learns how machine learning and social media shape the market.",
    )
    ids["reverse"] = rev
    mei = person_actor(ids["mei"])
    yield at(11, 14)
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
    yield at(20, 17)
    app.record_goal_progress(rev, okr.id, actor=mei, key_results=[3, 1])
    yield at(24, 9)
    held = app.schedule_meeting(
        rev, actor=mei, scheduled_for=clock.when(at(31, 14)), agenda=["Demo"]
    )
    yield at(31, 15)
    app.hold_meeting(
        rev, held.id, actor=person_actor(ids["priya"]), notes="Built a classifier."
    )


def _circle(app: Mentoring, ids: dict[str, str]) -> Story:
    """A circle on moving from individual contributor to lead."""
    yield at(12)
    circle = _propose(
        app,
        ids,
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
    yield at(19, 12)
    app.set_goal(
        circle,
        actor=person_actor(ids["lena"]),
        title="Share one lesson per session",
        framework="plain",
        fields={"description": "Each member brings a story."},
    )
    yield at(60, 17)
    app.record_review(
        circle,
        actor=person_actor(ids["tomas"]),
        progress_rating=3,
        went_well="Open discussion.",
        challenges="Attendance.",
        support=["psychosocial"],
    )


def _peer(app: Mentoring, ids: dict[str, str]) -> Story:
    """Peers preparing for management: one goal in the first weeks, then silence."""
    yield at(12, 11)
    peer = _propose(
        app,
        ids,
        "peer",
        [("kofi", "peer"), ("ines", "peer"), ("yusuf", "peer")],
        "Mid-career peers preparing for management roles.",
    )
    ids["peer"] = peer
    yield at(15, 16)
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


def _group(app: Mentoring, clock: DemoClock, ids: dict[str, str]) -> Story:
    """Group sessions on career planning; the first one is still ahead."""
    yield at(13)
    group = _propose(
        app,
        ids,
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
    yield at(DAYS - 5, 10)
    app.schedule_meeting(
        group,
        actor=person_actor(ids["tomas"]),
        scheduled_for=clock.when(at(DAYS + 7, 15)),
        plan_number=1,
    )


def _completed(app: Mentoring, ids: dict[str, str]) -> Story:
    """Grace coaches Kofi's negotiation; the goal is met after four months."""
    yield at(14)
    done = _propose(
        app,
        ids,
        "one_on_one",
        [("grace", "mentor"), ("kofi", "mentee")],
        "Negotiation skills for a new sales role.",
    )
    ids["completed"] = done
    kofi, grace = person_actor(ids["kofi"]), person_actor(ids["grace"])
    yield at(16, 10)
    goal = app.set_goal(
        done, actor=kofi, title="Close a deal on my own", framework="plain", fields={}
    )
    yield at(118, 16)
    app.achieve_goal(done, goal.id, actor=kofi, note="Signed my first deal alone.")
    yield at(120, 15)
    app.record_review(
        done,
        actor=grace,
        progress_rating=5,
        went_well="Goal achieved.",
        support=["instrumental"],
    )
    app.complete_mentorship(done, actor=grace, note="All goals achieved.")


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
