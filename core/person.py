"""The Person aggregate: career profile and the mentorships they take part in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event
from eventsourcing.utils import get_topic
from mentorlog.core.clock import ClockedAggregate
from mentorlog.core.errors import InvalidTransition, OverCapacity


class Person(ClockedAggregate):
    """Someone who mentors, is mentored, or runs a program.

    Name and email are sealed with the person's own key (see core/privacy.py).
    """

    if TYPE_CHECKING:  # the event classes the @event decorators below make
        Registered: ClassVar[type[ClockedAggregate.Event]]
        MentorshipJoined: ClassVar[type[ClockedAggregate.Event]]
        MentorshipLeft: ClassVar[type[ClockedAggregate.Event]]
        Erased: ClassVar[type[ClockedAggregate.Event]]
        Granted: ClassVar[type[ClockedAggregate.Event]]
        GrantRevoked: ClassVar[type[ClockedAggregate.Event]]
        CodeRedeemed: ClassVar[type[ClockedAggregate.Event]]
        CalendarFeedCreated: ClassVar[type[ClockedAggregate.Event]]
        CalendarFeedRevoked: ClassVar[type[ClockedAggregate.Event]]

    @classmethod
    def create_id(cls, *, key_id: str, **_: object) -> UUID:
        """The person's ID is the ID of the key that seals their personal data."""
        return UUID(key_id)

    @event("Registered")
    def __init__(
        self,
        *,
        actor: str,
        key_id: str,
        display_name: Any,
        email: Any,
        career_stage: str,
        years_experience: float,
        tenure_years: float,
        skills: list[str],
        interests: list[str],
        capacity: int,
    ) -> None:
        self.display_name = display_name
        self.email = email
        self.erased = False
        self.career_stage = career_stage
        self.years_experience = years_experience
        self.tenure_years = tenure_years
        self.skills = list(skills)
        self.interests = list(interests)
        self.capacity = capacity
        self.mentorships: list[str] = []

    def join(self, *, actor: str, mentorship_id: str) -> None:
        """Take a place in a mentorship, within capacity."""
        if mentorship_id in self.mentorships:
            return
        if len(self.mentorships) >= self.capacity:
            raise OverCapacity(
                f"already takes {len(self.mentorships)} mentorship(s), their capacity",
                "participants",
            )
        self._join(actor=actor, mentorship_id=mentorship_id)

    @event("MentorshipJoined")
    def _join(self, *, actor: str, mentorship_id: str) -> None:
        self.mentorships.append(mentorship_id)

    def leave(self, *, actor: str, mentorship_id: str) -> None:
        """Free the place a finished mentorship took."""
        if mentorship_id in self.mentorships:
            self._leave(actor=actor, mentorship_id=mentorship_id)

    @event("MentorshipLeft")
    def _leave(self, *, actor: str, mentorship_id: str) -> None:
        self.mentorships.remove(mentorship_id)

    def erase(self, *, actor: str, reason: str) -> None:
        """Record that the person's personal data is erased (their key destroyed)."""
        if self.erased:
            raise InvalidTransition("this person is already erased")
        self._erase(actor=actor, reason=reason)

    @event("Erased")
    def _erase(self, *, actor: str, reason: str) -> None:
        self.erased = True

    @property
    def grants(self) -> dict[str, tuple[str, str | None]]:
        """Grant ID -> (role, program ID): the roles a signed-in identity acts in."""
        return dict(getattr(self, "_grants", {}))  # none before the first grant

    def grant(
        self, *, actor: str, grant_id: str, role: str, program_id: str | None
    ) -> None:
        """Grant a role (in a program, for a participant or admin); once."""
        if grant_id in self.grants:
            raise InvalidTransition("the person already has this grant")
        self._grant(actor=actor, grant_id=grant_id, role=role, program_id=program_id)

    @event("Granted")
    def _grant(
        self, *, actor: str, grant_id: str, role: str, program_id: str | None
    ) -> None:
        self._grants = {**self.grants, grant_id: (role, program_id)}

    def revoke_grant(self, *, actor: str, grant_id: str, reason: str) -> None:
        """Revoke a grant: no identity acts in that role from then on."""
        if grant_id not in self.grants:
            raise InvalidTransition("the person has no such grant")
        self._revoke_grant(actor=actor, grant_id=grant_id, reason=reason)

    @event("GrantRevoked")
    def _revoke_grant(self, *, actor: str, grant_id: str, reason: str) -> None:
        grants = self.grants
        del grants[grant_id]
        self._grants = grants

    @property
    def code_credentials(self) -> tuple[str, ...]:
        """The credentials one-time invitation codes yielded for the person."""
        return tuple(getattr(self, "_code_credentials", ()))  # none before a code

    def redeem_code(
        self, *, actor: str, invitation_id: str, credential_id: str
    ) -> None:
        """Record that an invitation's code yielded a token in the person's name."""
        self._redeem_code(
            actor=actor, invitation_id=invitation_id, credential_id=credential_id
        )

    @event("CodeRedeemed")
    def _redeem_code(
        self, *, actor: str, invitation_id: str, credential_id: str
    ) -> None:
        self._code_credentials = (*self.code_credentials, credential_id)

    # The calendar feed: its token's hash, and the program it is bound to (None:
    # every program the person takes part in); no hash, no feed.
    calendar_feed_hash: str | None = None
    calendar_feed_program: str | None = None

    def create_calendar_feed(
        self, *, actor: str, feed_hash: str, program_id: str | None
    ) -> None:
        """Create the person's calendar feed; it replaces the one they had."""
        if self.erased:
            raise InvalidTransition("this person is erased")
        self._create_calendar_feed(
            actor=actor, feed_hash=feed_hash, program_id=program_id
        )

    @event("CalendarFeedCreated")
    def _create_calendar_feed(
        self, *, actor: str, feed_hash: str, program_id: str | None
    ) -> None:
        self.calendar_feed_hash = feed_hash
        self.calendar_feed_program = program_id

    def revoke_calendar_feed(self, *, actor: str, reason: str) -> None:
        """Revoke the person's calendar feed: its address serves nothing from then."""
        if self.calendar_feed_hash is None:
            raise InvalidTransition("there is no calendar feed to revoke")
        self._revoke_calendar_feed(
            actor=actor, feed_hash=self.calendar_feed_hash, reason=reason
        )

    @event("CalendarFeedRevoked")
    def _revoke_calendar_feed(self, *, actor: str, feed_hash: str, reason: str) -> None:
        self.calendar_feed_hash = None
        self.calendar_feed_program = None

    def serves_calendar_feed(self, feed_hash: str) -> bool:
        """True when the hash is the current feed's and the person is not erased."""
        return not self.erased and self.calendar_feed_hash == feed_hash


# Followed by the subscriptions feed: an erased person's content reads otherwise.
ERASED_TOPIC = get_topic(Person.Erased)
# Followed by the principals and the feed: a revoked grant authenticates nobody.
GRANT_REVOKED_TOPIC = get_topic(Person.GrantRevoked)
