"""The Mentoring application, the only way to change state: load, check, save."""

from __future__ import annotations

import functools
import inspect
import logging
import pickle
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, ParamSpec, TypeVar, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    ProjectorFunction,
    Repository,
)
from eventsourcing.domain import Aggregate, TDomainEvent, TMutableOrImmutableAggregate
from eventsourcing.persistence import EventStore, RecordConflictError, Recording
from mentorlog.core.access import (
    ROLES,
    Credential,
    Principal,
    credential_id,
    new_token,
    token_hash,
)
from mentorlog.core.errors import (
    Conflict,
    GoalInvalid,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    MentorlogError,
    NotAParticipant,
    NotEligible,
    NotFound,
    OverCapacity,
    ParticipantsInvalid,
    Unauthenticated,
    UnknownFormat,
    UnknownFramework,
)
from mentorlog.core.idempotency import (
    MAX_KEY_LENGTH,
    Claim,
    IdempotencyKey,
    fingerprint,
    first_position,
)
from mentorlog.core.inputs import (
    CAREER_STAGE_VALUES,
    FEEDBACK_SOURCES,
    GOAL_TERMS,
    SUPPORT_KINDS,
    check_choice,
    check_datetime,
    check_email,
    check_int,
    check_number,
    check_text,
    check_texts,
)
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import Person
from mentorlog.core.privacy import ERASED, KeyStore, MemoryKeyStore, Sealer
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Candidate, GoalContext, GoalFramework, Problem
from mentorlog.plugins.manager import Catalog

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)
FINGERPRINT_KEY = "mentorlog:idempotency-fingerprints"
P = ParamSpec("P")
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.002  # the first retry waits up to this; each next one twice as long
LOCK_STRIPES = 64
NOTE_MAX_LENGTH = 20000


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the ID it made or touched and the log position."""

    id: str
    position: int


def person_actor(person_id: str | UUID) -> str:
    """Return the actor string for a person."""
    return f"person:{person_id}"


def actor_person_id(actor: str) -> str | None:
    """Return the person ID an actor string names, or None for a system actor."""
    return actor.removeprefix("person:") if actor.startswith("person:") else None


def new_id() -> str:
    """Return a fresh ID for an entity inside a stream."""
    return uuid.uuid4().hex[:12]


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order to an aggregate (None before the first event).

    eventsourcing's project_aggregate, without its assert that each event is a
    CanMutateProtocol: a runtime-checkable Protocol check costs about 13 µs per
    event, more than the mutation itself.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class AggregateCache:
    """Recently loaded aggregates, pickled; the least recently used go first.

    Entries are bytes, never shared objects: each get unpickles a copy of its
    own, and a state is replaced only by a later version of it.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[UUID, tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> Any:
        """A fresh copy of the cached aggregate, or None."""
        with self._lock:
            entry = self._entries.get(aggregate_id)
            if entry is None:
                return None
            self._entries.move_to_end(aggregate_id)
        return pickle.loads(entry[1])

    def put(self, aggregate_id: UUID, aggregate: Any) -> None:
        """Keep the aggregate's state, unless a later version is kept already."""
        version = aggregate.version
        state = pickle.dumps(aggregate, pickle.HIGHEST_PROTOCOL)
        with self._lock:
            kept = self._entries.get(aggregate_id)
            if kept is None or kept[0] < version:
                self._entries[aggregate_id] = (version, state)
            self._entries.move_to_end(aggregate_id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)


class CachingRepository(Repository[UUID]):
    """Loads an aggregate from its cached state plus the events recorded since.

    Every load reads the stream's events after the cached version (fast-forward),
    whichever process recorded them, so it sees each stored change; the cache only
    holds states replayed from stored events, and each load gets a copy, so a
    command's changes (saved, refused or conflicting) never reach the cache.
    Without a cache size, or for a past version, it loads as eventsourcing does.
    """

    def __init__(
        self,
        event_store: EventStore[UUID],
        *,
        snapshot_store: EventStore[UUID] | None = None,
        cache_maxsize: int | None = None,
    ) -> None:
        super().__init__(event_store, snapshot_store=snapshot_store)
        self.states = AggregateCache(cache_maxsize) if cache_maxsize else None

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: ProjectorFunction[
            TMutableOrImmutableAggregate, TDomainEvent
        ] = replay,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> TMutableOrImmutableAggregate:
        """The aggregate now (or at version), as its stored events make it."""
        if self.states is None or version is not None:
            return super().get(
                aggregate_id, version=version, projector_func=projector_func
            )
        aggregate = self.states.get(aggregate_id)
        if aggregate is None:
            aggregate = self._reconstruct_aggregate(aggregate_id, None, projector_func)
        else:
            newer = list(self.event_store.get(aggregate_id, gt=aggregate.version))
            if not newer:
                return cast(TMutableOrImmutableAggregate, aggregate)
            aggregate = projector_func(aggregate, cast(list[TDomainEvent], newer))
            if aggregate is None:
                raise AggregateNotFoundError(aggregate_id)
        self.states.put(aggregate_id, aggregate)
        return cast(TMutableOrImmutableAggregate, aggregate)


# The idempotency key of the command running in this thread, if it carries one.
_CLAIM: ContextVar[Claim | None] = ContextVar("mentorlog_claim", default=None)


def idempotent(method: Callable[P, Recorded]) -> Callable[P, Recorded]:
    """Let a command carry `idempotency_key`: a retry returns what it recorded."""
    signature = inspect.signature(method)
    command = method.__name__.lstrip("_")

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> Recorded:
        key = kwargs.get("idempotency_key")
        if key is None:
            token = _CLAIM.set(None)  # a command called by another runs unclaimed
            try:
                return method(*args, **kwargs)
            finally:
                _CLAIM.reset(token)
        app = cast(Mentoring, args[0])
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = {
            name: value
            for name, value in bound.arguments.items()
            if name not in ("self", "idempotency_key")
        }
        claim = Claim(
            actor=str(arguments["actor"]),
            key=key,  # type: ignore[arg-type]
            command=command,
            fingerprint=fingerprint(command, arguments, app.fingerprint_secret),
        )
        return app._idempotently(claim, lambda: method(*args, **kwargs))

    return run


class Mentoring(Application[UUID]):
    """Programs, people and mentorships, recorded as events."""

    name = "mentorlog"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Mentorship: 100, Person: 100}

    def __init__(
        self,
        catalog: Catalog,
        env: Mapping[str, str] | None = None,
        today: Callable[[], date] | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        super().__init__(dict(env) if env else None)
        self.catalog = catalog
        self.sealer = Sealer(keys or MemoryKeyStore())
        # Idempotency fingerprints are keyed with a secret kept beside the keys.
        self.fingerprint_secret = self.sealer.keys.create(FINGERPRINT_KEY)
        self.today = today or (lambda: datetime.now(UTC).date())
        # Commands on one stream in this process take turns; other processes
        # still meet optimistic concurrency (see _retrying).
        self._stripes = tuple(threading.Lock() for _ in range(LOCK_STRIPES))

    # -- plumbing --------------------------------------------------------

    def construct_repository(self) -> Repository[UUID]:
        """A CachingRepository, its cache sized by AGGREGATE_CACHE_MAXSIZE."""
        size = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CachingRepository(
            self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(size) if size else None,
        )

    def _load(self, cls: type[A], aggregate_id: str | UUID, field: str) -> A:
        """The aggregate of cls with this ID, or NotFound naming the field.

        With AGGREGATE_CACHE_MAXSIZE set, a copy of the cached state, brought up to
        date by the events recorded since (see CachingRepository).
        """
        try:
            uid = (
                aggregate_id
                if isinstance(aggregate_id, UUID)
                else UUID(str(aggregate_id))
            )
        except ValueError:
            raise NotFound(f"'{aggregate_id}' is not a valid ID", field) from None
        try:
            aggregate: Aggregate = self.repository.get(uid)
        except AggregateNotFoundError:
            raise NotFound(f"no {cls.__name__.lower()} with ID {uid}", field) from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {cls.__name__.lower()} with ID {uid}", field)
        return aggregate

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Record the aggregates' pending events (and any events) in one transaction.

        eventsourcing's save, collecting an Aggregate's events without the two
        runtime Protocol checks (about 13 µs each) it makes on every object.
        """
        processing = ProcessingEvent[UUID]()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
            else:
                processing.collect_events(obj)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # eventsourcing's deprecated hook
        return recordings

    def _save(self, *aggregates: Aggregate) -> int:
        recordings: list[Recording[UUID]] = self.save(*aggregates)
        return max((r.notification.id for r in recordings), default=0)

    def _commit(self, made: str, *aggregates: Aggregate) -> Recorded:
        """Save the aggregates, and the command's idempotency key last, at once."""
        claim = _CLAIM.get()
        if claim is not None:
            used = IdempotencyKey(
                actor=claim.actor,
                key=claim.key,
                command=claim.command,
                fingerprint=claim.fingerprint,
                result_id=made,
            )
            aggregates = (*aggregates, used)
        return Recorded(made, self._save(*aggregates))

    def _claimed(self, claim: Claim) -> Recorded | None:
        """What the claim's key already recorded, or None if it is unused."""
        try:
            used: Aggregate = self.repository.get(claim.id)
        except AggregateNotFoundError:
            return None
        if not isinstance(used, IdempotencyKey) or not claim.matches(used):
            raise IdempotencyKeyReused(
                f"the idempotency key '{claim.key}' was already used for "
                "another command or with other arguments",
                "idempotencyKey",
            )
        # The key is saved last, so its first event is where the command ended.
        position = first_position(self.recorder, claim.id)
        if position is None:
            position = self.recorder.max_notification_id() or 0
        return Recorded(used.result_id, position)

    def _idempotently(self, claim: Claim, run: Callable[[], Recorded]) -> Recorded:
        """Run a command under an idempotency key, at most once per key."""
        self._raise_problems(
            check_text("idempotencyKey", claim.key, max_len=MAX_KEY_LENGTH)
        )
        token = _CLAIM.set(claim)
        try:
            found = self._claimed(claim)
            if found is not None:
                return found
            try:
                return run()
            except (MentorlogError, RecordConflictError):
                # A duplicate may have won the race: then its result is ours.
                found = self._claimed(claim)
                if found is None:
                    raise
                return found
        finally:
            _CLAIM.reset(token)

    def _stripe(self, stream_id: str) -> threading.Lock:
        """The lock this process's commands on one stream take turns with."""
        try:
            key = UUID(str(stream_id)).int
        except ValueError:
            key = hash(stream_id)
        return self._stripes[key % LOCK_STRIPES]

    def _retrying(
        self, command: Callable[[], Recorded], stream_id: str | None = None
    ) -> Recorded:
        """Run a load-check-save command, retrying when a concurrent writer won."""
        if stream_id is not None:
            with self._stripe(stream_id):
                return self._retrying(command)
        claim = _CLAIM.get()
        for attempt in range(MAX_ATTEMPTS):
            # A duplicate of this command may have been recorded meanwhile.
            found = self._claimed(claim) if claim is not None else None
            if found is not None:
                return found
            try:
                return command()
            except RecordConflictError:
                log.debug("conflict on attempt %d, retrying", attempt + 1)
            if attempt + 1 < MAX_ATTEMPTS:
                # A random pause, so the writers that collided do not meet again.
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
        raise Conflict(
            f"the command collided with concurrent changes {MAX_ATTEMPTS} times; "
            "try again"
        )

    def _on_mentorship(
        self, mentorship_id: str, change: Callable[[Mentorship], str | None]
    ) -> Recorded:
        def command() -> Recorded:
            mentorship = self._load(Mentorship, mentorship_id, "mentorshipId")
            made = change(mentorship)
            return self._commit(made or str(mentorship.id), mentorship)

        return self._retrying(command, mentorship_id)

    def _framework(self, name: str) -> GoalFramework:
        framework = self.catalog.framework(name)
        if framework is None:
            known = ", ".join(sorted(self.catalog.frameworks))
            raise UnknownFramework(
                f"unknown goal framework '{name}' (known: {known})", "framework"
            )
        return framework

    def _check_goal(
        self, framework: GoalFramework, fields: Mapping[str, Any], side: str | None
    ) -> None:
        if not isinstance(fields, Mapping):
            raise GoalInvalid([Problem("fields", "fields must be an object")])
        context = GoalContext(today=self.today(), actor_side=side)  # type: ignore[arg-type]
        problems = framework.validate(fields, context)
        if problems:
            raise GoalInvalid(problems)

    def _actor_side(self, mentorship: Mentorship, actor: str) -> str | None:
        person_id = actor_person_id(actor)
        return mentorship.side_of(person_id) if person_id else None

    def _is_admin(self, mentorship: Mentorship, actor: str) -> bool:
        person_id = actor_person_id(actor)
        if person_id is None:
            return actor.startswith("system:")
        program = self._load(Program, mentorship.program_id, "programId")
        return person_id in program.admins

    # -- programs --------------------------------------------------------

    @idempotent
    def create_program(
        self,
        *,
        actor: str,
        name: str,
        description: str = "",
        mentor_min_years_experience: float = 0,
        mentee_min_tenure_years: float = 0,
        duration_months: int = 12,
        cadence_days: int = 30,
        formats: Sequence[str] = ("one_on_one",),
        default_framework: str = "smart",
        admins: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Create a program with its criteria, formats and default framework."""
        problems = [
            *check_text("name", name, max_len=200),
            *check_text("description", description, required=False, max_len=5000),
            *check_number(
                "mentorMinYearsExperience", mentor_min_years_experience, 0, 80
            ),
            *check_number("menteeMinTenureYears", mentee_min_tenure_years, 0, 80),
            *check_int("durationMonths", duration_months, 1, 120),
            *check_int("cadenceDays", cadence_days, 1, 365),
        ]
        if not formats:
            problems.append(Problem("formats", "enable at least one format"))
        for f in formats:
            if self.catalog.format(f) is None:
                raise UnknownFormat(f"unknown format '{f}'", "formats")
        self._framework(default_framework)
        if problems:
            raise InvalidInput(problems)
        for person_id in admins:
            self._load(Person, person_id, "admins")
        program = Program(
            actor=actor,
            name=name.strip(),
            description=description,
            eligibility={
                "mentor_min_years_experience": mentor_min_years_experience,
                "mentee_min_tenure_years": mentee_min_tenure_years,
            },
            duration_months=duration_months,
            cadence_days=cadence_days,
            formats=list(dict.fromkeys(formats)),
            default_framework=default_framework,
            admins=[str(UUID(a)) for a in admins],
        )
        return self._commit(str(program.id), program)

    @idempotent
    def add_starter_goal(
        self,
        program_id: str,
        *,
        actor: str,
        title: str,
        framework: str | None = None,
        fields: Mapping[str, Any] | None = None,
        term: str = "short",
        locked: bool = False,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Add a starter goal that each new mentorship of the program receives."""

        def command() -> Recorded:
            program = self._load(Program, program_id, "programId")
            name = framework or program.default_framework
            problems = [
                *check_text("title", title, max_len=200),
                *check_choice("term", term, GOAL_TERMS),
            ]
            if problems:
                raise InvalidInput(problems)
            # Starter goals are checked as if the mentee set them.
            self._check_goal(self._framework(name), fields or {}, "mentee")
            goal_id = new_id()
            program.add_starter_goal(
                actor=actor,
                goal_id=goal_id,
                title=title.strip(),
                framework=name,
                fields=dict(fields or {}),
                term=term,
                locked=locked,
            )
            return self._commit(goal_id, program)

        return self._retrying(command)

    @idempotent
    def set_connection_plan(
        self,
        program_id: str,
        *,
        actor: str,
        meetings: Sequence[Mapping[str, Any]],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Replace the program's connection plan (a timeline of planned meetings)."""
        plan: list[dict[str, Any]] = []
        problems: list[Problem] = []
        for i, m in enumerate(meetings, start=1):
            where = f"meetings.{i - 1}"
            start, end = m.get("week_start"), m.get("week_end")
            problems += check_text(f"{where}.title", m.get("title"), max_len=200)
            problems += check_int(f"{where}.weekStart", start, 1, 520)
            problems += check_int(f"{where}.weekEnd", end, 1, 520)
            problems += check_texts(f"{where}.agenda", m.get("agenda", []))
            if not problems and start > end:  # type: ignore[operator]
                problems.append(
                    Problem(f"{where}.weekEnd", "weekEnd is before weekStart")
                )
            plan.append(
                {
                    "number": i,
                    "title": m.get("title"),
                    "week_start": start,
                    "week_end": end,
                    "agenda": list(m.get("agenda", [])),
                }
            )
        if problems:
            raise InvalidInput(problems)

        def command() -> Recorded:
            program = self._load(Program, program_id, "programId")
            program.set_connection_plan(actor=actor, meetings=plan)
            return self._commit(str(program.id), program)

        return self._retrying(command)

    @idempotent
    def add_program_admin(
        self,
        program_id: str,
        *,
        actor: str,
        person_id: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Make a registered person an admin of the program."""

        def command() -> Recorded:
            program = self._load(Program, program_id, "programId")
            person = self._load(Person, person_id, "personId")
            program.add_admin(actor=actor, person_id=str(person.id))
            return self._commit(str(program.id), program)

        return self._retrying(command)

    # -- people ----------------------------------------------------------

    @idempotent
    def register_person(
        self,
        *,
        actor: str,
        display_name: str,
        career_stage: str,
        years_experience: float,
        tenure_years: float,
        skills: Sequence[str] = (),
        interests: Sequence[str] = (),
        capacity: int = 1,
        email: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Register a person; their name and email are sealed with their own key."""
        problems = [
            *check_text("displayName", display_name, max_len=200),
            *(check_email(email) if email is not None else []),
            *check_choice("careerStage", career_stage, CAREER_STAGE_VALUES),
            *check_number("yearsExperience", years_experience, 0, 80),
            *check_number("tenureYears", tenure_years, 0, 80),
            *check_texts("skills", skills),
            *check_texts("interests", interests),
            *check_int("capacity", capacity, 0, 50),
        ]
        if not problems and tenure_years > years_experience:
            problems.append(
                Problem("tenureYears", "tenure cannot exceed years of experience")
            )
        if problems:
            raise InvalidInput(problems)
        key_id = str(uuid.uuid4())
        person = Person(
            actor=actor,
            key_id=key_id,
            display_name=self.sealer.seal(key_id, display_name.strip()),
            email=None if email is None else self.sealer.seal(key_id, email.strip()),
            career_stage=career_stage,
            years_experience=float(years_experience),
            tenure_years=float(tenure_years),
            skills=list(skills),
            interests=list(interests),
            capacity=capacity,
        )
        return self._commit(str(person.id), person)

    def name_of(self, person: Person) -> str:
        """The person's display name, or a placeholder once erased."""
        return str(self.sealer.open(person.display_name, ERASED))

    def erase_person(
        self,
        person_id: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Erase a person's personal data by destroying their key; history stays.

        The key goes first, then the erasure is recorded: anything sealed for them
        by a command still running is stored after the key went, so every read
        model opens it as erased, or before the erasure, which blanks it.
        """
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        person = self._load(Person, person_id, "personId")
        self.sealer.keys.destroy(str(person.id))
        return self._erase_person(
            str(person.id), actor=actor, reason=reason, idempotency_key=idempotency_key
        )

    @idempotent
    def _erase_person(
        self,
        person_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record the erasure (erase_person destroyed the key already)."""

        def command() -> Recorded:
            person = self._load(Person, person_id, "personId")
            person.erase(actor=actor, reason=reason)
            return self._commit(str(person.id), person)

        return self._retrying(command)

    # -- mentorships: lifecycle -----------------------------------------

    @idempotent
    def propose_mentorship(
        self,
        *,
        actor: str,
        program_id: str,
        format: str,
        participants: Sequence[Mapping[str, str]],
        purpose: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Propose a mentorship in a format, with people in roles."""
        program = self._load(Program, program_id, "programId")
        fmt = self.catalog.format(format)
        if fmt is None:
            raise UnknownFormat(f"unknown format '{format}'", "format")
        if format not in program.formats:
            raise UnknownFormat(
                f"program '{program.name}' does not enable format '{format}'", "format"
            )
        problems = check_text("purpose", purpose, required=False, max_len=2000)
        if problems:
            raise InvalidInput(problems)
        candidates = []
        for p in participants:
            person = self._load(Person, p.get("person_id", ""), "participants")
            candidates.append(
                Candidate(
                    person_id=str(person.id),
                    role=p.get("role", ""),
                    career_stage=person.career_stage,
                    years_experience=person.years_experience,
                    tenure_years=person.tenure_years,
                )
            )
        problems = fmt.check(candidates)
        if problems:
            raise ParticipantsInvalid(problems)
        mentorship = Mentorship(
            actor=actor,
            program_id=str(program.id),
            format=format,
            participants=[
                {
                    "person_id": c.person_id,
                    "role": c.role,
                    "side": fmt.role(c.role).side,
                }  # type: ignore[union-attr]
                for c in candidates
            ],
            purpose=purpose,
        )
        return self._commit(str(mentorship.id), mentorship)

    @idempotent
    def start_mentorship(
        self, mentorship_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Start a proposal: check eligibility and capacity, copy starter goals."""

        def command() -> Recorded:
            mentorship = self._load(Mentorship, mentorship_id, "mentorshipId")
            program = self._load(Program, mentorship.program_id, "programId")
            mentorship.start(actor=actor)
            people = [
                self._load(Person, p["person_id"], "participants")
                for p in mentorship.participants
            ]
            self._check_eligibility(program, mentorship, people)
            for person in people:
                try:
                    person.join(actor=actor, mentorship_id=str(mentorship.id))
                except OverCapacity as exc:
                    name = self.name_of(person)
                    raise OverCapacity(f"{name} {exc.message}", exc.field) from None
            for starter in program.starter_goals:
                mentorship.set_goal(
                    actor=actor,
                    goal_id=new_id(),
                    title=starter["title"],
                    framework=starter["framework"],
                    fields=starter["fields"],
                    term=starter["term"],
                    private=False,
                    owner_id=None,
                    starter_goal_id=starter["id"],
                    locked=starter["locked"],
                )
            return self._commit(str(mentorship.id), mentorship, *people)

        return self._retrying(command, mentorship_id)

    def _check_eligibility(
        self, program: Program, mentorship: Mentorship, people: Sequence[Person]
    ) -> None:
        rules = program.eligibility
        for person, place in zip(people, mentorship.participants, strict=True):
            if place["side"] == "mentor":
                need = rules.get("mentor_min_years_experience", 0)
                if person.years_experience < need:
                    raise NotEligible(
                        f"{self.name_of(person)} has {person.years_experience:g} years "
                        f"of experience; mentors in '{program.name}' need {need:g}",
                        "participants",
                    )
            if place["side"] == "mentee":
                need = rules.get("mentee_min_tenure_years", 0)
                if person.tenure_years < need:
                    raise NotEligible(
                        f"{self.name_of(person)} has {person.tenure_years:g} years of "
                        f"tenure; mentees in '{program.name}' need {need:g}",
                        "participants",
                    )

    @idempotent
    def pause_mentorship(
        self,
        mentorship_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Pause an active mentorship."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        return self._on_mentorship(
            mentorship_id, lambda m: m.pause(actor=actor, reason=reason)
        )

    @idempotent
    def resume_mentorship(
        self, mentorship_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Resume a paused mentorship."""
        return self._on_mentorship(mentorship_id, lambda m: m.resume(actor=actor))

    @idempotent
    def complete_mentorship(
        self,
        mentorship_id: str,
        *,
        actor: str,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Complete a mentorship and free its participants' capacity."""
        self._raise_problems(check_text("note", note, required=False, max_len=5000))
        return self._closing(
            mentorship_id, lambda m: m.complete(actor=actor, note=note), actor
        )

    @idempotent
    def end_mentorship(
        self,
        mentorship_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """End a mentorship early, with a reason, and free capacity."""
        self._raise_problems(check_text("reason", reason, max_len=2000))
        return self._closing(
            mentorship_id, lambda m: m.end(actor=actor, reason=reason), actor
        )

    def _closing(
        self, mentorship_id: str, close: Callable[[Mentorship], None], actor: str
    ) -> Recorded:
        def command() -> Recorded:
            mentorship = self._load(Mentorship, mentorship_id, "mentorshipId")
            joined = mentorship.status != "proposed"
            close(mentorship)
            people = []
            if joined:
                for person_id in mentorship.person_ids():
                    person = self._load(Person, person_id, "participants")
                    person.leave(actor=actor, mentorship_id=str(mentorship.id))
                    people.append(person)
            return self._commit(str(mentorship.id), mentorship, *people)

        return self._retrying(command, mentorship_id)

    # -- agreement -------------------------------------------------------

    @idempotent
    def record_agreement(
        self,
        mentorship_id: str,
        *,
        actor: str,
        communication: str,
        confidentiality: str,
        schedule: str,
        outcomes: Sequence[str],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record the expectations agreement; each participant then signs it."""
        self._raise_problems(
            [
                *check_text("communication", communication, max_len=2000),
                *check_text("confidentiality", confidentiality, max_len=2000),
                *check_text("schedule", schedule, max_len=2000),
                *check_texts("outcomes", outcomes, required=True),
            ]
        )
        return self._on_mentorship(
            mentorship_id,
            lambda m: m.record_agreement(
                actor=actor,
                communication=communication,
                confidentiality=confidentiality,
                schedule=schedule,
                outcomes=list(outcomes),
            ),
        )

    @idempotent
    def sign_agreement(
        self, mentorship_id: str, *, actor: str, idempotency_key: str | None = None
    ) -> Recorded:
        """Sign the agreement as the acting participant."""
        person_id = actor_person_id(actor)
        if person_id is None:
            raise NotAParticipant("only a participant can sign the agreement")
        return self._on_mentorship(
            mentorship_id, lambda m: m.sign_agreement(actor=actor, person_id=person_id)
        )

    # -- goals -----------------------------------------------------------

    @idempotent
    def set_goal(
        self,
        mentorship_id: str,
        *,
        actor: str,
        title: str,
        framework: str | None = None,
        fields: Mapping[str, Any] | None = None,
        term: str = "short",
        private: bool = False,
        owner_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Set a goal in a framework; the framework checks its fields."""
        self._raise_problems(
            [
                *check_text("title", title, max_len=200),
                *check_choice("term", term, GOAL_TERMS),
            ]
        )

        def change(m: Mentorship) -> str:
            name = (
                framework
                or self._load(Program, m.program_id, "programId").default_framework
            )
            self._check_goal(
                self._framework(name), fields or {}, self._actor_side(m, actor)
            )
            owner = owner_id or actor_person_id(actor)
            if owner is not None and m.side_of(owner) is None:
                raise NotAParticipant("a goal's owner must be a participant", "ownerId")
            if private and owner is None:
                raise InvalidInput(
                    [Problem("ownerId", "a private goal needs an owner")]
                )
            goal_id = new_id()
            m.set_goal(
                actor=actor,
                goal_id=goal_id,
                title=self._maybe_seal(private, owner, title.strip()),
                framework=name,
                fields=self._maybe_seal(private, owner, dict(fields or {})),
                term=term,
                private=private,
                owner_id=owner,
            )
            return goal_id

        return self._on_mentorship(mentorship_id, change)

    @idempotent
    def revise_goal(
        self,
        mentorship_id: str,
        goal_id: str,
        *,
        actor: str,
        title: str | None = None,
        fields: Mapping[str, Any] | None = None,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Revise a goal's title or fields; the framework checks the result."""
        if title is not None:
            self._raise_problems(check_text("title", title, max_len=200))
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))

        def change(m: Mentorship) -> str:
            goal = m.goal(goal_id)
            current = self._goal_content(goal)
            new_fields = dict(current["fields"]) if fields is None else dict(fields)
            is_admin = goal["locked"] and self._is_admin(m, actor)
            m._require_changeable(goal_id, is_admin)
            self._check_goal(
                self._framework(goal["framework"]),
                new_fields,
                self._actor_side(m, actor),
            )
            m.revise_goal(
                actor=actor,
                actor_is_admin=is_admin,
                goal_id=goal_id,
                title=self._maybe_seal(
                    goal["private"],
                    goal["owner_id"],
                    (title or current["title"]).strip(),
                ),
                fields=self._maybe_seal(goal["private"], goal["owner_id"], new_fields),
                reason=self._goal_text(goal, reason),
            )
            return goal_id

        return self._on_mentorship(mentorship_id, change)

    @idempotent
    def record_goal_progress(
        self,
        mentorship_id: str,
        goal_id: str,
        *,
        actor: str,
        percent: float | None = None,
        key_results: Sequence[float] | None = None,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record progress: a percent, or the current value of each key result."""
        self._raise_problems(check_text("note", note, required=False, max_len=5000))
        measurement: dict[str, Any] = {}
        if percent is not None:
            measurement["percent"] = percent
        if key_results is not None:
            measurement["key_results"] = list(key_results)

        def change(m: Mentorship) -> str:
            goal = m.goal(goal_id)
            framework = self._framework(goal["framework"])
            content = self._goal_content(goal)
            problems = framework.validate_progress(content["fields"], measurement)
            if problems:
                raise GoalInvalid(problems)
            progress = framework.progress(content["fields"], measurement)
            m.record_goal_progress(
                actor=actor,
                goal_id=goal_id,
                progress=progress,
                measurement=measurement,
                note=self._goal_text(goal, note),
            )
            return goal_id

        return self._on_mentorship(mentorship_id, change)

    @idempotent
    def achieve_goal(
        self,
        mentorship_id: str,
        goal_id: str,
        *,
        actor: str,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Mark a goal achieved."""
        self._raise_problems(check_text("note", note, required=False, max_len=5000))
        return self._on_mentorship(
            mentorship_id,
            lambda m: (
                m.achieve_goal(
                    actor=actor,
                    goal_id=goal_id,
                    note=self._goal_text(m.goal(goal_id), note),
                )
                or goal_id
            ),
        )

    @idempotent
    def abandon_goal(
        self,
        mentorship_id: str,
        goal_id: str,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Abandon a goal, with a reason."""
        self._raise_problems(check_text("reason", reason, max_len=2000))

        def change(m: Mentorship) -> str:
            goal = m.goal(goal_id)
            is_admin = goal["locked"] and self._is_admin(m, actor)
            m.abandon_goal(
                actor=actor,
                actor_is_admin=is_admin,
                goal_id=goal_id,
                reason=self._goal_text(goal, reason),
            )
            return goal_id

        return self._on_mentorship(mentorship_id, change)

    def _maybe_seal(self, private: bool, owner: str | None, value: Any) -> Any:
        """Seal private content with its owner's key; leave others plain."""
        if not (private and owner):
            return value
        try:
            return self.sealer.seal(owner, value)
        except KeyError:
            raise InvalidTransition(
                "the owner was erased: their private content cannot change"
            ) from None

    def _goal_text(self, goal: Mapping[str, Any], text: str) -> Any:
        """A note or reason on a goal: sealed like the goal, when there is one."""
        return self._maybe_seal(goal["private"] and bool(text), goal["owner_id"], text)

    @idempotent
    def share_goal(
        self,
        mentorship_id: str,
        goal_id: str,
        *,
        actor: str,
        shared_with: Sequence[str],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Let partners read the owner's private goal (an empty list: nobody)."""
        return self._sharing(
            mentorship_id,
            goal_id,
            actor,
            shared_with,
            lambda m, by, people: m.share_goal(
                actor=actor, by=by, goal_id=goal_id, shared_with=people
            ),
        )

    def _sharing(
        self,
        mentorship_id: str,
        item_id: str,
        actor: str,
        shared_with: Sequence[str],
        share: Callable[[Mentorship, str, list[str]], None],
    ) -> Recorded:
        """Run share(mentorship, acting person, people) on a goal or note."""
        by = self._acting_person(actor)
        people = list(dict.fromkeys(shared_with))

        def change(m: Mentorship) -> str:
            share(m, by, people)
            return item_id

        return self._on_mentorship(mentorship_id, change)

    @staticmethod
    def _acting_person(actor: str) -> str:
        """The person an actor names, or NotAParticipant for a system actor."""
        person_id = actor_person_id(actor)
        if person_id is None:
            raise NotAParticipant("only a participant can do this")
        return person_id

    def _goal_content(self, goal: Mapping[str, Any]) -> dict[str, Any]:
        """A goal's title and fields, opened if private."""
        title = self.sealer.open(goal["title"])
        fields = self.sealer.open(goal["fields"])
        if title is None or fields is None:
            raise InvalidTransition(
                "the goal's owner was erased: its content cannot change", "goalId"
            )
        return {"title": title, "fields": fields}

    # -- notes -----------------------------------------------------------

    @idempotent
    def write_note(
        self,
        mentorship_id: str,
        *,
        actor: str,
        text: str,
        meeting_id: str | None = None,
        private: bool = True,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Write a note, maybe on a meeting; a private one is sealed for its author."""
        self._raise_problems(check_text("text", text, max_len=NOTE_MAX_LENGTH))
        author = self._acting_person(actor)

        def change(m: Mentorship) -> str:
            note_id = new_id()
            m.write_note(
                actor=actor,
                note_id=note_id,
                author_id=author,
                meeting_id=meeting_id,
                text=self._maybe_seal(private, author, text),
                private=private,
            )
            return note_id

        return self._on_mentorship(mentorship_id, change)

    @idempotent
    def revise_note(
        self,
        mentorship_id: str,
        note_id: str,
        *,
        actor: str,
        text: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Replace the text of one's own note."""
        self._raise_problems(check_text("text", text, max_len=NOTE_MAX_LENGTH))
        by = self._acting_person(actor)

        def change(m: Mentorship) -> str:
            note = m.note(note_id)
            sealed = self._maybe_seal(note["private"], note["author_id"], text)
            m.revise_note(actor=actor, by=by, note_id=note_id, text=sealed)
            return note_id

        return self._on_mentorship(mentorship_id, change)

    @idempotent
    def share_note(
        self,
        mentorship_id: str,
        note_id: str,
        *,
        actor: str,
        shared_with: Sequence[str],
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Let partners read the author's private note (an empty list: nobody)."""
        return self._sharing(
            mentorship_id,
            note_id,
            actor,
            shared_with,
            lambda m, by, people: m.share_note(
                actor=actor, by=by, note_id=note_id, shared_with=people
            ),
        )

    # -- milestones ------------------------------------------------------

    @idempotent
    def reach_milestone(
        self,
        mentorship_id: str,
        *,
        actor: str,
        title: str,
        goal_id: str | None = None,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record a milestone reached."""
        self._raise_problems(
            [
                *check_text("title", title, max_len=200),
                *check_text("note", note, required=False, max_len=5000),
            ]
        )

        def change(m: Mentorship) -> str:
            milestone_id = new_id()
            m.reach_milestone(
                actor=actor,
                milestone_id=milestone_id,
                title=title.strip(),
                goal_id=goal_id,
                note=note,
            )
            return milestone_id

        return self._on_mentorship(mentorship_id, change)

    @idempotent
    def celebrate_milestone(
        self,
        mentorship_id: str,
        milestone_id: str,
        *,
        actor: str,
        how: str,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record how a milestone was celebrated."""
        self._raise_problems(check_text("how", how, max_len=2000))
        return self._on_mentorship(
            mentorship_id,
            lambda m: (
                m.celebrate_milestone(actor=actor, milestone_id=milestone_id, how=how)
                or milestone_id
            ),
        )

    # -- meetings --------------------------------------------------------

    @idempotent
    def schedule_meeting(
        self,
        mentorship_id: str,
        *,
        actor: str,
        scheduled_for: str,
        agenda: Sequence[str] = (),
        duration_minutes: int = 60,
        plan_number: int | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Schedule a meeting; with a plan number, the plan's agenda is the default."""
        self._raise_problems(
            [
                *check_datetime("scheduledFor", scheduled_for),
                *check_texts("agenda", agenda),
                *check_int("durationMinutes", duration_minutes, 5, 24 * 60),
            ]
        )

        def change(m: Mentorship) -> str:
            items = list(agenda)
            if plan_number is not None:
                program = self._load(Program, m.program_id, "programId")
                plan = program.connection_plan or self._format_plan(m.format)
                planned = next((p for p in plan if p["number"] == plan_number), None)
                if planned is None:
                    raise NotFound(
                        f"the connection plan has no meeting {plan_number}",
                        "planNumber",
                    )
                items = items or list(planned["agenda"])
            meeting_id = new_id()
            m.schedule_meeting(
                actor=actor,
                meeting_id=meeting_id,
                scheduled_for=scheduled_for,
                duration_minutes=duration_minutes,
                agenda=items,
                plan_number=plan_number,
            )
            return meeting_id

        return self._on_mentorship(mentorship_id, change)

    def _format_plan(self, format: str) -> list[dict[str, Any]]:
        """The format's connection plan, shaped like a program's."""
        fmt = self.catalog.format(format)
        return [
            {
                "number": p.number,
                "title": p.title,
                "week_start": p.week_start,
                "week_end": p.week_end,
                "agenda": list(p.agenda),
            }
            for p in (fmt.connection_plan if fmt else ())
        ]

    @idempotent
    def hold_meeting(
        self,
        mentorship_id: str,
        meeting_id: str,
        *,
        actor: str,
        notes: str = "",
        duration_minutes: int = 60,
        attended: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record that a meeting was held: shared notes, who attended (default all)."""
        self._raise_problems(
            [
                *check_text("notes", notes, required=False, max_len=20000),
                *check_int("durationMinutes", duration_minutes, 1, 24 * 60),
                *([] if attended is None else check_texts("attended", attended)),
            ]
        )
        return self._on_mentorship(
            mentorship_id,
            lambda m: (
                m.hold_meeting(
                    actor=actor,
                    meeting_id=meeting_id,
                    notes=notes,
                    duration_minutes=duration_minutes,
                    attended=None
                    if attended is None
                    else list(dict.fromkeys(attended)),
                )
                or meeting_id
            ),
        )

    @idempotent
    def cancel_meeting(
        self,
        mentorship_id: str,
        meeting_id: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Cancel a scheduled meeting."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        return self._on_mentorship(
            mentorship_id,
            lambda m: (
                m.cancel_meeting(actor=actor, meeting_id=meeting_id, reason=reason)
                or meeting_id
            ),
        )

    # -- reviews and feedback -------------------------------------------

    @idempotent
    def record_review(
        self,
        mentorship_id: str,
        *,
        actor: str,
        progress_rating: int,
        went_well: str = "",
        challenges: str = "",
        support: Sequence[str] = (),
        next_steps: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record a periodic review: rating 1-5, what went well, challenges, support."""
        problems = [
            *check_int("progressRating", progress_rating, 1, 5),
            *check_text("wentWell", went_well, required=False, max_len=5000),
            *check_text("challenges", challenges, required=False, max_len=5000),
            *check_text("nextSteps", next_steps, required=False, max_len=5000),
        ]
        for kind in support:
            problems += check_choice("support", kind, SUPPORT_KINDS)
        self._raise_problems(problems)

        def change(m: Mentorship) -> str:
            review_id = new_id()
            m.record_review(
                actor=actor,
                review_id=review_id,
                progress_rating=progress_rating,
                went_well=went_well,
                challenges=challenges,
                support=list(dict.fromkeys(support)),
                next_steps=next_steps,
            )
            return review_id

        return self._on_mentorship(mentorship_id, change)

    @idempotent
    def give_feedback(
        self,
        mentorship_id: str,
        *,
        actor: str,
        text: str,
        source: str = "participant",
        about_id: str | None = None,
        rating: int | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record feedback from a participant, manager, peer, the program or self."""
        problems = [
            *check_text("text", text, max_len=5000),
            *check_choice("source", source, FEEDBACK_SOURCES),
        ]
        if rating is not None:
            problems += check_int("rating", rating, 1, 5)
        self._raise_problems(problems)

        def change(m: Mentorship) -> str:
            if about_id is not None and m.side_of(about_id) is None:
                raise NotAParticipant("feedback is about a participant", "aboutId")
            feedback_id = new_id()
            m.give_feedback(
                actor=actor,
                feedback_id=feedback_id,
                source=source,
                about_id=about_id,
                rating=rating,
                text=text,
            )
            return feedback_id

        return self._on_mentorship(mentorship_id, change)

    # -- access ----------------------------------------------------------

    def issue_token(
        self, *, actor: str, person_id: str, role: str, program_id: str | None = None
    ) -> tuple[str, Recorded]:
        """Issue a bearer token; it is returned once, only its hash is stored."""
        self._raise_problems(check_choice("role", role, ROLES))
        person = self._load(Person, person_id, "personId")
        if role == "admin":
            if program_id is None:
                raise InvalidInput(
                    [Problem("programId", "an admin token names a program")]
                )
            program = self._load(Program, program_id, "programId")
            if str(person.id) not in program.admins:
                raise InvalidInput(
                    [
                        Problem(
                            "personId",
                            f"{self.name_of(person)} is not an admin "
                            f"of '{program.name}'",
                        )
                    ]
                )
            program_id = str(program.id)
        elif program_id is not None:
            program_id = str(self._load(Program, program_id, "programId").id)
        token = new_token()
        credential = Credential(
            actor=actor,
            token_hash=token_hash(token),
            person_id=str(person.id),
            role=role,
            program_id=program_id,
        )
        return token, self._commit(str(credential.id), credential)

    @idempotent
    def revoke_token(
        self,
        credential: str,
        *,
        actor: str,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Revoke a token by its credential ID."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))

        def command() -> Recorded:
            grant = self._load(Credential, credential, "credentialId")
            grant.revoke(actor=actor, reason=reason)
            return self._commit(str(grant.id), grant)

        return self._retrying(command)

    def authenticate(self, token: str) -> Principal:
        """Return the principal a bearer token names, or raise Unauthenticated."""
        return self.principal_of(credential_id(token))

    def principal_of(self, credential: str | UUID) -> Principal:
        """The principal of a credential that still holds, or raise Unauthenticated."""
        try:
            grant = self._load(Credential, credential, "token")
        except NotFound:
            raise Unauthenticated("the token is unknown") from None
        if grant.revoked:
            raise Unauthenticated("the token has been revoked")
        try:
            person = self._load(Person, grant.person_id, "token")
        except NotFound:
            raise Unauthenticated("the token's person is unknown") from None
        if person.erased:
            raise Unauthenticated("the token's person has been erased")
        return Principal(str(grant.id), grant.person_id, grant.role, grant.program_id)

    # -- reading (for the history and tests) ----------------------------

    def get_mentorship(self, mentorship_id: str) -> Mentorship:
        """Return a mentorship rebuilt from its events."""
        return self._load(Mentorship, mentorship_id, "mentorshipId")

    def get_program(self, program_id: str) -> Program:
        """Return a program rebuilt from its events."""
        return self._load(Program, program_id, "programId")

    def get_person(self, person_id: str) -> Person:
        """Return a person rebuilt from their events."""
        return self._load(Person, person_id, "personId")

    @staticmethod
    def _raise_problems(problems: Sequence[Problem]) -> None:
        if problems:
            raise InvalidInput(problems)
