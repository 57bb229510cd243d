"""Nudges against a real SMTP server (aiosmtpd): sent once, retried, never twice."""

from __future__ import annotations

import email
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.nudges import nudge_id
from mentorlog.core.webhooks import new_secret
from mentorlog.plugins.interfaces import SmtpSettings

from mentorlog.nudges import ACTOR, Nudger
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from mentorlog.webhooks import outbox
from tests.conftest import SYSTEM
from tests.processes import free_port
from tests.test_api_support import Api, api_fixture, gid
from tests.test_rules import refused

__all__ = ["api_fixture"]
SECRET = "Negotiate a raise, secretly"
DAY = timedelta(days=1)


class Mailbox:
    """What an SMTP server received; each session takes the next planned answer."""

    def __init__(self) -> None:
        self.plan: list[str] = []
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    def _next(self) -> str:
        with self.lock:
            return self.plan.pop(0) if self.plan else "ok"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        session.answer = self._next()
        if session.answer == "550":
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if getattr(session, "answer", "ok") == "451":
            return "451 4.3.0 try again later"
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        """The messages received for one address."""
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free port, and what it receives."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def settings(settings: Settings, mailbox: tuple[Mailbox, int]) -> Settings:
    """Email to the test's SMTP server; retries a minute apart, then doubling."""
    return replace(
        settings,
        smtp=SmtpSettings("127.0.0.1", mailbox[1], "none", "nudges@example.org"),
        nudges_backoff=60.0,
        nudges_max_backoff=600.0,
        nudges_max_attempts=3,
        nudges_unanswered=300,
    )


class Program:
    """A program whose admin, mentor and mentee have email addresses."""

    def __init__(self, app: Mentoring) -> None:
        self.app = app
        self.admin = self.person("Ada Admin", "late", 25, 10, 0, "ada@example.org")
        self.id = app.create_program(
            actor=SYSTEM, name="Engineering mentoring", admins=[self.admin]
        ).id
        self.mentor = self.person("Maya Mentor", "late", 20, 8, 2, "maya@example.org")
        self.mentee = self.person("Milo Mentee", "early", 3, 3, 1, "milo@example.org")

    def person(
        self, name: str, stage: str, years: float, tenure: float, capacity: int, at: str
    ) -> str:
        """Register a person with an email address; their ID."""
        return self.app.register_person(
            actor=SYSTEM,
            display_name=name,
            email=at,
            career_stage=stage,
            years_experience=years,
            tenure_years=tenure,
            capacity=capacity,
        ).id

    def mentorship(self) -> str:
        """A started one-on-one of the mentor and the mentee."""
        made = self.app.propose_mentorship(
            actor=SYSTEM,
            program_id=self.id,
            format="one_on_one",
            participants=[
                {"person_id": self.mentor, "role": "mentor"},
                {"person_id": self.mentee, "role": "mentee"},
            ],
        ).id
        self.app.start_mentorship(made, actor=SYSTEM)
        return made

    def rules(self, **rules: Any) -> None:
        """Set the program's nudge rules as its admin."""
        self.app.set_nudge_rules(self.id, actor=person_actor(self.admin), **rules)


@pytest.fixture
def program(app: Mentoring) -> Program:
    """The program, its admin and two people with addresses."""
    return Program(app)


def kinds(app: Mentoring, mentorship: str) -> list[str]:
    """The names of a mentorship's nudge events, in order."""
    return [
        type(e).__name__
        for e in app.events.get(UUID(mentorship))
        if type(e).__name__.startswith("Nudge")
    ]


def run(services: Services, at: datetime, nudger: Nudger | None = None) -> Any:
    """Apply the log, run one round as of `at`, apply again."""
    services.runner.catch_up()
    done = (nudger or services.nudges).run_once(at)
    services.runner.catch_up()
    return done


def test_a_quiet_mentorship_gets_one_email_each_and_a_second_worker_sends_nothing(
    services: Services, program: Program, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    app = services.app
    mentorship = program.mentorship()
    mentee = person_actor(program.mentee)
    app.set_goal(
        mentorship,
        actor=mentee,
        title=SECRET,
        framework="plain",
        fields={"description": SECRET},
        private=True,
    )
    program.rules(quiet_after_days=7)
    now = datetime.now(UTC)
    assert run(services, now + 6 * DAY).sent == 0  # the goal set counts: not yet
    done = run(services, now + 8 * DAY)
    assert (done.sent, done.delivered, done.failed) == (2, 2, 0)
    [to_mentee] = box.to("milo@example.org")
    [to_mentor] = box.to("maya@example.org")
    assert to_mentee["Subject"] == (
        "Your mentorship in Engineering mentoring has been quiet for 8 days"
    )
    assert "Milo Mentee" in to_mentee["To"] and to_mentee["From"] == (
        "nudges@example.org"
    )
    for message in (to_mentee, to_mentor):
        assert SECRET not in message.as_string()  # no private content, ever
    assert kinds(app, mentorship) == ["NudgeSent", "NudgeDelivered"] * 2
    sent = [
        e for e in app.events.get(UUID(mentorship)) if type(e).__name__ == "NudgeSent"
    ]
    assert {(e.rule, e.channel, e.person_id) for e in sent} == {
        ("quiet", "email", program.mentor),
        ("quiet", "email", program.mentee),
    }
    assert to_mentee["Message-ID"] == f"<nudge-{sent[1].nudge_id}@mentorlog.invalid>"

    # A second worker (its own service on the same store) sends nothing more.
    other = open_services(services.settings)
    try:
        again = run(other, now + 9 * DAY, Nudger(other))
    finally:
        other.close()
    assert (again.sent, again.retried) == (0, 0)
    assert len(box.messages) == 2
    assert kinds(app, mentorship) == ["NudgeSent", "NudgeDelivered"] * 2


def test_two_workers_at_once_nudge_each_person_once(
    services: Services, program: Program, mailbox: tuple[Mailbox, int]
) -> None:
    """Two services on one store, their rounds in threads at the same moment: the
    mentorship's version lets one record each nudge; the other sends nothing."""
    box, _ = mailbox
    mentorships = [program.mentorship()]
    program.rules(quiet_after_days=3)
    services.runner.catch_up()
    other = open_services(services.settings)
    at = datetime.now(UTC) + 4 * DAY
    try:
        other.runner.catch_up()
        workers = [Nudger(services), Nudger(other)]
        start = threading.Barrier(2)
        rounds: list[Any] = []

        def go(worker: Nudger) -> None:
            start.wait()
            rounds.append(worker.run_once(at))

        threads = [threading.Thread(target=go, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        other.close()
    assert sum(r.sent for r in rounds) == 2, rounds
    assert sorted(m["To"] for m in box.messages) == [
        "Maya Mentor <maya@example.org>",
        "Milo Mentee <milo@example.org>",
    ]
    assert kinds(services.app, mentorships[0]).count("NudgeSent") == 2


def test_a_meeting_reminder_arrives_hours_before_in_the_meetings_zone(
    services: Services, program: Program, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    app = services.app
    mentorship = program.mentorship()
    starts = (datetime.now(UTC) + 30 * timedelta(hours=1)).replace(microsecond=0)
    meeting = app.schedule_meeting(
        mentorship,
        actor=person_actor(program.mentee),
        scheduled_for=starts.isoformat(),
        time_zone="Europe/Berlin",
        agenda=[SECRET],
    ).id
    program.rules(meeting_reminder_hours=24)
    assert run(services, starts - timedelta(hours=25)).sent == 0
    done = run(services, starts - timedelta(hours=23))
    assert (done.sent, done.delivered) == (2, 2)
    [message] = box.to("milo@example.org")
    local = starts.astimezone(ZoneInfo("Europe/Berlin"))
    assert message["Subject"] == (
        f"Reminder: mentoring meeting on {local:%a %d %b %Y, %H:%M} Europe/Berlin"
    )
    assert SECRET not in message.as_string()  # the agenda stays out
    sent = [
        e for e in app.events.get(UUID(mentorship)) if type(e).__name__ == "NudgeSent"
    ]
    assert {(e.rule, e.meeting_id) for e in sent} == {("meeting_reminder", meeting)}
    assert run(services, starts - timedelta(hours=1)).sent == 0  # once per time
    # Moved, it is a new time: reminded again before it.
    later = starts + 2 * DAY
    app.reschedule_meeting(
        mentorship,
        meeting,
        actor=person_actor(program.mentee),
        scheduled_for=later.isoformat(),
    )
    assert run(services, later - timedelta(hours=2)).sent == 2
    assert len(box.to("milo@example.org")) == 2


def test_an_agreement_unsigned_nudges_only_who_has_not_signed(
    services: Services, program: Program, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    app = services.app
    mentorship = program.mentorship()
    app.record_agreement(
        mentorship,
        actor=person_actor(program.mentor),
        communication="Chat",
        confidentiality=SECRET,
        schedule="Weekly",
        outcomes=["Lead a review"],
    )
    app.sign_agreement(mentorship, actor=person_actor(program.mentor))
    program.rules(agreement_unsigned_days=5)
    done = run(services, datetime.now(UTC) + 6 * DAY)
    assert done.sent == 1
    [message] = box.messages
    assert "milo@example.org" in message["To"]
    assert message["Subject"] == (
        "Please sign your mentorship agreement in Engineering mentoring"
    )
    assert SECRET not in message.as_string()


def test_a_refusing_smtp_server_is_retried_later_and_recorded_once(
    services: Services,
    program: Program,
    mailbox: tuple[Mailbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """550 on the recipient, then 451 on the data: each try fails visibly (a
    NudgeFailed with the server's answer, a warning in the log) and is retried on
    a later round; the third try delivers. One NudgeSent, one email."""
    box, _ = mailbox
    app = services.app
    mentorship = program.mentorship()
    program.rules(quiet_after_days=1, channels=["email"])
    box.plan = ["550", "550", "451", "451"]  # two people: each try, both refused
    now = datetime.now(UTC) + 2 * DAY
    with caplog.at_level(logging.WARNING, logger="mentorlog.nudges"):
        first = run(services, now)
    assert (first.sent, first.failed) == (2, 2)
    assert "SMTP 550 5.1.1 no such mailbox" in first.errors[0]
    assert any("retrying at" in r.getMessage() for r in caplog.records)
    failed = [
        e for e in app.events.get(UUID(mentorship)) if type(e).__name__ == "NudgeFailed"
    ]
    assert all(e.retry_at and e.attempt == 1 for e in failed)
    assert box.messages == []
    # Not before its retry is due; then the 451 fails the second try.
    assert run(services, now + timedelta(seconds=30)).retried == 0
    second = run(services, now + timedelta(seconds=61))
    assert (second.retried, second.failed) == (2, 2)
    assert "SMTP 451 4.3.0 try again later" in second.errors[0]
    # The backoff doubles: two minutes later the third try is accepted.
    assert run(services, now + timedelta(seconds=150)).retried == 0
    third = run(services, now + timedelta(seconds=190))
    assert (third.retried, third.delivered) == (2, 2)
    assert len(box.to("milo@example.org")) == 1
    assert kinds(app, mentorship).count("NudgeSent") == 2  # one per person
    assert kinds(app, mentorship).count("NudgeDelivered") == 2
    assert run(services, now + 5 * DAY).sent == 0  # still the same quiet spell


def test_a_server_that_is_down_fails_each_try_until_they_run_out(
    services: Services, program: Program
) -> None:
    app = services.app
    services = replace(
        services,
        settings=replace(
            services.settings,
            smtp=SmtpSettings("127.0.0.1", free_port(), "none", "nudges@example.org"),
        ),
    )
    mentorship = program.mentorship()
    program.rules(quiet_after_days=1)
    now = datetime.now(UTC) + 2 * DAY
    nudger = Nudger(services)
    assert run(services, now, nudger).failed == 2
    assert run(services, now + timedelta(minutes=2), nudger).failed == 2
    last = run(services, now + timedelta(minutes=10), nudger)
    assert last.failed == 2 and "ConnectionRefusedError" in last.errors[0]
    failed = [
        e for e in app.events.get(UUID(mentorship)) if type(e).__name__ == "NudgeFailed"
    ]
    assert [e.attempt for e in failed] == [1, 1, 2, 2, 3, 3]
    assert failed[-1].retry_at is None  # three tries: given up
    assert run(services, now + DAY, nudger).retried == 0


def test_a_try_its_worker_never_answered_is_taken_over(
    services: Services, program: Program, mailbox: tuple[Mailbox, int]
) -> None:
    """A worker that stopped after claiming: after `nudges_unanswered` seconds the
    next round tries it again (NudgeRetried), and it is delivered once."""
    box, _ = mailbox
    app = services.app
    mentorship = program.mentorship()
    program.rules(quiet_after_days=1)
    claimed_at = datetime.now(UTC)
    occasion = "2000-01-01T00:00:00+00:00"
    stuck = nudge_id(mentorship, "quiet", occasion, program.mentee, "email")
    app.send_nudge(
        mentorship,
        actor=ACTOR,
        nudge_id=stuck,
        rule="quiet",
        person_id=program.mentee,
        channel="email",
        occasion=occasion,
    )
    services.runner.catch_up()
    # The rule is off meanwhile, so only the stuck try is looked at.
    program.rules(meeting_reminder_hours=1)
    assert run(services, claimed_at + timedelta(seconds=10)).retried == 0
    late = run(services, claimed_at + timedelta(seconds=301))
    assert (late.sent, late.retried, late.delivered) == (0, 1, 1)
    assert kinds(app, mentorship) == ["NudgeSent", "NudgeRetried", "NudgeDelivered"]
    assert len(box.to("milo@example.org")) == 1


def test_the_webhook_channel_is_the_nudge_event_in_the_outbox(
    services: Services, program: Program
) -> None:
    """No endpoint takes NudgeSent: the channel cannot reach anyone (failed for
    good). Once one does, the nudge is delivered as that event, in its outbox."""
    app = services.app
    program.rules(quiet_after_days=1, channels=["webhook"])
    first = program.mentorship()
    now = datetime.now(UTC) + 2 * DAY
    done = run(services, now)
    assert done.failed == 2 and "cannot reach" in done.errors[0]
    failed = [
        e for e in app.events.get(UUID(first)) if type(e).__name__ == "NudgeFailed"
    ]
    assert all(e.retry_at is None for e in failed)
    app.env["WEBHOOKS_ALLOW_PRIVATE"] = "on"
    endpoint = app.register_webhook(
        program.id,
        actor=person_actor(program.admin),
        url="http://127.0.0.1:9/hooks",
        event_types=["NudgeSent"],
        secret=new_secret(),
    ).id
    program.app.end_mentorship(first, actor=SYSTEM, reason="test")
    second = program.mentorship()
    done = run(services, now + 2 * DAY)
    assert (done.sent, done.delivered) == (2, 2)
    with outbox(services.read_models) as c:
        c.execute(
            "SELECT event_type FROM webhook_deliveries WHERE endpoint_id = ?",
            (endpoint,),
        )
        types = [row[0] for row in c.fetchall()]
    assert types == ["NudgeSent", "NudgeSent"], types
    assert kinds(app, second) == ["NudgeSent", "NudgeDelivered"] * 2


def test_rules_out_of_bounds_unknown_channels_and_programs_are_refused(
    app: Mentoring, program: Program
) -> None:
    admin = person_actor(program.admin)
    for field, value in (
        ("quiet_after_days", -3),
        ("quiet_after_days", 0),
        ("meeting_reminder_hours", 721),
        ("agreement_unsigned_days", 1.5),
    ):
        camel = "".join(
            w if i == 0 else w.title() for i, w in enumerate(field.split("_"))
        )
        with refused(app, "INVALID_INPUT", camel):
            app.set_nudge_rules(program.id, actor=admin, **{field: value})
    with refused(app, "INVALID_INPUT", "channels.1"):
        app.set_nudge_rules(
            program.id, actor=admin, quiet_after_days=3, channels=["email", "sms"]
        )
    with refused(app, "INVALID_INPUT", "channels"):
        app.set_nudge_rules(program.id, actor=admin, quiet_after_days=3, channels=[])
    with refused(app, "NOT_FOUND", "programId"):
        app.set_nudge_rules(
            "00000000-0000-0000-0000-000000000000", actor=admin, quiet_after_days=3
        )
    program.rules(quiet_after_days=3, meeting_reminder_hours=2)
    assert app.get_program(program.id).nudge_rules == {
        "quiet_after_days": 3,
        "meeting_reminder_hours": 2,
        "agreement_unsigned_days": None,
        "channels": ["email"],
    }


SET_RULES = """mutation($input: SetNudgeRulesInput!) { setNudgeRules(input: $input) {
  nudgeRules { quietAfterDays meetingReminderHours agreementUnsignedDays channels }
  userErrors { field code } } }"""
RULES = (
    "query($id: ID!) { node(id: $id) { ... on Program { nudgeRules { channels } } } }"
)


@pytest.mark.sqlite_only("the API's mapping of the same command")
async def test_admins_set_rules_through_the_api_others_are_refused(api: Api) -> None:
    app = api.services.app
    program = Program(app)
    program.mentorship()
    node = gid("Program", program.id)
    admin = api.token(program.admin, "admin", program.id)
    mentee = api.token(program.mentee, "participant", program.id)
    got = await api.gql(
        SET_RULES,
        {"input": {"programId": node, "quietAfterDays": 14, "channels": ["email"]}},
        admin,
    )
    assert got["setNudgeRules"] == {
        "nudgeRules": {
            "quietAfterDays": 14,
            "meetingReminderHours": None,
            "agreementUnsignedDays": None,
            "channels": ["email"],
        },
        "userErrors": [],
    }
    bad = await api.gql(
        SET_RULES, {"input": {"programId": node, "quietAfterDays": -1}}, admin
    )
    assert bad["setNudgeRules"]["userErrors"] == [
        {"field": "quietAfterDays", "code": "INVALID_INPUT"}
    ]
    other = await api.gql(
        SET_RULES, {"input": {"programId": node, "quietAfterDays": 1}}, mentee
    )
    assert other["setNudgeRules"]["userErrors"] == [
        {"field": "programId", "code": "NOT_FOUND"}
    ]
    shown = await api.gql(RULES, {"id": node}, mentee)
    assert shown == {"node": {"nudgeRules": {"channels": ["email"]}}}
