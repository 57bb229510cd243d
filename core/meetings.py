"""A mentorship's meetings: their events and rules (a part of Mentorship)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from mentorlog.core.errors import (
    InvalidInput,
    InvalidTransition,
    NotAParticipant,
    NotFound,
)
from mentorlog.core.participation import Participation
from mentorlog.plugins.interfaces import Problem

MEETING_ID = {"meeting_id": "The meeting's global ID."}
DURATION = {"duration_minutes": "Its length in minutes."}
PLACE = {
    "time_zone": "The IANA time zone it is held in, e.g. Europe/Berlin.",
    "location": "Where it is held, if in person.",
    "conference_url": "The conference link, if online.",
}


class Meetings(Participation):
    """Meetings scheduled with an agenda, then held (who attended) or cancelled."""

    class MeetingScheduled(Aggregate.Event):
        """A meeting was scheduled."""

        # Maybe as one of the connection plan's meetings.
        field_descriptions = MEETING_ID | {
            "scheduled_for": "When it is due.",
            **DURATION,
            "agenda": "The agenda items.",
            "plan_number": "The connection-plan meeting it stands for, if any.",
            **PLACE,
        }

        actor: str
        meeting_id: str
        scheduled_for: str
        duration_minutes: int
        agenda: list[str]
        plan_number: int | None
        # Stored events from before calendars lack these: the class defaults stand.
        time_zone: str = "UTC"
        location: str = ""
        conference_url: str = ""

        def apply(self, aggregate: Any) -> None:
            """Add the meeting, scheduled."""
            aggregate.meetings[self.meeting_id] = {
                "id": self.meeting_id,
                "scheduled_for": self.scheduled_for,
                "duration_minutes": self.duration_minutes,
                "agenda": list(self.agenda),
                "plan_number": self.plan_number,
                "status": "scheduled",
                "notes": "",
                "reason": "",
                "attended": [],
                "time_zone": self.time_zone,
                "location": self.location,
                "conference_url": self.conference_url,
                "revision": 0,
            }

    class MeetingRescheduled(Aggregate.Event):
        """A scheduled meeting was moved to a new time (and maybe zone or place)."""

        field_descriptions = MEETING_ID | {
            "scheduled_for": "When it is due now.",
            **PLACE,
        }

        actor: str
        meeting_id: str
        scheduled_for: str
        time_zone: str
        location: str
        conference_url: str

        def apply(self, aggregate: Any) -> None:
            """Move the meeting; its calendar revision goes up."""
            meeting = aggregate.meetings[self.meeting_id]
            meeting["scheduled_for"] = self.scheduled_for
            meeting["time_zone"] = self.time_zone
            meeting["location"] = self.location
            meeting["conference_url"] = self.conference_url
            meeting["revision"] = meeting.get("revision", 0) + 1

    class MeetingHeld(Aggregate.Event):
        """A scheduled meeting took place."""

        # v2 names the participants absent.
        class_version = 2
        field_descriptions = MEETING_ID | {
            "notes": "The shared notes.",
            **DURATION,
            "absent": "Global IDs of the participants who did not attend.",
        }
        actor: str
        meeting_id: str
        notes: str
        duration_minutes: int
        absent: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 knew no absence: every participant attended a held meeting."""
            state["absent"] = []

        def apply(self, aggregate: Any) -> None:
            """Mark the meeting held, with its notes and who attended."""
            meeting = aggregate.meetings[self.meeting_id]
            meeting["status"] = "held"
            meeting["notes"] = self.notes
            meeting["duration_minutes"] = self.duration_minutes
            meeting["attended"] = [
                p for p in aggregate.person_ids() if p not in self.absent
            ]

    class MeetingCancelled(Aggregate.Event):
        """A scheduled meeting was cancelled."""

        field_descriptions = MEETING_ID | {"reason": "Why it was cancelled."}

        actor: str
        meeting_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Mark the meeting cancelled."""
            aggregate.meetings[self.meeting_id]["status"] = "cancelled"
            aggregate.meetings[self.meeting_id]["reason"] = self.reason

    def schedule_meeting(
        self,
        *,
        actor: str,
        meeting_id: str,
        scheduled_for: str,
        duration_minutes: int,
        agenda: list[str],
        plan_number: int | None,
        time_zone: str = "UTC",
        location: str = "",
        conference_url: str = "",
    ) -> None:
        """Schedule a meeting with an agenda."""
        self._require_open("meeting")
        self.trigger_event(
            self.MeetingScheduled,
            actor=actor,
            meeting_id=meeting_id,
            scheduled_for=scheduled_for,
            duration_minutes=duration_minutes,
            agenda=agenda,
            plan_number=plan_number,
            time_zone=time_zone,
            location=location,
            conference_url=conference_url,
        )

    def reschedule_meeting(
        self,
        *,
        actor: str,
        meeting_id: str,
        scheduled_for: str,
        time_zone: str | None,
        location: str | None,
        conference_url: str | None,
    ) -> None:
        """Move a scheduled meeting; unnamed zone and place stay as they were."""
        self._require_open("meeting change")
        meeting = self._scheduled_meeting(meeting_id)
        self.trigger_event(
            self.MeetingRescheduled,
            actor=actor,
            meeting_id=meeting_id,
            scheduled_for=scheduled_for,
            time_zone=meeting.get("time_zone", "UTC")
            if time_zone is None
            else time_zone,
            location=meeting.get("location", "") if location is None else location,
            conference_url=meeting.get("conference_url", "")
            if conference_url is None
            else conference_url,
        )

    def _scheduled_meeting(self, meeting_id: str) -> dict[str, Any]:
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            raise NotFound(f"no meeting {meeting_id}", "meetingId")
        if meeting["status"] != "scheduled":
            raise InvalidTransition(f"the meeting is {meeting['status']}", "meetingId")
        return meeting

    def hold_meeting(
        self,
        *,
        actor: str,
        meeting_id: str,
        notes: str,
        duration_minutes: int,
        attended: list[str] | None = None,
    ) -> None:
        """Record that a scheduled meeting took place: notes, who attended (all)."""
        self._require_open("meeting record")
        self._scheduled_meeting(meeting_id)
        everyone = self.person_ids()
        if attended is None:
            attended = everyone
        strangers = [p for p in attended if p not in everyone]
        if strangers:
            raise NotAParticipant(
                f"not a participant: {', '.join(strangers)}", "attended"
            )
        if not attended:
            raise InvalidInput(
                [Problem("attended", "name at least one participant who attended")]
            )
        self.trigger_event(
            self.MeetingHeld,
            actor=actor,
            meeting_id=meeting_id,
            notes=notes,
            duration_minutes=duration_minutes,
            absent=[p for p in everyone if p not in attended],
        )

    def cancel_meeting(self, *, actor: str, meeting_id: str, reason: str) -> None:
        """Cancel a scheduled meeting, with a reason."""
        self._scheduled_meeting(meeting_id)
        self.trigger_event(
            self.MeetingCancelled, actor=actor, meeting_id=meeting_id, reason=reason
        )
