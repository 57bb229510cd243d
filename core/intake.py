"""The Intake aggregate: one stream per program for enrolment and mentor requests.

A program's intake holds its settings (open or closed, the cohort's dates, places
per side, the profile questions it asks, how long a request stays open), every
application with its answers and status, the waitlist, and mentees' requests to
mentors. The places per side are a rule over all of a program's applications, so
they live in one stream: two admins approving at once meet optimistic concurrency
on it, and neither can overfill a side. The Program stream stays as its admins
define it, untouched by the many enrolment events.

What is personal is sealed with a person's key (core/privacy.py), so erasing them
leaves these events, and the chain over them, whole but unreadable: an
application's answers and the reason it was declined or withdrawn with the
applicant's, a request's message with its mentee's, the reason a request was
declined with its mentor's. The commands seal them; this aggregate keeps them as
given. Events stored before hold them in plain text: every reader opens both.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from mentorlog.core.clock import ClockedAggregate, now
from mentorlog.core.errors import (
    AlreadyApplied,
    IntakeClosed,
    IntakeFull,
    InvalidTransition,
    NotEnrolled,
    NotFound,
    NotTheMentor,
    RequestExpired,
)

INTAKES = uuid5(NAMESPACE_URL, "https://mentorlog.dev/intakes")
SIDES = ("mentor", "mentee")
# The profile questions a program may ask; "about" is free text, the others lists.
QUESTIONS = ("skills", "interests", "goals", "availability", "about")
LIST_QUESTIONS = ("skills", "interests", "goals", "availability")
# An application's statuses; "left" is an enrolment given up (it may apply again).
PENDING, ENROLLED, WAITLISTED, DECLINED, LEFT = (
    "applied",
    "enrolled",
    "waitlisted",
    "declined",
    "left",
)


def intake_id(program_id: str | UUID) -> UUID:
    """The intake stream's ID, derived from its program's."""
    return uuid5(INTAKES, str(program_id))


class Intake(ClockedAggregate):
    """A program's enrolment: settings, applications, waitlist and requests."""

    if TYPE_CHECKING:  # the event classes the @event decorators below make
        SettingsSet: ClassVar[type[ClockedAggregate.Event]]
        Applied: ClassVar[type[ClockedAggregate.Event]]
        Enrolled: ClassVar[type[ClockedAggregate.Event]]
        Waitlisted: ClassVar[type[ClockedAggregate.Event]]
        Declined: ClassVar[type[ClockedAggregate.Event]]
        Left: ClassVar[type[ClockedAggregate.Event]]
        MentorRequested: ClassVar[type[ClockedAggregate.Event]]
        RequestAccepted: ClassVar[type[ClockedAggregate.Event]]
        RequestDeclined: ClassVar[type[ClockedAggregate.Event]]
        MatchProposed: ClassVar[type[ClockedAggregate.Event]]

    @classmethod
    def create_id(cls, *, program_id: str, **_: object) -> UUID:
        """One intake per program: its ID derives from the program's."""
        return intake_id(program_id)

    @event("Created")
    def __init__(
        self,
        *,
        actor: str,
        program_id: str,
        is_open: bool,
        cohort_start: str | None,
        cohort_end: str | None,
        mentor_places: int | None,
        mentee_places: int | None,
        questions: list[str],
        request_days: int,
    ) -> None:
        self.program_id = program_id
        self.is_open = is_open
        self.cohort_start = cohort_start
        self.cohort_end = cohort_end
        self.places: dict[str, int | None] = {
            "mentor": mentor_places,
            "mentee": mentee_places,
        }
        self.questions = list(questions)
        self.request_days = request_days
        self.applications: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        # Mentorships proposed through the intake: {mentorship_id: {mentor, mentee}}.
        self.proposals: dict[str, dict[str, str]] = {}

    # -- settings ------------------------------------------------------------

    def configure(
        self,
        *,
        actor: str,
        is_open: bool,
        cohort_start: str | None,
        cohort_end: str | None,
        mentor_places: int | None,
        mentee_places: int | None,
        questions: list[str],
        request_days: int,
    ) -> None:
        """Set the intake's settings; places freed by raising a side's are served."""
        self._set(
            actor=actor,
            is_open=is_open,
            cohort_start=cohort_start,
            cohort_end=cohort_end,
            mentor_places=mentor_places,
            mentee_places=mentee_places,
            questions=questions,
            request_days=request_days,
        )
        for side in SIDES:
            self._serve_waitlist(actor, side)

    @event("SettingsSet")
    def _set(
        self,
        *,
        actor: str,
        is_open: bool,
        cohort_start: str | None,
        cohort_end: str | None,
        mentor_places: int | None,
        mentee_places: int | None,
        questions: list[str],
        request_days: int,
    ) -> None:
        self.is_open = is_open
        self.cohort_start = cohort_start
        self.cohort_end = cohort_end
        self.places = {"mentor": mentor_places, "mentee": mentee_places}
        self.questions = list(questions)
        self.request_days = request_days

    # -- applications --------------------------------------------------------

    def application(self, person_id: str, field: str = "personId") -> dict[str, Any]:
        """The person's application, or NotFound."""
        try:
            return self.applications[person_id]
        except KeyError:
            raise NotFound(
                f"no application of person {person_id} to this program", field
            ) from None

    def enrolled(self, side: str) -> list[str]:
        """The people enrolled on a side, in the order they enrolled."""
        return [
            person_id
            for person_id, a in self.applications.items()
            if a["side"] == side and a["status"] == ENROLLED
        ]

    def waitlist(self, side: str) -> list[str]:
        """The people waiting for a place on a side, first come first."""
        waiting = [
            (a["waitlisted_at"], person_id)
            for person_id, a in self.applications.items()
            if a["side"] == side and a["status"] == WAITLISTED
        ]
        return [person_id for _, person_id in sorted(waiting)]

    def free_places(self, side: str) -> int | None:
        """Places still free on a side; None when the side has no limit."""
        limit = self.places.get(side)
        return None if limit is None else max(0, limit - len(self.enrolled(side)))

    def apply(self, *, actor: str, person_id: str, side: str, answers: Any) -> None:
        """Apply to the program on a side, answering its questions."""
        self.check_can_apply(person_id)
        self._apply(actor=actor, person_id=person_id, side=side, answers=answers)

    def check_can_apply(self, person_id: str) -> None:
        """Refuse an application to a closed intake, or a second one."""
        if not self.is_open:
            raise IntakeClosed("the program's intake is closed", "programId")
        if self.cohort_end is not None and now().date().isoformat() > self.cohort_end:
            raise IntakeClosed("the program's cohort has ended", "programId")
        found = self.applications.get(person_id)
        if found is not None and found["status"] != LEFT:
            raise AlreadyApplied(
                f"this person already applied to the program (as {found['side']}, "
                f"{found['status']})",
                "personId",
            )

    @event("Applied")
    def _apply(self, *, actor: str, person_id: str, side: str, answers: Any) -> None:
        self.applications[person_id] = {
            "side": side,
            "answers": dict(answers),
            "status": PENDING,
            "reason": "",
            "waitlisted_at": None,
        }

    def approve(self, *, actor: str, person_id: str, waitlist: bool) -> str:
        """Enrol an applicant, or waitlist them when their side is full."""
        found = self.application(person_id)
        if found["status"] != PENDING:
            raise InvalidTransition(
                f"only a pending application is approved, not a {found['status']} one"
            )
        if self.free_places(found["side"]) == 0:
            if not waitlist:
                raise IntakeFull(
                    f"every {found['side']} place of the program is taken",
                    "personId",
                )
            self._waitlist(actor=actor, person_id=person_id)
            return WAITLISTED
        self._enrol(actor=actor, person_id=person_id)
        return ENROLLED

    @event("Enrolled")
    def _enrol(self, *, actor: str, person_id: str) -> None:
        self.applications[person_id]["status"] = ENROLLED

    @event("Waitlisted")
    def _waitlist(self, *, actor: str, person_id: str) -> None:
        found = self.applications[person_id]
        found["status"] = WAITLISTED
        found["waitlisted_at"] = self.version

    def decline(self, *, actor: str, person_id: str, reason: Any) -> None:
        """Decline a pending or waitlisted application, with a reason."""
        found = self.application(person_id)
        if found["status"] not in (PENDING, WAITLISTED):
            raise InvalidTransition(f"a {found['status']} application is not declined")
        self._decline(actor=actor, person_id=person_id, reason=reason)

    @event("Declined")
    def _decline(self, *, actor: str, person_id: str, reason: Any) -> None:
        self.applications[person_id].update(status=DECLINED, reason=reason)

    def leave(self, *, actor: str, person_id: str, reason: Any) -> None:
        """Withdraw an application or enrolment; a freed place goes to the waitlist."""
        found = self.application(person_id)
        if found["status"] in (DECLINED, LEFT):
            raise InvalidTransition(f"a {found['status']} application is not withdrawn")
        freed = found["status"] == ENROLLED
        self._leave(actor=actor, person_id=person_id, reason=reason)
        if freed:
            self._serve_waitlist(actor, found["side"])

    @event("Left")
    def _leave(self, *, actor: str, person_id: str, reason: Any) -> None:
        self.applications[person_id].update(status=LEFT, reason=reason)

    def _serve_waitlist(self, actor: str, side: str) -> None:
        """Enrol the first waiting people while their side has places free."""
        for person_id in self.waitlist(side):
            if self.free_places(side) == 0:
                return
            self._enrol(actor=actor, person_id=person_id)

    # -- requests ------------------------------------------------------------

    def request(
        self,
        *,
        actor: str,
        request_id: str,
        mentee_id: str,
        mentor_id: str,
        message: Any,
    ) -> None:
        """A mentee asks an enrolled mentor to mentor them."""
        self.check_request(mentee_id, mentor_id)
        expires = now() + timedelta(days=self.request_days)
        self._request(
            actor=actor,
            request_id=request_id,
            mentee_id=mentee_id,
            mentor_id=mentor_id,
            message=message,
            expires_at=expires.isoformat(),
        )

    def check_request(self, mentee_id: str, mentor_id: str) -> None:
        """Refuse a request but from an enrolled mentee to an enrolled mentor, or
        a second pending one to the same mentor."""
        self._require_enrolled(mentee_id, "mentee", "menteeId")
        self._require_enrolled(mentor_id, "mentor", "mentorId")
        for r in self.requests.values():
            if (r["mentee_id"], r["mentor_id"]) == (mentee_id, mentor_id) and (
                self.status_of(r) == "pending"
            ):
                raise InvalidTransition(
                    "a request to this mentor is pending already", "mentorId"
                )

    def _require_enrolled(self, person_id: str, side: str, field: str) -> None:
        found = self.applications.get(person_id)
        if found is None or found["side"] != side or found["status"] != ENROLLED:
            raise NotEnrolled(f"that person is not an enrolled {side}", field)

    @event("MentorRequested")
    def _request(
        self,
        *,
        actor: str,
        request_id: str,
        mentee_id: str,
        mentor_id: str,
        message: Any,
        expires_at: str,
    ) -> None:
        self.requests[request_id] = {
            "mentee_id": mentee_id,
            "mentor_id": mentor_id,
            "message": message,
            "expires_at": expires_at,
            "status": "pending",
            "reason": "",
            "mentorship_id": None,
        }

    def pending_request(self, request_id: str, by: str | None) -> dict[str, Any]:
        """A request its named mentor may answer now, or why not."""
        try:
            found = self.requests[request_id]
        except KeyError:
            raise NotFound(
                f"no request {request_id} in this program", "requestId"
            ) from None
        if by != found["mentor_id"]:
            raise NotTheMentor(
                "only the requested mentor answers a request", "requestId"
            )
        status = self.status_of(found)
        if status == "expired":
            raise RequestExpired(
                f"the request expired at {found['expires_at']}", "requestId"
            )
        if status != "pending":
            raise InvalidTransition(f"the request is {status} already", "requestId")
        return found

    @staticmethod
    def status_of(request: dict[str, Any]) -> str:
        """A request's status; a pending one past its expiry reads as expired."""
        if request["status"] == "pending" and now() >= datetime.fromisoformat(
            request["expires_at"]
        ):
            return "expired"
        return str(request["status"])

    def accept(
        self, *, actor: str, request_id: str, mentorship_id: str, by: str | None
    ) -> None:
        """The named mentor accepts a pending request: a mentorship is proposed."""
        self.pending_request(request_id, by)
        self._accept(actor=actor, request_id=request_id, mentorship_id=mentorship_id)

    @event("RequestAccepted")
    def _accept(self, *, actor: str, request_id: str, mentorship_id: str) -> None:
        found = self.requests[request_id]
        found.update(status="accepted", mentorship_id=mentorship_id)
        self.proposals[mentorship_id] = {
            "mentor_id": found["mentor_id"],
            "mentee_id": found["mentee_id"],
        }

    def decline_request(
        self, *, actor: str, request_id: str, reason: Any, by: str | None
    ) -> None:
        """The named mentor declines a pending request, with a reason."""
        self.pending_request(request_id, by)
        self._decline_request(actor=actor, request_id=request_id, reason=reason)

    @event("RequestDeclined")
    def _decline_request(self, *, actor: str, request_id: str, reason: Any) -> None:
        self.requests[request_id].update(status="declined", reason=reason)

    # -- proposals -----------------------------------------------------------

    @event("MatchProposed")
    def propose(
        self, *, actor: str, mentorship_id: str, mentor_id: str, mentee_id: str
    ) -> None:
        """Note a mentorship the intake's matching proposed (bulk matching)."""
        self.proposals[mentorship_id] = {"mentor_id": mentor_id, "mentee_id": mentee_id}
