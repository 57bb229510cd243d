"""The Mentorship aggregate: one stream per mentorship, the auditor's unit of replay."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event
from mentorlog.core.errors import (
    Forbidden,
    GoalLocked,
    InvalidInput,
    InvalidTransition,
    MentorshipClosed,
    NotAParticipant,
    NotFound,
)
from mentorlog.plugins.interfaces import Problem

OPEN_STATES = ("proposed", "active", "paused")


class Mentorship(Aggregate):
    """A mentoring relationship in one format, from proposal to its end."""

    # v2: each meeting names who attended (snapshots of v1 lack it).
    # v3: notes, and whom each private goal is shared with.
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Give a v1 snapshot's meetings their attendance: all, if held."""
        everyone = [p["person_id"] for p in state["participants"]]
        for meeting in state["meetings"].values():
            meeting["attended"] = list(everyone) if meeting["status"] == "held" else []

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A v2 snapshot knew no notes, and shared no private goal."""
        state["notes"] = {}
        for goal in state["goals"].values():
            goal["shared_with"] = []

    @event("Proposed")
    def __init__(
        self,
        *,
        actor: str,
        program_id: str,
        format: str,
        participants: list[dict[str, str]],
        purpose: str,
    ) -> None:
        self.program_id = program_id
        self.format = format
        self.participants = [dict(p) for p in participants]
        self.purpose = purpose
        self.status = "proposed"
        self.status_reason = ""
        self.agreement: dict[str, Any] | None = None
        self.goals: dict[str, dict[str, Any]] = {}
        self.milestones: dict[str, dict[str, Any]] = {}
        self.meetings: dict[str, dict[str, Any]] = {}
        self.reviews: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.notes: dict[str, dict[str, Any]] = {}

    # -- queries on state ------------------------------------------------

    def side_of(self, person_id: str) -> str | None:
        """Return the participant's side (mentor, mentee, peer), or None."""
        for p in self.participants:
            if p["person_id"] == person_id:
                return p["side"]
        return None

    def person_ids(self) -> list[str]:
        """Return the IDs of every participant."""
        return [p["person_id"] for p in self.participants]

    def goal(self, goal_id: str) -> dict[str, Any]:
        """Return a goal or raise NotFound."""
        try:
            return self.goals[goal_id]
        except KeyError:
            raise NotFound(f"no goal {goal_id} in this mentorship", "goalId") from None

    def _require_open(self, what: str) -> None:
        if self.status not in OPEN_STATES:
            raise MentorshipClosed(
                f"the mentorship is {self.status}: no new {what} can be added"
            )

    # -- lifecycle -------------------------------------------------------

    def start(self, *, actor: str) -> None:
        """Make a proposed mentorship active."""
        if self.status != "proposed":
            raise InvalidTransition(
                f"only a proposed mentorship starts, not {self.status}"
            )
        self._start(actor=actor)

    @event("Started")
    def _start(self, *, actor: str) -> None:
        self.status = "active"

    def pause(self, *, actor: str, reason: str) -> None:
        """Pause an active mentorship."""
        if self.status != "active":
            raise InvalidTransition(
                f"only an active mentorship pauses, not {self.status}"
            )
        self._pause(actor=actor, reason=reason)

    @event("Paused")
    def _pause(self, *, actor: str, reason: str) -> None:
        self.status = "paused"
        self.status_reason = reason

    def resume(self, *, actor: str) -> None:
        """Resume a paused mentorship."""
        if self.status != "paused":
            raise InvalidTransition(
                f"only a paused mentorship resumes, not {self.status}"
            )
        self._resume(actor=actor)

    @event("Resumed")
    def _resume(self, *, actor: str) -> None:
        self.status = "active"
        self.status_reason = ""

    def complete(self, *, actor: str, note: str) -> None:
        """Close an active or paused mentorship as completed."""
        if self.status not in ("active", "paused"):
            raise InvalidTransition(f"a {self.status} mentorship cannot complete")
        self._complete(actor=actor, note=note)

    @event("Completed")
    def _complete(self, *, actor: str, note: str) -> None:
        self.status = "completed"
        self.status_reason = note

    def end(self, *, actor: str, reason: str) -> None:
        """End an open mentorship early, with a reason."""
        self._require_open("end")
        self._end(actor=actor, reason=reason)

    @event("Ended")
    def _end(self, *, actor: str, reason: str) -> None:
        self.status = "ended"
        self.status_reason = reason

    # -- expectations agreement -----------------------------------------

    def record_agreement(
        self,
        *,
        actor: str,
        communication: str,
        confidentiality: str,
        schedule: str,
        outcomes: list[str],
    ) -> None:
        """Record (or replace) the expectations agreement; signatures start over."""
        self._require_open("agreement")
        self._record_agreement(
            actor=actor,
            communication=communication,
            confidentiality=confidentiality,
            schedule=schedule,
            outcomes=outcomes,
        )

    @event("AgreementRecorded")
    def _record_agreement(
        self,
        *,
        actor: str,
        communication: str,
        confidentiality: str,
        schedule: str,
        outcomes: list[str],
    ) -> None:
        self.agreement = {
            "communication": communication,
            "confidentiality": confidentiality,
            "schedule": schedule,
            "outcomes": list(outcomes),
            "recorded_by": actor,
            "signatures": [],
        }

    def sign_agreement(self, *, actor: str, person_id: str) -> None:
        """Sign the agreement on behalf of the participant who acts."""
        if self.agreement is None:
            raise InvalidTransition("there is no agreement to sign yet")
        if self.side_of(person_id) is None:
            raise NotAParticipant(
                "only a participant can sign the agreement", "personId"
            )
        if person_id in self.agreement["signatures"]:
            raise InvalidTransition("this participant has already signed")
        self._sign_agreement(actor=actor, person_id=person_id)

    @event("AgreementSigned")
    def _sign_agreement(self, *, actor: str, person_id: str) -> None:
        assert self.agreement is not None
        self.agreement["signatures"].append(person_id)

    # -- goals -----------------------------------------------------------

    def set_goal(
        self,
        *,
        actor: str,
        goal_id: str,
        title: Any,
        framework: str,
        fields: Any,
        term: str,
        private: bool,
        owner_id: str | None,
        starter_goal_id: str | None = None,
        locked: bool = False,
    ) -> None:
        """Set a new goal (fields already checked by its framework)."""
        self._require_open("goal")
        self._set_goal(
            actor=actor,
            goal_id=goal_id,
            title=title,
            framework=framework,
            fields=fields,
            term=term,
            private=private,
            owner_id=owner_id,
            starter_goal_id=starter_goal_id,
            locked=locked,
        )

    @event("GoalSet")
    def _set_goal(
        self,
        *,
        actor: str,
        goal_id: str,
        title: Any,
        framework: str,
        fields: Any,
        term: str,
        private: bool,
        owner_id: str | None,
        starter_goal_id: str | None,
        locked: bool,
    ) -> None:
        self.goals[goal_id] = {
            "id": goal_id,
            "title": title,
            "framework": framework,
            "fields": dict(fields),
            "term": term,
            "private": private,
            "owner_id": owner_id,
            "starter_goal_id": starter_goal_id,
            "locked": locked,
            "status": "open",
            "progress": 0.0,
            "set_by": actor,
            "shared_with": [],
        }

    def _require_changeable(self, goal_id: str, actor_is_admin: bool) -> dict[str, Any]:
        goal = self.goal(goal_id)
        if goal["status"] != "open":
            raise InvalidTransition(f"the goal is {goal['status']}", "goalId")
        if goal["locked"] and not actor_is_admin:
            raise GoalLocked(
                "this starter goal is locked by the program: only a program admin "
                "can change it",
                "goalId",
            )
        return goal

    def revise_goal(
        self,
        *,
        actor: str,
        actor_is_admin: bool,
        goal_id: str,
        title: Any,
        fields: Any,
        reason: str,
    ) -> None:
        """Revise a goal's title and fields, with a reason."""
        self._require_open("goal revision")
        self._require_changeable(goal_id, actor_is_admin)
        self._revise_goal(
            actor=actor, goal_id=goal_id, title=title, fields=fields, reason=reason
        )

    @event("GoalRevised")
    def _revise_goal(
        self,
        *,
        actor: str,
        goal_id: str,
        title: Any,
        fields: Any,
        reason: str,
    ) -> None:
        self.goals[goal_id]["title"] = title
        self.goals[goal_id]["fields"] = dict(fields)

    def record_goal_progress(
        self,
        *,
        actor: str,
        goal_id: str,
        progress: float,
        measurement: dict[str, Any],
        note: str,
    ) -> None:
        """Record progress towards an open goal."""
        self._require_open("progress")
        goal = self.goal(goal_id)
        if goal["status"] != "open":
            raise InvalidTransition(f"the goal is {goal['status']}", "goalId")
        self._record_goal_progress(
            actor=actor,
            goal_id=goal_id,
            progress=progress,
            measurement=measurement,
            note=note,
        )

    @event("GoalProgressRecorded")
    def _record_goal_progress(
        self,
        *,
        actor: str,
        goal_id: str,
        progress: float,
        measurement: dict[str, Any],
        note: str,
    ) -> None:
        self.goals[goal_id]["progress"] = progress

    def achieve_goal(self, *, actor: str, goal_id: str, note: str) -> None:
        """Mark an open goal achieved."""
        self._require_open("achievement")
        goal = self.goal(goal_id)
        if goal["status"] != "open":
            raise InvalidTransition(f"the goal is {goal['status']}", "goalId")
        self._achieve_goal(actor=actor, goal_id=goal_id, note=note)

    @event("GoalAchieved")
    def _achieve_goal(self, *, actor: str, goal_id: str, note: str) -> None:
        self.goals[goal_id]["status"] = "achieved"
        self.goals[goal_id]["progress"] = 100.0

    def abandon_goal(
        self, *, actor: str, actor_is_admin: bool, goal_id: str, reason: str
    ) -> None:
        """Abandon an open goal, with a reason."""
        self._require_open("goal change")
        self._require_changeable(goal_id, actor_is_admin)
        self._abandon_goal(actor=actor, goal_id=goal_id, reason=reason)

    @event("GoalAbandoned")
    def _abandon_goal(self, *, actor: str, goal_id: str, reason: str) -> None:
        self.goals[goal_id]["status"] = "abandoned"

    def share_goal(
        self, *, actor: str, by: str, goal_id: str, shared_with: list[str]
    ) -> None:
        """Set whom a private goal's owner shares it with (none: nobody)."""
        goal = self.goal(goal_id)
        self._check_sharing(goal, goal["owner_id"], by, shared_with, "goal")
        self._share_goal(actor=actor, goal_id=goal_id, shared_with=shared_with)

    @event("GoalSharingChanged")
    def _share_goal(self, *, actor: str, goal_id: str, shared_with: list[str]) -> None:
        self.goals[goal_id]["shared_with"] = list(shared_with)

    def _check_sharing(
        self,
        item: dict[str, Any],
        owner_id: str | None,
        by: str,
        shared_with: list[str],
        what: str,
    ) -> None:
        """Only the owner shares a private item, with other participants."""
        field = f"{what}Id"
        if not item["private"]:
            raise InvalidInput(
                [Problem(field, f"the {what} is not private: every reader sees it")]
            )
        if by != owner_id:
            raise Forbidden(f"only its owner shares a private {what}", field)
        strangers = [p for p in shared_with if self.side_of(p) is None]
        if strangers:
            raise NotAParticipant(
                f"not a participant: {', '.join(strangers)}", "sharedWith"
            )
        if owner_id in shared_with:
            raise InvalidInput(
                [Problem("sharedWith", f"the owner reads their own {what} already")]
            )
        if sorted(shared_with) == sorted(item["shared_with"]):
            raise InvalidTransition(
                f"the {what} is shared with exactly these people already", field
            )

    # -- notes -----------------------------------------------------------

    def note(self, note_id: str) -> dict[str, Any]:
        """Return a note or raise NotFound."""
        try:
            return self.notes[note_id]
        except KeyError:
            raise NotFound(f"no note {note_id} in this mentorship", "noteId") from None

    def write_note(
        self,
        *,
        actor: str,
        note_id: str,
        author_id: str,
        meeting_id: str | None,
        text: Any,
        private: bool,
    ) -> None:
        """Record a participant's note, maybe on a meeting (text sealed if private)."""
        if self.side_of(author_id) is None:
            raise NotAParticipant("only a participant writes notes here")
        if meeting_id is not None and meeting_id not in self.meetings:
            raise NotFound(f"no meeting {meeting_id}", "meetingId")
        self._write_note(
            actor=actor,
            note_id=note_id,
            author_id=author_id,
            meeting_id=meeting_id,
            text=text,
            private=private,
        )

    @event("NoteWritten")
    def _write_note(
        self,
        *,
        actor: str,
        note_id: str,
        author_id: str,
        meeting_id: str | None,
        text: Any,
        private: bool,
    ) -> None:
        self.notes[note_id] = {
            "id": note_id,
            "author_id": author_id,
            "meeting_id": meeting_id,
            "text": text,
            "private": private,
            "shared_with": [],
        }

    def revise_note(self, *, actor: str, by: str, note_id: str, text: Any) -> None:
        """Replace a note's text; only its author may."""
        if self.note(note_id)["author_id"] != by:
            raise Forbidden("only its author revises a note", "noteId")
        self._revise_note(actor=actor, note_id=note_id, text=text)

    @event("NoteRevised")
    def _revise_note(self, *, actor: str, note_id: str, text: Any) -> None:
        self.notes[note_id]["text"] = text

    def share_note(
        self, *, actor: str, by: str, note_id: str, shared_with: list[str]
    ) -> None:
        """Set whom a private note's author shares it with (none: nobody)."""
        note = self.note(note_id)
        self._check_sharing(note, note["author_id"], by, shared_with, "note")
        self._share_note(actor=actor, note_id=note_id, shared_with=shared_with)

    @event("NoteSharingChanged")
    def _share_note(self, *, actor: str, note_id: str, shared_with: list[str]) -> None:
        self.notes[note_id]["shared_with"] = list(shared_with)

    # -- milestones ------------------------------------------------------

    def reach_milestone(
        self,
        *,
        actor: str,
        milestone_id: str,
        title: str,
        goal_id: str | None,
        note: str,
    ) -> None:
        """Record a milestone reached, optionally towards a goal."""
        self._require_open("milestone")
        if goal_id is not None:
            self.goal(goal_id)
        self._reach_milestone(
            actor=actor,
            milestone_id=milestone_id,
            title=title,
            goal_id=goal_id,
            note=note,
        )

    @event("MilestoneReached")
    def _reach_milestone(
        self,
        *,
        actor: str,
        milestone_id: str,
        title: str,
        goal_id: str | None,
        note: str,
    ) -> None:
        self.milestones[milestone_id] = {
            "id": milestone_id,
            "title": title,
            "goal_id": goal_id,
            "note": note,
            "reached_by": actor,
            "celebrated": False,
            "celebration": "",
        }

    def celebrate_milestone(self, *, actor: str, milestone_id: str, how: str) -> None:
        """Record how a reached milestone was celebrated."""
        milestone = self.milestones.get(milestone_id)
        if milestone is None:
            raise NotFound(f"no milestone {milestone_id}", "milestoneId")
        if milestone["celebrated"]:
            raise InvalidTransition("this milestone was already celebrated")
        self._celebrate_milestone(actor=actor, milestone_id=milestone_id, how=how)

    @event("MilestoneCelebrated")
    def _celebrate_milestone(self, *, actor: str, milestone_id: str, how: str) -> None:
        self.milestones[milestone_id]["celebrated"] = True
        self.milestones[milestone_id]["celebration"] = how

    # -- meetings --------------------------------------------------------

    def schedule_meeting(
        self,
        *,
        actor: str,
        meeting_id: str,
        scheduled_for: str,
        duration_minutes: int,
        agenda: list[str],
        plan_number: int | None,
    ) -> None:
        """Schedule a meeting with an agenda."""
        self._require_open("meeting")
        self._schedule_meeting(
            actor=actor,
            meeting_id=meeting_id,
            scheduled_for=scheduled_for,
            duration_minutes=duration_minutes,
            agenda=agenda,
            plan_number=plan_number,
        )

    @event("MeetingScheduled")
    def _schedule_meeting(
        self,
        *,
        actor: str,
        meeting_id: str,
        scheduled_for: str,
        duration_minutes: int,
        agenda: list[str],
        plan_number: int | None,
    ) -> None:
        self.meetings[meeting_id] = {
            "id": meeting_id,
            "scheduled_for": scheduled_for,
            "duration_minutes": duration_minutes,
            "agenda": list(agenda),
            "plan_number": plan_number,
            "status": "scheduled",
            "notes": "",
            "reason": "",
            "attended": [],
        }

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
        self._hold_meeting(
            actor=actor,
            meeting_id=meeting_id,
            notes=notes,
            duration_minutes=duration_minutes,
            absent=[p for p in everyone if p not in attended],
        )

    class MeetingHeld(Aggregate.Event):
        """A scheduled meeting took place; v2 names the participants absent."""

        class_version = 2
        actor: str
        meeting_id: str
        notes: str
        duration_minutes: int
        absent: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 knew no absence: every participant attended a held meeting."""
            state["absent"] = []

    @event(MeetingHeld)
    def _hold_meeting(
        self,
        *,
        actor: str,
        meeting_id: str,
        notes: str,
        duration_minutes: int,
        absent: list[str],
    ) -> None:
        meeting = self.meetings[meeting_id]
        meeting["status"] = "held"
        meeting["notes"] = notes
        meeting["duration_minutes"] = duration_minutes
        meeting["attended"] = [p for p in self.person_ids() if p not in absent]

    def cancel_meeting(self, *, actor: str, meeting_id: str, reason: str) -> None:
        """Cancel a scheduled meeting, with a reason."""
        self._scheduled_meeting(meeting_id)
        self._cancel_meeting(actor=actor, meeting_id=meeting_id, reason=reason)

    @event("MeetingCancelled")
    def _cancel_meeting(self, *, actor: str, meeting_id: str, reason: str) -> None:
        self.meetings[meeting_id]["status"] = "cancelled"
        self.meetings[meeting_id]["reason"] = reason

    # -- reviews and feedback -------------------------------------------

    def record_review(
        self,
        *,
        actor: str,
        review_id: str,
        progress_rating: int,
        went_well: str,
        challenges: str,
        support: list[str],
        next_steps: str,
    ) -> None:
        """Record a periodic review (check-in) of the mentorship."""
        self._require_open("review")
        self._record_review(
            actor=actor,
            review_id=review_id,
            progress_rating=progress_rating,
            went_well=went_well,
            challenges=challenges,
            support=support,
            next_steps=next_steps,
        )

    @event("ReviewRecorded")
    def _record_review(
        self,
        *,
        actor: str,
        review_id: str,
        progress_rating: int,
        went_well: str,
        challenges: str,
        support: list[str],
        next_steps: str,
    ) -> None:
        self.reviews.append(
            {
                "id": review_id,
                "progress_rating": progress_rating,
                "went_well": went_well,
                "challenges": challenges,
                "support": list(support),
                "next_steps": next_steps,
                "by": actor,
            }
        )

    @event("FeedbackGiven")
    def give_feedback(
        self,
        *,
        actor: str,
        feedback_id: str,
        source: str,
        about_id: str | None,
        rating: int | None,
        text: str,
    ) -> None:
        """Record feedback from a participant or another source."""
        self.feedback.append(
            {
                "id": feedback_id,
                "source": source,
                "about_id": about_id,
                "rating": rating,
                "text": text,
                "by": actor,
            }
        )
