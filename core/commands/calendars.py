"""Calendar feed commands: a person's private feed of their meetings, and its check.

A feed is addressed by a token shown once (GET /calendar/<token>.ics); only its
hash is recorded, on the Person, so creating another replaces it and revoking it
ends it. Which person a hash names is the read model's (`calendar_feeds`); whether
it still serves is the Person's, loaded from the store on every request, so a
revocation holds at once in every process.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from mentorlog.core.access import actor_person_id, token_hash
from mentorlog.core.commands.base import Recorded, Service, command, reconnecting
from mentorlog.core.errors import InvalidInput, NotFound
from mentorlog.core.inputs import check_text
from mentorlog.core.person import Person
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem

FEED_PREFIX = "mlcal_"


def new_feed_token() -> str:
    """A fresh calendar-feed token: 256 random bits, URL-safe."""
    return FEED_PREFIX + secrets.token_urlsafe(32)


def feed_hash(token: str) -> str | None:
    """The hash a feed token is recorded by; None for what cannot be one."""
    if not token.startswith(FEED_PREFIX) or len(token) > 100:
        return None
    return token_hash(token)


@dataclass(frozen=True)
class CalendarFeed:
    """What a feed serves: the meetings of a person, in one program or all."""

    person_id: str
    program_id: str | None


class CalendarFeedCommands(Service):
    """Calendar feed commands: create and revoke one's feed; what a token opens."""

    @command
    def create_calendar_feed(
        self, *, actor: str, program_id: str | None = None
    ) -> tuple[str, Recorded]:
        """Create the actor's calendar feed (of one program's mentorships, or all),
        replacing any they had; its token is returned once, only its hash stored."""
        person_id = _own_person(actor)
        if program_id is not None:
            program_id = str(self._load(Program, program_id, "programId").id)
        token = new_feed_token()

        def attempt() -> Recorded:
            person = self._load(Person, person_id, "actor")
            person.create_calendar_feed(
                actor=actor, feed_hash=token_hash(token), program_id=program_id
            )
            return self._commit(str(person.id), person)

        return token, self._retrying(attempt)

    @command
    def revoke_calendar_feed(
        self, *, actor: str, reason: str = "", idempotency_key: str | None = None
    ) -> Recorded:
        """Revoke the actor's calendar feed: its address serves nothing from then."""
        self._raise_problems(check_text("reason", reason, required=False, max_len=2000))
        person_id = _own_person(actor)

        def attempt() -> Recorded:
            person = self._load(Person, person_id, "actor")
            person.revoke_calendar_feed(actor=actor, reason=reason)
            return self._commit(str(person.id), person)

        return self._retrying(attempt)

    def calendar_feed(self, person_id: str, token: str) -> CalendarFeed | None:
        """The feed a token opens for the person the read model names, or None:
        the Person, as stored now, must hold the token's hash and not be erased."""
        digest = feed_hash(token)
        if digest is None:
            return None

        def load() -> CalendarFeed | None:
            try:
                person = self._load(Person, person_id, "person")
            except NotFound:
                return None
            if not person.serves_calendar_feed(digest):
                return None
            return CalendarFeed(str(person.id), person.calendar_feed_program)

        return reconnecting(load, "opening a calendar feed", self.lost)


def _own_person(actor: str) -> str:
    """The person an actor names: only a person has a calendar feed."""
    person_id = actor_person_id(actor)
    if person_id is None:
        raise InvalidInput([Problem("actor", "only a person has a calendar feed")])
    return person_id
