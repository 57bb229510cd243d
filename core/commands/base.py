"""The command plumbing every feature's commands share: load, check, commit, retry.

Each command of the Mentoring service is a method decorated with `@command`: it
loads aggregates (`_load`), lets them check their rules and trigger events, then
saves them at once (`_commit`), retried on a concurrent writer's conflict
(`_retrying`, `_on_mentorship`). A command may carry `idempotency_key`: a retry
returns what the first run recorded (its fingerprint covers the command's name
and arguments, so the signature is the command's one definition). When the
database connection drops, a command runs again on a fresh one (`reconnecting`),
and a save that committed as it dropped answers as committed (`_save`).
"""

from __future__ import annotations

import functools
import inspect
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any, ParamSpec, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    RecordConflictError,
    Recording,
)
from mentorlog.core import clock
from mentorlog.core.access import actor_person_id
from mentorlog.core.errors import (
    Conflict,
    GoalInvalid,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    MentorlogError,
    NotAParticipant,
    NotFound,
    Unavailable,
    UnknownFramework,
)
from mentorlog.core.idempotency import (
    MAX_KEY_LENGTH,
    Claim,
    IdempotencyKey,
    fingerprint,
)
from mentorlog.core.inputs import check_storable, check_text, excerpt
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.person import Person
from mentorlog.core.principals import MAXSIZE, REFRESH_SECONDS, Principals
from mentorlog.core.privacy import ERASED, KeyStore, MemoryKeyStore, Sealer
from mentorlog.core.program import Program
from mentorlog.core.storage.cache import CachingRepository
from mentorlog.plugins.interfaces import GoalContext, GoalFramework, Problem
from mentorlog.plugins.manager import Catalog

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
FINGERPRINT_KEY = "mentorlog:idempotency-fingerprints"
P = ParamSpec("P")
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.002  # the first retry waits up to this; each next one twice as long
LOCK_STRIPES = 64
# A dropped database connection (a restart, a terminated backend, a pool timeout).
CONNECTION_ERRORS = (OperationalError, InterfaceError)
RECONNECTS = 6  # attempts on a fresh connection before answering Unavailable
RECONNECT_SECONDS = 0.05  # the first wait; each next one twice as long (~3 s in all)
RECONNECT_BUDGET = 5.0  # seconds after which no new attempt starts


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the ID it made or touched and the log position."""

    id: str
    position: int


def new_id() -> str:
    """Return a fresh ID for an entity inside a stream."""
    return uuid.uuid4().hex[:12]


# The idempotency key of the command running in this thread, if it carries one.
_CLAIM: ContextVar[Claim | None] = ContextVar("mentorlog_claim", default=None)

# True while a command runs in this thread: the outermost one retries on a dropped
# connection, and records whether it saved (a save that committed is not redone).
_RUNNING: ContextVar[bool] = ContextVar("mentorlog_running", default=False)
_SAVED: ContextVar[bool] = ContextVar("mentorlog_saved", default=False)
# The name of the outermost command running in this thread, for the observer.
_COMMAND: ContextVar[str] = ContextVar("mentorlog_command", default="other")


class CommandObserver(Protocol):
    """Told what commands record and retry (e.g. metrics); must not raise."""

    def recorded(self, command: str) -> None:
        """A command's save committed."""

    def retried(self, command: str, reason: str) -> None:
        """A command runs again: reason 'conflict' or 'connection'."""


class NotRecorded(Exception):
    """A save failed on a dropped connection, and its events are not stored."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message (a database error's has several)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def drain_pools(*holders: object) -> None:
    """Replace the idle pooled connections of each holder's PostgreSQL datastore.

    When one connection drops, the server most likely dropped the idle ones too
    (a restart, a failover, terminated backends); the next attempt gets a new one.
    """
    for holder in holders:
        pool = getattr(getattr(holder, "datastore", None), "pool", None)
        drain = getattr(pool, "drain", None)
        if drain is not None:
            drain()


def reconnecting(
    run: Callable[[], R], what: str, lost: Callable[[], None] = lambda: None
) -> R:
    """Run, again on a fresh connection while the connection drops (bounded)."""
    deadline = time.monotonic() + RECONNECT_BUDGET
    for attempt in range(RECONNECTS):
        saved = _SAVED.set(False)
        try:
            return run()
        except (*CONNECTION_ERRORS, NotRecorded) as error:
            if _SAVED.get():
                raise Unavailable(
                    "the database connection dropped after part of the change was "
                    "recorded; read it back before trying again",
                    retryable=False,
                ) from error
            log.warning(
                "%s: database connection lost (%s); retrying", what, first_line(error)
            )
            lost()
        finally:
            _SAVED.reset(saved)
        pause = RECONNECT_SECONDS * 2**attempt
        if attempt + 1 == RECONNECTS or time.monotonic() + pause > deadline:
            break
        time.sleep(pause)
    raise Unavailable(
        "the database is unavailable; nothing was recorded, try again shortly"
    )


# Every command of the service by name, with its signature: the one definition
# of its arguments, which the fingerprint hashes and the access policy names.
COMMANDS: dict[str, inspect.Signature] = {}


def added_arguments(*names: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Name the arguments a command gained after a release (under `@command`).

    At their defaults they stay out of its fingerprint, so a retry of what the
    release recorded still matches its stored key.
    """

    def mark(method: Callable[P, R]) -> Callable[P, R]:
        method.added_arguments = frozenset(names)  # type: ignore[attr-defined]
        return method

    return mark


def command(method: Callable[P, R]) -> Callable[P, R]:
    """Declare a command: unstorable text is refused; a retry with the same
    `idempotency_key` returns what the first run recorded.

    The command's name is the method's, without a leading underscore: it is
    hashed into stored fingerprints, so it never changes.
    """
    signature = inspect.signature(method)
    name = method.__name__.lstrip("_")
    COMMANDS[name] = signature
    idempotent = "idempotency_key" in signature.parameters
    added: frozenset[str] = getattr(method, "added_arguments", frozenset())

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # Text that cannot be stored is refused before anything is recorded.
        Service._raise_problems(check_storable(kwargs))
        if not idempotent:
            return method(*args, **kwargs)
        key = kwargs.get("idempotency_key")
        if key is None:
            token = _CLAIM.set(None)  # a command called by another runs unclaimed
            try:
                return method(*args, **kwargs)
            finally:
                _CLAIM.reset(token)
        service = cast(Service, args[0])
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = {
            argument: value
            for argument, value in bound.arguments.items()
            if argument not in ("self", "idempotency_key")
            and not (
                argument in added and value == signature.parameters[argument].default
            )
        }
        claim = Claim(
            actor=str(arguments["actor"]),
            key=key,  # type: ignore[arg-type]
            command=name,
            fingerprint=fingerprint(name, arguments, service.fingerprint_secret),
        )
        once = cast(Callable[[], Recorded], functools.partial(method, *args, **kwargs))
        return cast(R, service._idempotently(claim, once))

    return _outermost_retries(run, name)


def _outermost_retries(method: Callable[P, R], name: str) -> Callable[P, R]:
    """The command, run again from its start when the connection drops.

    Only the outermost command retries: one called by another is part of it.
    """

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _RUNNING.get():
            return method(*args, **kwargs)
        service = cast(Service, args[0])
        token, named = _RUNNING.set(True), _COMMAND.set(name)
        try:
            return reconnecting(lambda: method(*args, **kwargs), name, service.lost)
        finally:
            _RUNNING.reset(token)
            _COMMAND.reset(named)

    return run


class Service(Application[UUID]):
    """The Mentoring service's plumbing; each feature's commands subclass it."""

    PRINCIPAL_CACHE_MAXSIZE = "PRINCIPAL_CACHE_MAXSIZE"
    PRINCIPAL_CACHE_REFRESH = "PRINCIPAL_CACHE_REFRESH"

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
        self.today = today or (lambda: clock.now().date())
        self.observer: CommandObserver | None = None
        # Commands on one stream in this process take turns; other processes
        # still meet optimistic concurrency (see _retrying).
        self._stripes = tuple(threading.Lock() for _ in range(LOCK_STRIPES))
        # Tokens' principals, so authenticating reads no events (0 turns it off).
        self.principals = Principals(
            self.recorder,
            refresh=float(
                self.env.get(self.PRINCIPAL_CACHE_REFRESH) or REFRESH_SECONDS
            ),
            maxsize=int(self.env.get(self.PRINCIPAL_CACHE_MAXSIZE) or MAXSIZE),
        )

    # -- plumbing --------------------------------------------------------

    def construct_repository(self) -> Repository[UUID]:
        """A CachingRepository, its cache sized by AGGREGATE_CACHE_MAXSIZE."""
        size = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CachingRepository(
            self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(size) if size else None,
        )

    def lost(self) -> None:
        """A database connection dropped: replace the pools' idle connections."""
        drain_pools(self.recorder, self.sealer.keys)
        if self.observer is not None and _RUNNING.get():
            self.observer.retried(_COMMAND.get(), "connection")

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
            shown = excerpt(aggregate_id)
            raise NotFound(f"'{shown}' is not a valid ID", field) from None
        try:
            aggregate: Aggregate = (
                self.repository.get(uid)
                if _RUNNING.get()  # the command retries as a whole
                else reconnecting(lambda: self.repository.get(uid), "read", self.lost)
            )
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
        """Save; on a dropped connection, answer as committed if the events are stored.

        Otherwise raise NotRecorded, and the command runs again (see reconnecting).
        """
        first = next((e for a in aggregates for e in a.pending_events), None)
        try:
            recordings: list[Recording[UUID]] = self.save(*aggregates)
            position = max((r.notification.id for r in recordings), default=0)
        except CONNECTION_ERRORS as error:
            if first is None:
                raise
            self.lost()
            found = self._stored_position(first)
            if found is None:
                raise NotRecorded(str(error)) from error
            log.warning(
                "database connection lost as a write committed (%s)",
                first_line(error),
            )
            position = found
        _SAVED.set(True)
        if self.observer is not None:
            self.observer.recorded(_COMMAND.get())
        return position

    def _stored_position(self, first: Any) -> int | None:
        """After a lost save: a log position past its events if stored, else None.

        The save is one transaction, so its first event tells: stored with this
        event's type and time, it is ours (another writer's would differ).
        """

        def look() -> int | None:
            version = first.originator_version
            stored: list[Any] = list(
                self.events.get(first.originator_id, gt=version - 1, lte=version)
            )
            mine = (type(first), first.timestamp)
            if not stored or (type(stored[0]), stored[0].timestamp) != mine:
                return None
            return self.recorder.max_notification_id() or 0

        try:
            return reconnecting(look, "checking a lost write", self.lost)
        except Unavailable:
            raise Unavailable(
                "the database connection dropped while recording, and whether it "
                "was recorded is unknown; read it back (or retry with the same "
                "idempotency key)",
                retryable=False,
            ) from None

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
        first = getattr(self.recorder, "first_position", None)
        position = first(claim.id) if first is not None else None
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
        self, once: Callable[[], Recorded], stream_id: str | None = None
    ) -> Recorded:
        """Run a load-check-save command, retrying when a concurrent writer won."""
        if stream_id is not None:
            with self._stripe(stream_id):
                return self._retrying(once)
        claim = _CLAIM.get()
        for attempt in range(MAX_ATTEMPTS):
            # A duplicate of this command may have been recorded meanwhile.
            found = self._claimed(claim) if claim is not None else None
            if found is not None:
                return found
            try:
                return once()
            except RecordConflictError:
                log.debug("conflict on attempt %d, retrying", attempt + 1)
                if self.observer is not None:
                    self.observer.retried(_COMMAND.get(), "conflict")
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
        def attempt() -> Recorded:
            mentorship = self._load(Mentorship, mentorship_id, "mentorshipId")
            made = change(mentorship)
            return self._commit(made or str(mentorship.id), mentorship)

        return self._retrying(attempt, mentorship_id)

    # -- checks and helpers several features share -------------------------

    def _framework(self, name: str) -> GoalFramework:
        """The goal framework of that name, or UnknownFramework."""
        framework = self.catalog.framework(name)
        if framework is None:
            known = ", ".join(sorted(self.catalog.frameworks))
            raise UnknownFramework(
                f"unknown goal framework '{excerpt(name)}' (known: {known})",
                "framework",
            )
        return framework

    def _check_goal(
        self, framework: GoalFramework, fields: Mapping[str, Any], side: str | None
    ) -> None:
        """Let the framework check a goal's fields, as set from that side."""
        if not isinstance(fields, Mapping):
            raise GoalInvalid([Problem("fields", "fields must be an object")])
        context = GoalContext(today=self.today(), actor_side=side)  # type: ignore[arg-type]
        problems = framework.validate(fields, context)
        if problems:
            raise GoalInvalid(problems)

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

    def name_of(self, person: Person) -> str:
        """The person's display name, or a placeholder once erased."""
        return str(self.sealer.open(person.display_name, ERASED))

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
