"""Every event type replays: to the same aggregate state, and to the same read model."""

from __future__ import annotations

import copy
import hashlib
import hmac
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any
from uuid import UUID

import mentorlog.core
import pytest
from eventsourcing.domain import Aggregate, AggregateCreated
from eventsourcing.persistence import Recording
from mentorlog.core.access import Credential
from mentorlog.core.application import Mentoring
from mentorlog.core.idempotency import IdempotencyKey, idempotency_key_id
from mentorlog.core.identity import Identity, Invitation
from mentorlog.core.intake import Intake, intake_id
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.nudges import nudge_id
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.core.webhooks import (
    WebhookEndpoint,
    WebhookSecret,
    check_secret,
    new_secret,
    webhook_secret_id,
)
from mentorlog.plugins.manager import Catalog

from mentorlog.services import Services
from tests import backends
from tests.conftest import SYSTEM, World

Recipe = Callable[[Mentoring, World], str]
Dump = dict[str, list[tuple[Any, ...]]]

SMART = {
    "specific": "Lead a design review",
    "measurable": "One review held",
    "achievable": "Reviews happen monthly",
    "relevant": "Needed for promotion",
    "due": "2099-12-31",
}
OKR = {
    "objective": "Review with confidence",
    "key_results": [{"description": "Reviews led", "target": 4}],
}
PLAN = [{"title": "Set goals", "week_start": 1, "week_end": 1, "agenda": ["Meet"]}]


def core_aggregates() -> list[type[Aggregate]]:
    """Every aggregate class in mentorlog.core that records events, found by a scan."""
    found = []
    for info in pkgutil.iter_modules(mentorlog.core.__path__):
        module = importlib.import_module(f"mentorlog.core.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Aggregate)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    # A part of an aggregate (Mentorship's goals, notes...) records nothing of its
    # own: its events are redefined on the aggregate made of it.
    found = [
        a for a in found if not any(b is not a and issubclass(b, a) for b in found)
    ]
    return sorted(found, key=lambda cls: cls.__name__)


def event_classes(aggregate: type[Aggregate]) -> list[type]:
    """Every event class an aggregate declares (not the default Created it skips)."""
    found = {
        value
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, aggregate.Event)
        and value is not aggregate.Event
    }
    # With `@event("Registered")` on __init__, eventsourcing still defines the
    # default `Created` class, but never triggers it.
    default = vars(aggregate).get("Created")
    if any(c is not default and issubclass(c, AggregateCreated) for c in found):
        found.discard(default)
    return sorted(found, key=lambda cls: cls.__qualname__)


AGGREGATES = core_aggregates()
EVENT_CLASSES = [e for a in AGGREGATES for e in event_classes(a)]


# -- recipes: record one event type through the service -----------------------

RECIPES: dict[type, Recipe] = {}


def recipe(event_class: type) -> Callable[[Recipe], Recipe]:
    """Register the function that records an event of this class last."""

    def register(function: Recipe) -> Recipe:
        RECIPES[event_class] = function
        return function

    return register


def with_goal(app: Mentoring, w: World, **kwargs: Any) -> tuple[str, str]:
    """A started mentorship with one goal set by the mentee."""
    mentorship = w.one_on_one()
    goal = app.set_goal(mentorship, actor=w.mentee_actor, title="Lead", **kwargs)
    return mentorship, goal.id


def with_meeting(app: Mentoring, w: World) -> tuple[str, str]:
    """A started mentorship with the connection plan's first meeting scheduled."""
    app.set_connection_plan(w.program, actor=SYSTEM, meetings=PLAN)
    mentorship = w.one_on_one()
    meeting = app.schedule_meeting(
        mentorship,
        actor=w.mentor_actor,
        scheduled_for="2030-01-07T10:00:00+02:00",
        plan_number=1,
    )
    return mentorship, meeting.id


def with_milestone(app: Mentoring, w: World) -> tuple[str, str]:
    """A started mentorship with a milestone reached towards a goal."""
    mentorship, goal = with_goal(app, w, framework="plain")
    reached = app.reach_milestone(
        mentorship, actor=w.mentee_actor, title="First review", goal_id=goal
    )
    return mentorship, reached.id


@recipe(Program.Created)
def program_created(app: Mentoring, w: World) -> str:
    """The world's program."""
    return w.program


@recipe(Program.StarterGoalAdded)
def starter_goal_added(app: Mentoring, w: World) -> str:
    """A locked starter goal."""
    app.add_starter_goal(
        w.program, actor=SYSTEM, title="Onboard", framework="plain", locked=True
    )
    return w.program


@recipe(Program.ConnectionPlanSet)
def connection_plan_set(app: Mentoring, w: World) -> str:
    """A one-meeting connection plan."""
    return app.set_connection_plan(w.program, actor=SYSTEM, meetings=PLAN).id


@recipe(Program.AdminAdded)
def admin_added(app: Mentoring, w: World) -> str:
    """The mentor becomes a co-admin."""
    return app.add_program_admin(w.program, actor=SYSTEM, person_id=w.mentor).id


@recipe(Program.NudgeRulesSet)
def nudge_rules_set(app: Mentoring, w: World) -> str:
    """Quiet mentorships nudged after a week, meetings reminded a day ahead."""
    return app.set_nudge_rules(
        w.program, actor=SYSTEM, quiet_after_days=7, meeting_reminder_hours=24
    ).id


def with_nudge(app: Mentoring, w: World) -> tuple[str, str]:
    """A started mentorship whose mentee was sent a meeting reminder (rules set)."""
    nudge_rules_set(app, w)
    mentorship, meeting = with_meeting(app, w)
    nudge = nudge_id(mentorship, "meeting_reminder", "2030-01-07", w.mentee, "email")
    app.send_nudge(
        mentorship,
        actor=SYSTEM,
        nudge_id=nudge,
        rule="meeting_reminder",
        person_id=w.mentee,
        channel="email",
        meeting_id=meeting,
        occasion="2030-01-07T08:00:00+00:00",
    )
    return mentorship, nudge


@recipe(Mentorship.NudgeSent)
def nudge_sent(app: Mentoring, w: World) -> str:
    """A meeting reminder's first try, claimed."""
    return with_nudge(app, w)[0]


@recipe(Mentorship.NudgeDelivered)
def nudge_delivered(app: Mentoring, w: World) -> str:
    """A meeting reminder accepted by its channel."""
    mentorship, nudge = with_nudge(app, w)
    app.record_nudge_delivered(mentorship, actor=SYSTEM, nudge_id=nudge, attempt=1)
    return mentorship


def nudge_failing(app: Mentoring, w: World) -> tuple[str, str]:
    """A meeting reminder whose first try failed, to be retried at once."""
    mentorship, nudge = with_nudge(app, w)
    app.record_nudge_failed(
        mentorship,
        actor=SYSTEM,
        nudge_id=nudge,
        attempt=1,
        error="SMTP 451 try again later",
        retry_at="2000-01-01T00:00:00+00:00",
    )
    return mentorship, nudge


@recipe(Mentorship.NudgeFailed)
def nudge_failed(app: Mentoring, w: World) -> str:
    """A meeting reminder refused by the SMTP server."""
    return nudge_failing(app, w)[0]


@recipe(Mentorship.NudgeRetried)
def nudge_retried(app: Mentoring, w: World) -> str:
    """A failed meeting reminder's second try, claimed."""
    mentorship, nudge = nudge_failing(app, w)
    app.retry_nudge(mentorship, actor=SYSTEM, nudge_id=nudge)
    return mentorship


@recipe(Person.Registered)
def registered(app: Mentoring, w: World) -> str:
    """The world's mentee."""
    return w.mentee


@recipe(Person.MentorshipJoined)
def joined(app: Mentoring, w: World) -> str:
    """The mentee joins a started mentorship."""
    w.one_on_one()
    return w.mentee


@recipe(Person.MentorshipLeft)
def left(app: Mentoring, w: World) -> str:
    """The mentee leaves a completed mentorship."""
    completed(app, w)
    return w.mentee


@recipe(Person.Erased)
def erased(app: Mentoring, w: World) -> str:
    """A mentee with a private goal and feedback about them, then erased."""
    mentorship = w.one_on_one()
    app.set_goal(
        mentorship,
        actor=w.mentee_actor,
        title="Speak up more",
        framework="plain",
        private=True,
    )
    app.give_feedback(mentorship, actor=w.mentor_actor, text="Kind", about_id=w.mentee)
    app.erase_person(w.mentee, actor=SYSTEM, reason="Asked to be forgotten")
    return w.mentee


@recipe(Mentorship.Proposed)
def proposed(app: Mentoring, w: World) -> str:
    """A proposal."""
    return w.one_on_one(start=False)


@recipe(Mentorship.Started)
def started(app: Mentoring, w: World) -> str:
    """A started mentorship."""
    return w.one_on_one()


@recipe(Mentorship.Paused)
def paused(app: Mentoring, w: World) -> str:
    """A paused mentorship."""
    mentorship = w.one_on_one()
    return app.pause_mentorship(mentorship, actor=w.mentor_actor, reason="Leave").id


@recipe(Mentorship.Resumed)
def resumed(app: Mentoring, w: World) -> str:
    """A paused mentorship resumed."""
    return app.resume_mentorship(paused(app, w), actor=w.mentee_actor).id


@recipe(Mentorship.Completed)
def completed(app: Mentoring, w: World) -> str:
    """A completed mentorship."""
    mentorship = w.one_on_one()
    return app.complete_mentorship(mentorship, actor=SYSTEM, note="Goals met").id


@recipe(Mentorship.Ended)
def ended(app: Mentoring, w: World) -> str:
    """A mentorship ended early."""
    mentorship = w.one_on_one()
    return app.end_mentorship(mentorship, actor=w.mentee_actor, reason="Moved").id


@recipe(Mentorship.AgreementRecorded)
def agreement_recorded(app: Mentoring, w: World) -> str:
    """An expectations agreement."""
    return app.record_agreement(
        w.one_on_one(),
        actor=w.mentee_actor,
        communication="Chat",
        confidentiality="Between us",
        schedule="Every other Tuesday",
        outcomes=["Lead a review"],
    ).id


@recipe(Mentorship.AgreementSigned)
def agreement_signed(app: Mentoring, w: World) -> str:
    """The mentor signs the agreement."""
    return app.sign_agreement(agreement_recorded(app, w), actor=w.mentor_actor).id


@recipe(Mentorship.GoalSet)
def goal_set(app: Mentoring, w: World) -> str:
    """A SMART goal."""
    return with_goal(app, w, framework="smart", fields=SMART)[0]


@recipe(Mentorship.GoalRevised)
def goal_revised(app: Mentoring, w: World) -> str:
    """A private goal revised (its new content sealed again)."""
    mentorship, goal = with_goal(app, w, framework="smart", fields=SMART, private=True)
    fields = {**SMART, "due": "2099-06-30"}
    app.revise_goal(
        mentorship, goal, actor=w.mentee_actor, fields=fields, reason="Soon"
    )
    return mentorship


@recipe(Mentorship.GoalProgressRecorded)
def goal_progress_recorded(app: Mentoring, w: World) -> str:
    """Progress on an OKR's key result."""
    mentorship, goal = with_goal(app, w, framework="okr", fields=OKR)
    app.record_goal_progress(mentorship, goal, actor=w.mentee_actor, key_results=[3])
    return mentorship


@recipe(Mentorship.GoalAchieved)
def goal_achieved(app: Mentoring, w: World) -> str:
    """A goal achieved."""
    mentorship, goal = with_goal(app, w, framework="plain")
    app.achieve_goal(mentorship, goal, actor=w.mentee_actor, note="Done")
    return mentorship


@recipe(Mentorship.GoalAbandoned)
def goal_abandoned(app: Mentoring, w: World) -> str:
    """A private goal abandoned."""
    mentorship, goal = with_goal(app, w, framework="plain", private=True)
    app.abandon_goal(mentorship, goal, actor=w.mentee_actor, reason="Moved on")
    return mentorship


@recipe(Mentorship.GoalSharingChanged)
def goal_sharing_changed(app: Mentoring, w: World) -> str:
    """A private goal (with a sealed progress note) shared with the mentor."""
    mentorship, goal = with_goal(app, w, framework="plain", private=True)
    app.record_goal_progress(
        mentorship, goal, actor=w.mentee_actor, percent=20, note="Quietly"
    )
    app.share_goal(mentorship, goal, actor=w.mentee_actor, shared_with=[w.mentor])
    return mentorship


@recipe(Mentorship.MilestoneReached)
def milestone_reached(app: Mentoring, w: World) -> str:
    """A milestone towards a goal."""
    return with_milestone(app, w)[0]


@recipe(Mentorship.MilestoneCelebrated)
def milestone_celebrated(app: Mentoring, w: World) -> str:
    """A milestone celebrated."""
    mentorship, reached = with_milestone(app, w)
    app.celebrate_milestone(mentorship, reached, actor=w.mentor_actor, how="Cake")
    return mentorship


@recipe(Mentorship.MeetingScheduled)
def meeting_scheduled(app: Mentoring, w: World) -> str:
    """A meeting from the connection plan."""
    return with_meeting(app, w)[0]


@recipe(Mentorship.MeetingHeld)
def meeting_held(app: Mentoring, w: World) -> str:
    """A meeting held, with notes."""
    mentorship, meeting = with_meeting(app, w)
    app.hold_meeting(mentorship, meeting, actor=w.mentor_actor, notes="Met")
    return mentorship


@recipe(Mentorship.MeetingRescheduled)
def meeting_rescheduled(app: Mentoring, w: World) -> str:
    """A meeting moved to another time and zone."""
    mentorship, meeting = with_meeting(app, w)
    app.reschedule_meeting(
        mentorship,
        meeting,
        actor=w.mentor_actor,
        scheduled_for="2026-04-02T08:00:00+00:00",
        time_zone="Europe/Berlin",
    )
    return mentorship


@recipe(Mentorship.MeetingCancelled)
def meeting_cancelled(app: Mentoring, w: World) -> str:
    """A meeting cancelled."""
    mentorship, meeting = with_meeting(app, w)
    app.cancel_meeting(mentorship, meeting, actor=w.mentee_actor, reason="Ill")
    return mentorship


def with_note(app: Mentoring, w: World, private: bool = True) -> tuple[str, str]:
    """A started mentorship with the mentee's note on a scheduled meeting."""
    mentorship, meeting = with_meeting(app, w)
    note = app.write_note(
        mentorship,
        actor=w.mentee_actor,
        text="Ask about the promotion",
        meeting_id=meeting,
        private=private,
    )
    return mentorship, note.id


@recipe(Mentorship.NoteWritten)
def note_written(app: Mentoring, w: World) -> str:
    """A private note (sealed) and a shared one on a meeting."""
    mentorship, _ = with_note(app, w)
    app.write_note(mentorship, actor=w.mentor_actor, text="Agenda", private=False)
    return mentorship


@recipe(Mentorship.NoteRevised)
def note_revised(app: Mentoring, w: World) -> str:
    """A private note revised (sealed again)."""
    mentorship, note = with_note(app, w)
    app.revise_note(mentorship, note, actor=w.mentee_actor, text="Ask twice")
    return mentorship


@recipe(Mentorship.NoteSharingChanged)
def note_sharing_changed(app: Mentoring, w: World) -> str:
    """A private note shared with the mentor."""
    mentorship, note = with_note(app, w)
    app.share_note(mentorship, note, actor=w.mentee_actor, shared_with=[w.mentor])
    return mentorship


@recipe(Mentorship.ReviewRecorded)
def review_recorded(app: Mentoring, w: World) -> str:
    """A periodic review."""
    mentorship = w.one_on_one()
    app.record_review(
        mentorship, actor=w.mentor_actor, progress_rating=4, support=["psychosocial"]
    )
    return mentorship


@recipe(Mentorship.FeedbackGiven)
def feedback_given(app: Mentoring, w: World) -> str:
    """Feedback about the mentor."""
    mentorship = w.one_on_one()
    app.give_feedback(
        mentorship, actor=w.mentee_actor, text="Helpful", about_id=w.mentor, rating=5
    )
    return mentorship


@recipe(Credential.Issued)
def token_issued(app: Mentoring, w: World) -> str:
    """A participant's token."""
    _token, recorded = app.issue_token(
        actor=SYSTEM, person_id=w.mentee, role="participant"
    )
    return recorded.id


@recipe(Credential.Revoked)
def token_revoked(app: Mentoring, w: World) -> str:
    """A token revoked."""
    return app.revoke_token(token_issued(app, w), actor=SYSTEM, reason="Lost").id


ISSUER = "https://id.example.test"


@recipe(Identity.Linked)
def identity_linked(app: Mentoring, w: World) -> str:
    """The mentee's account at the identity provider, linked."""
    return app.link_identity(
        actor=SYSTEM, issuer=ISSUER, subject=w.mentee, person_id=w.mentee
    ).id


@recipe(Identity.Unlinked)
def identity_unlinked(app: Mentoring, w: World) -> str:
    """The link ended."""
    identity_linked(app, w)
    return app.unlink_identity(
        actor=SYSTEM, issuer=ISSUER, subject=w.mentee, reason="Left"
    ).id


@recipe(Identity.Relinked)
def identity_relinked(app: Mentoring, w: World) -> str:
    """Linked again, to the mentor."""
    identity_unlinked(app, w)
    return app.link_identity(
        actor=SYSTEM, issuer=ISSUER, subject=w.mentee, person_id=w.mentor
    ).id


@recipe(Person.Granted)
def granted(app: Mentoring, w: World) -> str:
    """A participant's grant."""
    app.grant_role(actor=SYSTEM, person_id=w.mentee, role="participant")
    return w.mentee


@recipe(Person.GrantRevoked)
def grant_revoked(app: Mentoring, w: World) -> str:
    """The grant revoked."""
    grant = app.grant_role(actor=SYSTEM, person_id=w.mentee, role="auditor").id
    app.revoke_grant(actor=SYSTEM, person_id=w.mentee, grant=grant, reason="Moved")
    return w.mentee


@recipe(Person.CalendarFeedCreated)
def calendar_feed_created(app: Mentoring, w: World) -> str:
    """The mentee's calendar feed, then another replacing it."""
    app.create_calendar_feed(actor=w.mentee_actor)
    app.create_calendar_feed(actor=w.mentee_actor, program_id=w.program)
    return w.mentee


@recipe(Person.CalendarFeedRevoked)
def calendar_feed_revoked(app: Mentoring, w: World) -> str:
    """The feed revoked."""
    app.create_calendar_feed(actor=w.mentee_actor)
    app.revoke_calendar_feed(actor=w.mentee_actor, reason="New phone")
    return w.mentee


@recipe(Invitation.Issued)
def invited(app: Mentoring, w: World) -> str:
    """A newcomer invited by code to the mentorship's program."""
    newcomer = w.person("Newcomer", "early", 1, 1)
    _code, recorded = app.invite_person(
        actor=SYSTEM, person_id=newcomer, role="participant", program_id=w.program
    )
    return recorded.id


@recipe(Invitation.Redeemed)
def invitation_redeemed(app: Mentoring, w: World) -> str:
    """The code redeemed."""
    newcomer = w.person("Newcomer", "early", 1, 1)
    code, recorded = app.invite_person(
        actor=SYSTEM, person_id=newcomer, role="participant", program_id=w.program
    )
    assert code is not None
    app.redeem_invitation(actor=SYSTEM, code=code)
    return recorded.id


@recipe(Invitation.Cancelled)
def invitation_cancelled(app: Mentoring, w: World) -> str:
    """A code invitation withdrawn by the admin."""
    newcomer = w.person("Newcomer", "early", 1, 1)
    _code, recorded = app.invite_person(
        actor=SYSTEM, person_id=newcomer, role="participant", program_id=w.program
    )
    app.withdraw_invitation(actor=SYSTEM, invitation_id=recorded.id, reason="Wrong")
    return recorded.id


@recipe(Invitation.Reissued)
def invitation_reissued(app: Mentoring, w: World) -> str:
    """An email invitation withdrawn, then issued again."""
    newcomer = app.register_person(
        actor=SYSTEM,
        display_name="Newcomer",
        career_stage="early",
        years_experience=1,
        tenure_years=1,
        email="newcomer@example.test",
    ).id
    invite = {
        "actor": SYSTEM,
        "person_id": newcomer,
        "role": "participant",
        "program_id": w.program,
        "email": "newcomer@example.test",
    }
    _code, recorded = app.invite_person(**invite)
    app.withdraw_invitation(actor=SYSTEM, invitation_id=recorded.id)
    app.invite_person(**invite)
    return recorded.id


@recipe(Person.CodeRedeemed)
def code_redeemed(app: Mentoring, w: World) -> str:
    """A newcomer's token from a code, kept on the newcomer."""
    newcomer = w.person("Newcomer", "early", 1, 1)
    code, _recorded = app.invite_person(
        actor=SYSTEM, person_id=newcomer, role="participant", program_id=w.program
    )
    assert code is not None
    app.redeem_invitation(actor=SYSTEM, code=code)
    return newcomer


@recipe(IdempotencyKey.Used)
def idempotency_key_used(app: Mentoring, w: World) -> str:
    """A review recorded under an idempotency key, and the retry recording nothing."""
    mentorship = w.one_on_one()
    for _attempt in range(2):
        app.record_review(
            mentorship,
            actor=w.mentor_actor,
            progress_rating=3,
            idempotency_key="review-1",
        )
    return str(idempotency_key_id(w.mentor_actor, "review-1"))


# -- the tests ---------------------------------------------------------------


PUBLIC_HOOK = "https://93.184.215.14/hooks"  # an address literal: nothing resolves


@recipe(WebhookEndpoint.Registered)
def webhook_registered(app: Mentoring, w: World) -> str:
    """An endpoint of the world's program, then a mentorship its outbox receives."""
    endpoint = app.register_webhook(
        w.program, actor=SYSTEM, url=PUBLIC_HOOK, secret=new_secret()
    ).id
    w.one_on_one()
    return endpoint


@recipe(WebhookEndpoint.Disabled)
def webhook_disabled(app: Mentoring, w: World) -> str:
    """An endpoint disabled."""
    return app.disable_webhook(webhook_registered(app, w), actor=SYSTEM, reason="x").id


@recipe(WebhookEndpoint.Enabled)
def webhook_enabled(app: Mentoring, w: World) -> str:
    """An endpoint disabled, then enabled."""
    return app.enable_webhook(webhook_disabled(app, w), actor=SYSTEM).id


@recipe(WebhookEndpoint.RedeliveryRequested)
def webhook_redelivered(app: Mentoring, w: World) -> str:
    """A delivery asked for again."""
    endpoint = webhook_registered(app, w)
    position = app.recorder.max_notification_id() or 1
    return app.redeliver_webhook(endpoint, actor=SYSTEM, positions=[position]).id


@recipe(WebhookEndpoint.Deleted)
def webhook_deleted(app: Mentoring, w: World) -> str:
    """An endpoint deleted (its deliveries not yet made are dropped)."""
    return app.delete_webhook(webhook_registered(app, w), actor=SYSTEM).id


@recipe(WebhookSecret.Claimed)
def webhook_secret_claimed(app: Mentoring, w: World) -> str:
    """The claim an endpoint's secret makes."""
    secret = new_secret()
    app.register_webhook(w.program, actor=SYSTEM, url=PUBLIC_HOOK, secret=secret)
    key = check_secret(secret)
    fingerprint = hmac.new(app.fingerprint_secret, key, hashlib.sha256).hexdigest()
    return str(webhook_secret_id(fingerprint))


class CapturingMentoring(Mentoring):
    """Keeps a copy of each aggregate's state as it was saved."""

    name = Mentoring.name  # the same store

    def __init__(self, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(catalog, **kwargs)
        self.saved: dict[UUID, dict[str, Any]] = {}

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save, then copy the state of every aggregate saved."""
        recordings = super().save(*objs, **kwargs)
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.saved[obj.id] = copy.deepcopy(vars(obj))
        return recordings


def replayer(services: Services) -> Mentoring:
    """A new application on the same store that rebuilds from events only."""
    env = dict(services.app.env)
    env.pop("AGGREGATE_CACHE_MAXSIZE", None)
    env["IS_SNAPSHOTTING_ENABLED"] = "n"
    fresh = Mentoring(services.catalog, env=env)
    assert fresh.repository.cache is None
    assert fresh.snapshots is None
    return fresh


def dump_read_models(services: Services) -> Dump:
    """Every read-model table and the tracking positions, rows sorted."""
    return backends.dump_read_models(services)


def test_core_aggregates_are_found() -> None:
    """The scan finds the three aggregates of the design (and any newer ones)."""
    assert {Program, Person, Mentorship} <= set(AGGREGATES)
    assert Mentorship.Proposed in EVENT_CLASSES
    assert Mentorship.Created not in EVENT_CLASSES  # never triggered


def test_every_event_type_has_a_replay_recipe() -> None:
    """A new event type without a recipe here fails this test."""
    missing = [e.__qualname__ for e in EVENT_CLASSES if e not in RECIPES]
    assert missing == []
    stale = [e.__qualname__ for e in RECIPES if e not in EVENT_CLASSES]
    assert stale == []


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda e: e.__qualname__)
def test_event_replays_to_the_state_it_was_saved_with(
    services: Services, event_class: type
) -> None:
    """Record the event, then rebuild every aggregate saved in a new application."""
    app = CapturingMentoring(
        services.catalog, env=dict(services.app.env), keys=services.app.sealer.keys
    )
    try:
        aggregate_id = RECIPES[event_class](app, World(app))
    finally:
        app.close()
    events = list(services.app.events.get(UUID(aggregate_id)))
    assert type(events[-1]) is event_class
    fresh = replayer(services)
    try:
        for uid, state in app.saved.items():
            assert vars(fresh.repository.get(uid)) == state
    finally:
        fresh.close()


def test_a_snapshot_loads_the_same_state_as_a_full_replay(
    services: Services, app: Mentoring, world: World
) -> None:
    """Past 100 events a snapshot is taken; loading from it equals a full replay."""
    mentorship = world.one_on_one()
    for i in range(101):
        app.record_review(
            mentorship, actor=world.mentor_actor, progress_rating=1 + i % 5
        )
    uid = UUID(mentorship)
    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(uid))
    assert [s.originator_version for s in snapshots] == [100]
    fresh = replayer(services)
    try:
        replayed = fresh.repository.get(uid)
    finally:
        fresh.close()
    assert replayed.version == 103
    assert vars(app.repository.get(uid)) == vars(replayed)


def test_rebuilt_read_model_equals_the_incremental_one(
    services: Services, app: Mentoring
) -> None:
    """Apply every recipe with catch-ups in between; a full rebuild gives the same."""
    for event_class in EVENT_CLASSES:
        RECIPES[event_class](app, World(app))
        services.runner.catch_up()
    incremental = dump_read_models(services)
    empty = [table for table, rows in incremental.items() if not rows]
    assert empty == []

    services.runner.rebuild()
    rebuilt = dump_read_models(services)
    for table in incremental:
        assert rebuilt[table] == incremental[table], table
    head = app.recorder.max_notification_id()
    assert {name for name, _ in rebuilt["tracking"]} >= {
        p.name for p in services.runner.projections
    }
    assert all(
        position == head
        for name, position in rebuilt["tracking"]
        if name != "__migration__"
    )


# -- a program's intake --------------------------------------------------------------


def with_intake(app: Mentoring, w: World, places: int | None = None) -> str:
    """The world's program's intake, open, with its mentor and mentee enrolled."""
    app.configure_intake(w.program, actor=SYSTEM, is_open=True, mentee_places=places)
    for person, side in ((w.mentor, "mentor"), (w.mentee, "mentee")):
        app.apply_to_program(
            w.program,
            actor=SYSTEM,
            person_id=person,
            side=side,
            answers={"availability": ["mon-am"]},
        )
        app.approve_application(w.program, actor=SYSTEM, person_id=person)
    return str(intake_id(w.program))


def with_request(app: Mentoring, w: World) -> tuple[str, str]:
    """The mentee's pending request to the mentor."""
    intake = with_intake(app, w)
    request = app.request_mentor(
        w.program, actor=w.mentee_actor, mentee_id=w.mentee, mentor_id=w.mentor
    ).id
    return intake, request


@recipe(Intake.Created)
def intake_created(app: Mentoring, w: World) -> str:
    """A new intake, with its first settings."""
    app.configure_intake(w.program, actor=SYSTEM, is_open=False)
    return str(intake_id(w.program))


@recipe(Intake.SettingsSet)
def intake_settings_set(app: Mentoring, w: World) -> str:
    """An intake's settings changed."""
    intake_created(app, w)
    app.configure_intake(
        w.program, actor=SYSTEM, is_open=True, mentor_places=3, questions=["skills"]
    )
    return str(intake_id(w.program))


@recipe(Intake.Applied)
def applied(app: Mentoring, w: World) -> str:
    """An application with answers."""
    app.configure_intake(w.program, actor=SYSTEM, is_open=True)
    app.apply_to_program(
        w.program,
        actor=w.mentee_actor,
        person_id=w.mentee,
        side="mentee",
        answers={"goals": ["Lead"], "about": "Hi"},
    )
    return str(intake_id(w.program))


@recipe(Intake.Enrolled)
def enrolled(app: Mentoring, w: World) -> str:
    """Both enrolled."""
    return with_intake(app, w)


@recipe(Intake.Waitlisted)
def waitlisted(app: Mentoring, w: World) -> str:
    """A second mentee over the one place."""
    intake = with_intake(app, w, places=1)
    other = w.person("Otto Other", "early", 3, 3)
    app.apply_to_program(w.program, actor=SYSTEM, person_id=other, side="mentee")
    app.approve_application(w.program, actor=SYSTEM, person_id=other)
    return intake


@recipe(Intake.Declined)
def application_declined(app: Mentoring, w: World) -> str:
    """A declined application."""
    app.configure_intake(w.program, actor=SYSTEM, is_open=True)
    app.apply_to_program(w.program, actor=SYSTEM, person_id=w.mentee, side="mentee")
    app.decline_application(w.program, actor=SYSTEM, person_id=w.mentee, reason="No")
    return str(intake_id(w.program))


@recipe(Intake.Left)
def intake_left(app: Mentoring, w: World) -> str:
    """A withdrawn enrolment."""
    intake = with_intake(app, w)
    app.withdraw_application(w.program, actor=SYSTEM, person_id=w.mentor)
    return intake


@recipe(Intake.MentorRequested)
def mentor_requested(app: Mentoring, w: World) -> str:
    """A pending request."""
    return with_request(app, w)[0]


@recipe(Intake.RequestAccepted)
def request_accepted(app: Mentoring, w: World) -> str:
    """An accepted request (its mentorship started in the same save)."""
    intake, request = with_request(app, w)
    app.accept_request(w.program, request, actor=w.mentor_actor)
    return intake


@recipe(Intake.RequestDeclined)
def request_declined(app: Mentoring, w: World) -> str:
    """A declined request."""
    intake, request = with_request(app, w)
    app.decline_request(w.program, request, actor=w.mentor_actor, reason="Busy")
    return intake


@recipe(Intake.MatchProposed)
def match_proposed(app: Mentoring, w: World) -> str:
    """A bulk match's proposal, noted on the intake."""
    intake = with_intake(app, w)
    app.apply_bulk_match(w.program, actor=SYSTEM)
    return intake


@recipe(Mentorship.MatchScored)
def match_scored(app: Mentoring, w: World) -> str:
    """A proposal with the score it was made with."""
    with_intake(app, w)
    app.apply_bulk_match(w.program, actor=SYSTEM)
    return next(iter(app.get_intake(w.program).proposals))


@recipe(Mentorship.Withdrawn)
def withdrawn(app: Mentoring, w: World) -> str:
    """A withdrawn proposal."""
    mentorship = w.one_on_one(start=False)
    app.withdraw_proposal(mentorship, actor=SYSTEM, reason="Wrong pair")
    return mentorship


@recipe(Mentorship.ProposalDeclined)
def proposal_declined(app: Mentoring, w: World) -> str:
    """A proposal its mentee declined."""
    mentorship = w.one_on_one(start=False)
    app.decline_proposal(mentorship, actor=w.mentee_actor, reason="Not now")
    return mentorship
