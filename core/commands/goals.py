"""Goal commands: set, revise, measure, achieve, abandon, share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mentorlog.core.access import actor_person_id
from mentorlog.core.commands.base import Recorded, Service, command, new_id
from mentorlog.core.errors import (
    GoalInvalid,
    InvalidInput,
    InvalidTransition,
    NotAParticipant,
)
from mentorlog.core.inputs import (
    GOAL_TERMS,
    check_choice,
    check_text,
)
from mentorlog.core.mentorship import Mentorship
from mentorlog.core.program import Program
from mentorlog.plugins.interfaces import Problem


class GoalCommands(Service):
    """Goal commands: set, revise, measure, achieve, abandon, share."""

    def _actor_side(self, mentorship: Mentorship, actor: str) -> str | None:
        person_id = actor_person_id(actor)
        return mentorship.side_of(person_id) if person_id else None

    def _is_admin(self, mentorship: Mentorship, actor: str) -> bool:
        person_id = actor_person_id(actor)
        if person_id is None:
            return actor.startswith("system:")
        program = self._load(Program, mentorship.program_id, "programId")
        return person_id in program.admins

    @command
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
            fields_set = {} if fields is None else fields
            self._check_goal(
                self._framework(name), fields_set, self._actor_side(m, actor)
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
                fields=self._maybe_seal(private, owner, dict(fields_set)),
                term=term,
                private=private,
                owner_id=owner,
            )
            return goal_id

        return self._on_mentorship(mentorship_id, change)

    @command
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
            new_fields = current["fields"] if fields is None else fields
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
                fields=self._maybe_seal(
                    goal["private"], goal["owner_id"], dict(new_fields)
                ),
                reason=self._goal_text(goal, reason),
            )
            return goal_id

        return self._on_mentorship(mentorship_id, change)

    @command
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

    @command
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

        def change(m: Mentorship) -> str:
            m.achieve_goal(
                actor=actor,
                goal_id=goal_id,
                note=self._goal_text(m.goal(goal_id), note),
            )
            return goal_id

        return self._on_mentorship(mentorship_id, change)

    @command
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

    def _goal_text(self, goal: Mapping[str, Any], text: str) -> Any:
        """A note or reason on a goal: sealed like the goal, when there is one."""
        return self._maybe_seal(goal["private"] and bool(text), goal["owner_id"], text)

    @command
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

    def _goal_content(self, goal: Mapping[str, Any]) -> dict[str, Any]:
        """A goal's title and fields, opened if private."""
        title = self.sealer.open(goal["title"])
        fields = self.sealer.open(goal["fields"])
        if title is None or fields is None:
            raise InvalidTransition(
                "the goal's owner was erased: its content cannot change", "goalId"
            )
        return {"title": title, "fields": fields}
