"""Object types: nodes with global IDs and their values, built from read-model rows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from mentorlog.core.history import HistoryEntry
from mentorlog.core.history import history as stream_history
from mentorlog.plugins import interfaces as plugin
from mentorlog.projections import queries
from mentorlog.projections.activity import days_since
from mentorlog.projections.asof import Replayed
from mentorlog.projections.queries import MentorshipFilter, Row
from mentorlog.projections.readers import Item, Readers, mark_erased, private_readers
from mentorlog.schema import history as events
from mentorlog.schema.context import Info
from mentorlog.schema.enums import (
    CareerStage,
    FeedbackSource,
    GoalFieldType,
    GoalStatus,
    GoalTerm,
    InteractionKind,
    MeetingStatus,
    MentorshipStatus,
    RoleSide,
    SupportKind,
)
from mentorlog.schema.pagination import encode_cursor, page_info, page_request
from strawberry import relay
from strawberry.scalars import JSON

FIRST = "Return at most this many items from the start (default 20, at most 100)."
AFTER = "Return items after this cursor."
LAST = "Return at most this many items from the end (at most 100)."
BEFORE = "Return items before this cursor."


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- small values -----------------------------------------------------------------


@strawberry.type(
    description="Who recorded a fact: a registered person or a named system."
)
class Actor:
    system: str | None = strawberry.field(
        description="The system's name when a system acted, else null."
    )
    person_id: strawberry.Private[str | None]

    @strawberry.field(description="The person who acted, or null when a system acted.")
    async def person(self, info: Info) -> Person | None:
        if self.person_id is None:
            return None
        row = await info.context.loaders.person.load(self.person_id)
        return Person.from_row(row) if row else None

    @classmethod
    def parse(cls, actor: str) -> Actor:
        """Build from a core actor string ('person:<id>' or 'system:<name>')."""
        if actor.startswith("person:"):
            return cls(system=None, person_id=actor.removeprefix("person:"))
        return cls(system=actor.removeprefix("system:"), person_id=None)


@strawberry.type(
    description="A meeting in a connection plan: when it falls, what it is for."
)
class PlannedMeeting:
    number: int = strawberry.field(description="Its place in the plan, from 1.")
    title: str = strawberry.field(description="What the meeting is called.")
    week_start: int = strawberry.field(description="The first week it may fall in.")
    week_end: int = strawberry.field(description="The last week it may fall in.")
    agenda: list[str] = strawberry.field(description="The default agenda items.")

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> PlannedMeeting:
        """Build from a stored connection-plan entry."""
        return cls(
            number=value["number"],
            title=value["title"],
            week_start=value["week_start"],
            week_end=value["week_end"],
            agenda=list(value.get("agenda", [])),
        )

    @classmethod
    def from_plugin(cls, value: plugin.PlannedMeeting) -> PlannedMeeting:
        """Build from a format plugin's planned meeting."""
        return cls(
            number=value.number,
            title=value.title,
            week_start=value.week_start,
            week_end=value.week_end,
            agenda=list(value.agenda),
        )


@strawberry.type(
    description="A role in a mentoring format and how many people hold it."
)
class Role:
    name: str = strawberry.field(description="The role's name, used in inputs.")
    title: str = strawberry.field(description="The role's name for people to read.")
    side: RoleSide = strawberry.field(description="The side the role is on.")
    min: int = strawberry.field(description="The fewest people who may hold it.")
    max: int | None = strawberry.field(
        description="The most people who may hold it; null for no limit."
    )
    description: str = strawberry.field(description="What the role does.")


@strawberry.type(description="A mentoring format provided by a plugin.")
class Format:
    name: str = strawberry.field(description="The format's name, used in inputs.")
    title: str = strawberry.field(description="The format's name for people to read.")
    description: str = strawberry.field(description="How the format works.")
    roles: list[Role] = strawberry.field(description="The roles participants hold.")
    default_cadence_days: int = strawberry.field(
        description="Days between meetings, by default."
    )
    connection_plan: list[PlannedMeeting] = strawberry.field(
        description="The format's suggested timeline of meetings."
    )

    @classmethod
    def from_plugin(cls, value: plugin.Format) -> Format:
        """Build from a plugin's format."""
        return cls(
            name=value.name,
            title=value.title,
            description=value.description,
            roles=[
                Role(
                    name=r.name,
                    title=r.title,
                    side=RoleSide(r.side),
                    min=r.min,
                    max=r.max,
                    description=r.description,
                )
                for r in value.roles
            ],
            default_cadence_days=value.default_cadence_days,
            connection_plan=[
                PlannedMeeting.from_plugin(m) for m in value.connection_plan
            ],
        )


@strawberry.type(
    description="One field of a goal framework, as clients should fill it in."
)
class GoalField:
    name: str = strawberry.field(description="The key in a goal's fields object.")
    type: GoalFieldType = strawberry.field(description="The kind of value it holds.")
    required: bool = strawberry.field(description="Whether a goal must fill it in.")
    description: str = strawberry.field(description="What to write in it.")


@strawberry.type(description="A goal framework provided by a plugin (SMART, OKR, ...).")
class GoalFramework:
    name: str = strawberry.field(description="The framework's name, used in inputs.")
    title: str = strawberry.field(
        description="The framework's name for people to read."
    )
    description: str = strawberry.field(description="What the framework asks for.")
    fields: list[GoalField] = strawberry.field(
        description="The fields a goal fills in."
    )

    @classmethod
    def from_plugin(cls, value: plugin.GoalFramework) -> GoalFramework:
        """Build from a plugin's goal framework."""
        return cls(
            name=value.name,
            title=value.title,
            description=value.description,
            fields=[
                GoalField(
                    name=f.name,
                    type=GoalFieldType(f.type),
                    required=f.required,
                    description=f.description,
                )
                for f in value.fields
            ],
        )


@strawberry.type(description="Who may take part in a program's mentorships.")
class Eligibility:
    mentor_min_years_experience: float = strawberry.field(
        description="Years of experience a mentor needs at least."
    )
    mentee_min_tenure_years: float = strawberry.field(
        description="Years of tenure a mentee needs at least."
    )


@strawberry.type(description="A goal every new mentorship of a program starts with.")
class StarterGoal:
    id: str = strawberry.field(description="The starter goal's ID within its program.")
    title: str = strawberry.field(description="The goal's title.")
    framework: str = strawberry.field(description="The goal framework's name.")
    fields: JSON = strawberry.field(description="The framework's field values.")
    term: GoalTerm = strawberry.field(description="Short or long term.")
    locked: bool = strawberry.field(
        description="Only a program admin may revise or abandon it in a mentorship."
    )

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> StarterGoal:
        """Build from a stored starter goal."""
        return cls(
            id=value["id"],
            title=value["title"],
            framework=value["framework"],
            fields=value["fields"],
            term=GoalTerm(value["term"]),
            locked=bool(value["locked"]),
        )


# -- programs and people ----------------------------------------------------------


@strawberry.type(
    description="A mentoring program: criteria, formats, starter goals and a plan."
)
class Program(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The program's name.")
    description: str = strawberry.field(description="What the program is for.")
    eligibility: Eligibility = strawberry.field(description="Who may take part.")
    duration_months: int = strawberry.field(description="How long mentorships run.")
    cadence_days: int = strawberry.field(description="Days between meetings.")
    format_names: list[str] = strawberry.field(
        description="Names of the formats the program enables."
    )
    default_framework: str = strawberry.field(
        description="The goal framework goals use unless they name another."
    )
    starter_goals: list[StarterGoal] = strawberry.field(
        description="Goals each new mentorship starts with."
    )
    connection_plan: list[PlannedMeeting] = strawberry.field(
        description="The program's timeline of meetings."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    admin_ids: strawberry.Private[list[str]]

    @classmethod
    def from_row(cls, row: Row) -> Program:
        """Build from a `programs` row."""
        rules = row["eligibility"]
        return cls(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            eligibility=Eligibility(
                mentor_min_years_experience=rules.get("mentor_min_years_experience", 0),
                mentee_min_tenure_years=rules.get("mentee_min_tenure_years", 0),
            ),
            duration_months=row["duration_months"],
            cadence_days=row["cadence_days"],
            format_names=list(row["formats"]),
            default_framework=row["default_framework"],
            starter_goals=[StarterGoal.from_dict(g) for g in row["starter_goals"]],
            connection_plan=[
                PlannedMeeting.from_dict(m) for m in row["connection_plan"]
            ],
            created_at=_at(row["created_at"]),
            updated_at=_at(row["updated_at"]),
            admin_ids=list(row["admins"]),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Program | None]:
        """Load programs by node ID."""
        rows = await info.context.loaders.program.load_many(list(node_ids))
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description="The enabled formats whose plugins are loaded.")
    def formats(self, info: Info) -> list[Format]:
        catalog = info.context.services.catalog
        found = (catalog.format(name) for name in self.format_names)
        return [Format.from_plugin(f) for f in found if f is not None]

    @strawberry.field(description="The people who administer the program.")
    async def admins(self, info: Info) -> list[Person]:
        rows = await info.context.loaders.person.load_many(self.admin_ids)
        return [Person.from_row(r) for r in rows if r]

    @strawberry.field(
        description="The program's mentorships you may read, oldest first."
    )
    async def mentorships(
        self,
        info: Info,
        status: Annotated[
            MentorshipStatus | None,
            strawberry.argument(description="Only mentorships in this status."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    ) -> MentorshipConnection:
        where = MentorshipFilter(
            program_id=self.id, status=status.value if status else None
        )
        return await MentorshipConnection.load(info, where, first, after, last, before)

    @strawberry.field(
        description="How the program is doing: mentorships by status, completion, "
        "ratings, goals and meetings. Only its admins and auditors see it; null "
        "for others."
    )
    async def metrics(self, info: Info) -> ProgramMetrics | None:
        context = info.context
        if not (context.scope.everything or context.principal.administers(self.id)):
            return None
        row = await context.loaders.metrics.load(self.id)
        return ProgramMetrics.from_row(row) if row else None


@strawberry.type(
    description="A program's figures, kept current by the program_metrics read model."
)
class ProgramMetrics:
    proposed: int = strawberry.field(description="Mentorships proposed, not started.")
    active: int = strawberry.field(description="Mentorships running.")
    paused: int = strawberry.field(description="Mentorships paused.")
    completed: int = strawberry.field(description="Mentorships completed.")
    ended: int = strawberry.field(description="Mentorships ended early.")
    reviews: int = strawberry.field(description="Reviews (check-ins) recorded.")
    rated_feedback: int = strawberry.field(description="Feedback given with a rating.")
    goals_set: int = strawberry.field(description="Goals set.")
    goals_achieved: int = strawberry.field(description="Goals achieved.")
    goals_abandoned: int = strawberry.field(description="Goals abandoned.")
    meetings_held: int = strawberry.field(description="Meetings held.")
    completion_rate: float | None = strawberry.field(
        description="Of the mentorships that closed, the share that completed rather "
        "than ended, 0-1; null before any closed."
    )
    average_progress_rating: float | None = strawberry.field(
        description="The average review rating, 1-5; null without reviews."
    )
    satisfaction: float | None = strawberry.field(
        description="The average rating of rated feedback, 1-5; null without any."
    )
    goal_achievement_rate: float | None = strawberry.field(
        description="Goals achieved of goals set, 0-1; null before any was set."
    )
    updated_at: datetime = strawberry.field(description="When the figures changed.")

    @classmethod
    def from_row(cls, row: Row) -> ProgramMetrics:
        """Build from a `program_metrics` row."""
        return cls(
            proposed=row["proposed"],
            active=row["active"],
            paused=row["paused"],
            completed=row["completed"],
            ended=row["ended"],
            reviews=row["reviews"],
            rated_feedback=row["rated_feedback"],
            goals_set=row["goals_set"],
            goals_achieved=row["goals_achieved"],
            goals_abandoned=row["goals_abandoned"],
            meetings_held=row["meetings_held"],
            completion_rate=row["completion_rate"],
            average_progress_rating=row["avg_progress_rating"],
            satisfaction=row["satisfaction"],
            goal_achievement_rate=row["goal_rate"],
            updated_at=_at(row["updated_at"]),
        )


@strawberry.type(description="Someone who mentors, is mentored, or runs a program.")
class Person(relay.Node):
    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="The name to show.")
    career_stage: CareerStage = strawberry.field(
        description="Early, mid or late career."
    )
    years_experience: float = strawberry.field(description="Years of work experience.")
    tenure_years: float = strawberry.field(description="Years at this organisation.")
    skills: list[str] = strawberry.field(description="Skills they can share.")
    interests: list[str] = strawberry.field(description="What they want to learn.")
    capacity: int = strawberry.field(
        description="How many mentorships they take at once."
    )
    active_count: strawberry.Private[int]  # all of them, from the `people` row
    erased: bool = strawberry.field(
        description="Whether their personal data was erased (the name is a stand-in)."
    )
    created_at: datetime = strawberry.field(description="When they were registered.")
    updated_at: datetime = strawberry.field(
        description="When their record last changed."
    )

    @classmethod
    def from_row(cls, row: Row) -> Person:
        """Build from a `people` row."""
        return cls(
            id=row["id"],
            display_name=row["display_name"],
            career_stage=CareerStage(row["career_stage"]),
            years_experience=row["years_experience"],
            tenure_years=row["tenure_years"],
            skills=list(row["skills"]),
            interests=list(row["interests"]),
            capacity=row["capacity"],
            active_count=row["active_mentorships"],
            erased=bool(row["erased"]),
            created_at=_at(row["created_at"]),
            updated_at=_at(row["updated_at"]),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Person | None]:
        """Load people by node ID."""
        rows = await info.context.loaders.person.load_many(list(node_ids))
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(
        description="How many started, unfinished mentorships they take part in "
        "that you may read."
    )
    async def active_mentorships(self, info: Info) -> int:
        if info.context.scope.everything:
            return self.active_count
        return await info.context.loaders.active_mentorships_of_person.load(self.id)

    @strawberry.field(
        description="The mentorships they take part in that you may read, oldest first."
    )
    async def mentorships(self, info: Info) -> list[Mentorship]:
        rows = await info.context.loaders.mentorships_of_person.load(self.id)
        return [Mentorship.from_row(r) for r in rows]


# -- mentorships ------------------------------------------------------------------


@strawberry.type(description="A person in a role of a mentorship.")
class Participant:
    role: str = strawberry.field(
        description="The role's name in the mentorship's format."
    )
    side: RoleSide = strawberry.field(description="The side the role is on.")
    person_id: strawberry.Private[str]

    @strawberry.field(description="The person in the role.")
    async def person(self, info: Info) -> Person | None:
        row = await info.context.loaders.person.load(self.person_id)
        return Person.from_row(row) if row else None


@strawberry.type(description="A participant's signature on the expectations agreement.")
class Signature:
    signed_at: datetime = strawberry.field(description="When they signed.")
    person_id: strawberry.Private[str]

    @strawberry.field(description="Who signed.")
    async def person(self, info: Info) -> Person | None:
        row = await info.context.loaders.person.load(self.person_id)
        return Person.from_row(row) if row else None


@strawberry.type(
    description="The expectations agreement: communication, confidentiality, "
    "schedule and outcomes, signed by each participant."
)
class Agreement:
    communication: str = strawberry.field(
        description="How the participants communicate."
    )
    confidentiality: str = strawberry.field(description="What stays between them.")
    schedule: str = strawberry.field(description="When and how often they meet.")
    outcomes: list[str] = strawberry.field(description="The outcomes they expect.")
    recorded_by: Actor = strawberry.field(description="Who recorded the agreement.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    signatures: list[Signature] = strawberry.field(
        description="Signatures so far; recording a new agreement starts them over."
    )

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Agreement:
        """Build from the stored agreement."""
        return cls(
            communication=value["communication"],
            confidentiality=value["confidentiality"],
            schedule=value["schedule"],
            outcomes=list(value["outcomes"]),
            recorded_by=Actor.parse(value["recorded_by"]),
            recorded_at=_at(value["recorded_at"]),
            signatures=[
                Signature(signed_at=_at(s["signed_at"]), person_id=s["person_id"])
                for s in value["signatures"]
            ],
        )


@strawberry.type(
    description="When a mentorship's people last interacted, for nudging quiet ones."
)
class Activity:
    last_kind: InteractionKind | None = strawberry.field(
        description="The kind of the last interaction; null before the first."
    )
    last_at: datetime | None = strawberry.field(
        description="When the last interaction was recorded."
    )
    last_by: Actor | None = strawberry.field(description="Who recorded it.")
    quiet_since: datetime = strawberry.field(
        description="Since when nothing happened: the last interaction, or the start "
        "or resumption if later (time paused does not count)."
    )
    quiet_days: int = strawberry.field(
        description="Whole days quiet, up to now (or the moment an asOf view shows)."
    )
    interactions: int = strawberry.field(description="How many interactions so far.")

    @classmethod
    def from_row(cls, row: Row, now: datetime) -> Activity:
        """Build from an `activity` row, counting quiet days up to now."""
        return cls(
            last_kind=InteractionKind(row["last_kind"]) if row["last_kind"] else None,
            last_at=_when(row["last_at"]),
            last_by=Actor.parse(row["last_by"]) if row["last_by"] else None,
            quiet_since=_at(row["quiet_since"]),
            quiet_days=days_since(row["quiet_since"], now),
            interactions=row["interactions"],
        )


TYPES_ARG = "Only events of these types; all when left out."
AS_OF = (
    "Null for the current state; else the moment this view shows, rebuilt by "
    "replaying the mentorship's events up to it."
)


@strawberry.type(
    description="A mentoring relationship in one format, from proposal to end."
)
class Mentorship(relay.Node):
    id: relay.NodeID[str]
    format_name: str = strawberry.field(description="The name of its format.")
    purpose: str = strawberry.field(description="What the mentorship is for.")
    status: MentorshipStatus = strawberry.field(
        description="Where it is in its lifecycle."
    )
    status_reason: str = strawberry.field(
        description="Why it was paused or ended, or the note it completed with."
    )
    agreement: Agreement | None = strawberry.field(
        description="The expectations agreement, once recorded."
    )
    version: int = strawberry.field(
        description="The version of its event stream the lifecycle fields reflect."
    )
    created_at: datetime = strawberry.field(description="When it was proposed.")
    started_at: datetime | None = strawberry.field(description="When it started.")
    closed_at: datetime | None = strawberry.field(
        description="When it completed or ended."
    )
    updated_at: datetime = strawberry.field(
        description="When its lifecycle last changed."
    )
    program_id: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Mentorship:
        """Build from a `mentorships` row (or a replayed one)."""
        return cls(
            id=row["id"],
            format_name=row["format"],
            purpose=row["purpose"],
            status=MentorshipStatus(row["status"]),
            status_reason=row["status_reason"],
            agreement=Agreement.from_dict(row["agreement"])
            if row["agreement"]
            else None,
            version=row["version"],
            created_at=_at(row["created_at"]),
            started_at=_when(row["started_at"]),
            closed_at=_when(row["closed_at"]),
            updated_at=_at(row["updated_at"]),
            program_id=row["program_id"],
            replay=replay,
        )

    @classmethod
    def from_replay(cls, replay: Replayed) -> Mentorship:
        """Build the view of a mentorship at a past moment."""
        return cls.from_row(replay.mentorship, replay)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Mentorship | None]:
        """Load mentorships by node ID."""
        rows = await info.context.loaders.mentorship.load_many(list(node_ids))
        return [cls.from_row(r) if r else None for r in rows]

    async def _rows(self, info: Info, table: str) -> list[Row]:
        """The rows of a per-mentorship table, replayed or from the read models."""
        if self.replay is not None:
            return self.replay.rows(table)
        loaders = info.context.loaders
        loader = {
            "participants": loaders.participants,
            "goals": loaders.goals,
            "milestones": loaders.milestones,
            "meetings": loaders.meetings,
            "reviews": loaders.reviews,
            "feedback": loaders.feedback_given,
            "notes": loaders.notes,
        }[table]
        return await loader.load(self.id)

    @strawberry.field(description=AS_OF)
    def as_of(self) -> datetime | None:
        return self.replay.as_of if self.replay else None

    @strawberry.field(description="The program it belongs to.")
    async def program(self, info: Info) -> Program | None:
        row = await info.context.loaders.program.load(self.program_id)
        return Program.from_row(row) if row else None

    @strawberry.field(
        description="Its format, or null when the format's plugin is not loaded."
    )
    def format(self, info: Info) -> Format | None:
        found = info.context.services.catalog.format(self.format_name)
        return Format.from_plugin(found) if found else None

    @strawberry.field(description="The people taking part, with their roles.")
    async def participants(self, info: Info) -> list[Participant]:
        return [
            Participant(
                role=r["role"], side=RoleSide(r["side"]), person_id=r["person_id"]
            )
            for r in await self._rows(info, "participants")
        ]

    @strawberry.field(description="Its goals, in the order they were set.")
    async def goals(self, info: Info) -> list[Goal]:
        return [Goal.from_row(r, self.replay) for r in await self._rows(info, "goals")]

    @strawberry.field(description="Milestones reached, in order.")
    async def milestones(self, info: Info) -> list[Milestone]:
        rows = await self._rows(info, "milestones")
        return [Milestone.from_row(r, self.replay) for r in rows]

    @strawberry.field(description="Meetings, in the order they were scheduled.")
    async def meetings(self, info: Info) -> list[Meeting]:
        rows = await self._rows(info, "meetings")
        return [Meeting.from_row(r, self.replay) for r in rows]

    @strawberry.field(description="Periodic reviews (check-ins), in order.")
    async def reviews(self, info: Info) -> list[Review]:
        rows = await self._rows(info, "reviews")
        return [Review.from_row(r, self.replay) for r in rows]

    @strawberry.field(description="Feedback given, in order.")
    async def feedback(self, info: Info) -> list[Feedback]:
        rows = await self._rows(info, "feedback")
        return [Feedback.from_row(r, self.replay) for r in rows]

    @strawberry.field(
        description="Its participants' notes, in the order they were written. A "
        "private note's text is for its author and the partners they share it with."
    )
    async def notes(self, info: Info) -> list[Note]:
        rows = await self._rows(info, "notes")
        return [Note.from_row(r, self.replay) for r in rows]

    @strawberry.field(
        description="When its people last interacted, and since when it is quiet."
    )
    async def activity(self, info: Info) -> Activity | None:
        if self.replay is not None:
            return Activity.from_row(self.replay.activity, self.replay.as_of)
        row = await info.context.loaders.activity.load(self.id)
        return Activity.from_row(row, datetime.now(UTC)) if row else None

    @strawberry.field(
        description="Its recorded events, oldest first, each with its sequence, "
        "time, actor and chain hash (up to the moment an asOf view shows)."
    )
    async def history(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Return at most this many events (default 20, at most 100)."
            ),
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Return events after this.")
        ] = None,
        types: Annotated[
            list[events.MentorshipEventType] | None,  # type: ignore[valid-type]
            strawberry.argument(description=TYPES_ARG),
        ] = None,
    ) -> events.MentorshipEventConnection:
        app = info.context.services.app
        replay = self.replay

        def load() -> tuple[list[HistoryEntry], dict[Item, Readers]]:
            if replay is not None and replay.readers is not None:
                return replay.entries, replay.readers
            entries = replay.entries if replay else stream_history(app, self.id)
            return entries, mark_erased(private_readers(entries), app.sealer.keys.get)

        entries, readers = await asyncio.to_thread(load)
        return events.page_of_events(
            entries,
            self.id,
            info.context.principal,
            app.sealer.open,
            first,
            after,
            [t.value for t in types] if types is not None else None,
            readers,
        )


# -- what happens inside a mentorship ---------------------------------------------


async def _load_scoped(
    info: Info, type_name: str, node_ids: Iterable[str]
) -> list[Row | None]:
    keys = [tuple(n.split(":", 1)) for n in node_ids]
    loader = info.context.loaders.by_key(type_name)
    return await loader.load_many(keys)  # type: ignore[arg-type]


async def _mentorship_of(
    info: Info, mentorship_id: str, replay: Replayed | None
) -> Mentorship | None:
    if replay is not None:
        return Mentorship.from_replay(replay)
    row = await info.context.loaders.mentorship.load(mentorship_id)
    return Mentorship.from_row(row) if row else None


async def _person(info: Info, person_id: str | None) -> Person | None:
    if person_id is None:
        return None
    row = await info.context.loaders.person.load(person_id)
    return Person.from_row(row) if row else None


async def _people(info: Info, person_ids: list[str]) -> list[Person]:
    rows = await info.context.loaders.person.load_many(person_ids)
    return [Person.from_row(r) for r in rows if r]


MENTORSHIP_FIELD = "The mentorship it belongs to (as of the same moment)."
HIDDEN = "Null when the goal is private and not shared with you (see contentHidden)."


def _readers(
    row: Row, replay: Replayed | None, kind: str, owner: str
) -> Readers | None:
    """Who reads a private goal's or note's content; None when it is not private."""
    if not row["private"]:
        return None
    if replay is not None:
        return replay.readers_of((kind, row["id"]), row, owner)
    return Readers(row[owner], frozenset(row["shared_with"]))


@strawberry.type(
    description="A goal in a mentorship, in one goal framework. A private goal's "
    "content (title, fields, status note) is for its owner and the partners they "
    "share it with: others see its status and progress, with contentHidden true "
    "and the content null."
)
class Goal(relay.Node):
    id: relay.NodeID[str]
    framework: str = strawberry.field(description="The goal framework's name.")
    term: GoalTerm = strawberry.field(description="Short or long term.")
    private: bool = strawberry.field(description="Whether only its owner may see it.")
    locked: bool = strawberry.field(
        description="A locked starter goal: only a program admin may change it."
    )
    starter_goal_id: str | None = strawberry.field(
        description="The program starter goal it came from, if any."
    )
    status: GoalStatus = strawberry.field(description="Open, achieved or abandoned.")
    progress: float = strawberry.field(description="Percent complete, 0-100.")
    set_by: Actor = strawberry.field(description="Who set the goal.")
    created_at: datetime = strawberry.field(description="When it was set.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    mentorship_id: strawberry.Private[str]
    owner_id: strawberry.Private[str | None]
    shared_with_ids: strawberry.Private[list[str]]
    readers: strawberry.Private[Readers | None]
    content: strawberry.Private[dict[str, Any]]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Goal:
        """Build from a `goals` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            framework=row["framework"],
            term=GoalTerm(row["term"]),
            private=row["private"],
            locked=row["locked"],
            starter_goal_id=row["starter_goal_id"],
            status=GoalStatus(row["status"]),
            progress=row["progress"],
            set_by=Actor.parse(row["set_by"]),
            created_at=_at(row["created_at"]),
            updated_at=_at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            owner_id=row["owner_id"],
            shared_with_ids=list(row["shared_with"]),
            readers=_readers(row, replay, "goal", "owner_id"),
            content={
                "title": row["title"],
                "fields": row["fields"],
                "status_note": row["status_note"],
            },
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Goal | None]:
        """Load goals by node ID."""
        rows = await _load_scoped(info, "Goal", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    def _hidden(self, info: Info) -> bool:
        return self.readers is not None and not self.readers.allow(
            info.context.principal
        )

    @strawberry.field(
        description="True when the goal is private and not shared with you: its "
        "title, fields and status note are withheld (null)."
    )
    def content_hidden(self, info: Info) -> bool:
        return self._hidden(info)

    @strawberry.field(description=f"The goal's title. {HIDDEN}")
    def title(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.content["title"]

    @strawberry.field(
        description="The framework's field values, e.g. SMART's specific and due. "
        + HIDDEN
    )
    def fields(self, info: Info) -> JSON | None:
        return None if self._hidden(info) else self.content["fields"]

    @strawberry.field(
        description=f"The note it was achieved with, or why it was abandoned. {HIDDEN}"
    )
    def status_note(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.content["status_note"]

    @strawberry.field(description=MENTORSHIP_FIELD)
    async def mentorship(self, info: Info) -> Mentorship | None:
        return await _mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The participant who owns the goal, if any.")
    async def owner(self, info: Info) -> Person | None:
        return await _person(info, self.owner_id)

    @strawberry.field(
        description="The partners its owner shares a private goal with, to read "
        "(empty: nobody)."
    )
    async def shared_with(self, info: Info) -> list[Person]:
        return await _people(info, self.shared_with_ids)


@strawberry.type(
    description="A milestone reached in a mentorship, and how it was celebrated."
)
class Milestone(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="What was reached.")
    note: str = strawberry.field(description="A note about it.")
    reached_by: Actor = strawberry.field(description="Who recorded it.")
    reached_at: datetime = strawberry.field(description="When it was recorded.")
    celebration: str | None = strawberry.field(
        description="How it was celebrated; null until it is."
    )
    celebrated_at: datetime | None = strawberry.field(
        description="When the celebration was recorded."
    )
    mentorship_id: strawberry.Private[str]
    goal_id: strawberry.Private[str | None]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Milestone:
        """Build from a `milestones` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            title=row["title"],
            note=row["note"],
            reached_by=Actor.parse(row["reached_by"]),
            reached_at=_at(row["reached_at"]),
            celebration=row["celebration"],
            celebrated_at=_when(row["celebrated_at"]),
            mentorship_id=row["mentorship_id"],
            goal_id=row["goal_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Milestone | None]:
        """Load milestones by node ID."""
        rows = await _load_scoped(info, "Milestone", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description="Whether it has been celebrated.")
    def celebrated(self) -> bool:
        return self.celebration is not None

    @strawberry.field(description=MENTORSHIP_FIELD)
    async def mentorship(self, info: Info) -> Mentorship | None:
        return await _mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The goal it marks progress towards, if any.")
    async def goal(self, info: Info) -> Goal | None:
        if self.goal_id is None:
            return None
        if self.replay is not None:
            found = self.replay.row("goals", self.goal_id)
            return Goal.from_row(found, self.replay) if found else None
        row = await info.context.loaders.goal.load((self.mentorship_id, self.goal_id))
        return Goal.from_row(row) if row else None


@strawberry.type(description="A meeting of a mentorship: scheduled, held or cancelled.")
class Meeting(relay.Node):
    id: relay.NodeID[str]
    scheduled_for: datetime = strawberry.field(description="When it is (or was) due.")
    duration_minutes: int = strawberry.field(
        description="Planned length, or the actual length once held."
    )
    agenda: list[str] = strawberry.field(description="The agenda items.")
    plan_number: int | None = strawberry.field(
        description="The connection-plan meeting it stands for, if any."
    )
    status: MeetingStatus = strawberry.field(
        description="Scheduled, held or cancelled."
    )
    notes: str = strawberry.field(description="Shared notes, once held.")
    reason: str = strawberry.field(description="Why it was cancelled, if it was.")
    scheduled_by: Actor = strawberry.field(description="Who scheduled it.")
    attendee_ids: strawberry.Private[list[str]]
    created_at: datetime = strawberry.field(description="When it was scheduled.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    mentorship_id: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Meeting:
        """Build from a `meetings` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            scheduled_for=_at(row["scheduled_for"]),
            duration_minutes=row["duration_minutes"],
            agenda=list(row["agenda"]),
            plan_number=row["plan_number"],
            status=MeetingStatus(row["status"]),
            notes=row["notes"],
            reason=row["reason"],
            scheduled_by=Actor.parse(row["scheduled_by"]),
            attendee_ids=list(row["attended"]),
            created_at=_at(row["created_at"]),
            updated_at=_at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Meeting | None]:
        """Load meetings by node ID."""
        rows = await _load_scoped(info, "Meeting", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description="Who attended, once held (empty before).")
    async def attended(self, info: Info) -> list[Person]:
        return await _people(info, self.attendee_ids)

    @strawberry.field(description=MENTORSHIP_FIELD)
    async def mentorship(self, info: Info) -> Mentorship | None:
        return await _mentorship_of(info, self.mentorship_id, self.replay)


@strawberry.type(description="A periodic review (check-in) of a mentorship.")
class Review(relay.Node):
    id: relay.NodeID[str]
    progress_rating: int = strawberry.field(description="Progress so far, 1 to 5.")
    went_well: str = strawberry.field(description="What went well.")
    challenges: str = strawberry.field(description="What was hard.")
    support: list[SupportKind] = strawberry.field(
        description="The kinds of support given."
    )
    next_steps: str = strawberry.field(description="What comes next.")
    recorded_by: Actor = strawberry.field(description="Who recorded it.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    mentorship_id: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Review:
        """Build from a `reviews` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            progress_rating=row["progress_rating"],
            went_well=row["went_well"],
            challenges=row["challenges"],
            support=[SupportKind(s) for s in row["support"]],
            next_steps=row["next_steps"],
            recorded_by=Actor.parse(row["recorded_by"]),
            recorded_at=_at(row["recorded_at"]),
            mentorship_id=row["mentorship_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Review | None]:
        """Load reviews by node ID."""
        rows = await _load_scoped(info, "Review", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description=MENTORSHIP_FIELD)
    async def mentorship(self, info: Info) -> Mentorship | None:
        return await _mentorship_of(info, self.mentorship_id, self.replay)


@strawberry.type(description="Feedback on a mentorship or one of its participants.")
class Feedback(relay.Node):
    id: relay.NodeID[str]
    source: FeedbackSource = strawberry.field(description="Who gave it.")
    rating: int | None = strawberry.field(description="A 1-5 rating, if given.")
    text: str = strawberry.field(description="The feedback itself.")
    given_by: Actor = strawberry.field(description="Who recorded it.")
    given_at: datetime = strawberry.field(description="When it was recorded.")
    mentorship_id: strawberry.Private[str]
    about_id: strawberry.Private[str | None]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Feedback:
        """Build from a `feedback` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            source=FeedbackSource(row["source"]),
            rating=row["rating"],
            text=row["text"],
            given_by=Actor.parse(row["given_by"]),
            given_at=_at(row["given_at"]),
            mentorship_id=row["mentorship_id"],
            about_id=row["about_id"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Feedback | None]:
        """Load feedback by node ID."""
        rows = await _load_scoped(info, "Feedback", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description=MENTORSHIP_FIELD)
    async def mentorship(self, info: Info) -> Mentorship | None:
        return await _mentorship_of(info, self.mentorship_id, self.replay)

    @strawberry.field(description="The participant it is about, if any.")
    async def about(self, info: Info) -> Person | None:
        return await _person(info, self.about_id)


NOTE_HIDDEN = "Null when the note is private and not shared with you."


@strawberry.type(
    description="A participant's note in a mentorship, maybe on a meeting. A "
    "private note's text is for its author and the partners they share it with: "
    "others see that it exists, with contentHidden true and the text null."
)
class Note(relay.Node):
    id: relay.NodeID[str]
    private: bool = strawberry.field(
        description="Whether only its author, and whom they share it with, may read it."
    )
    created_at: datetime = strawberry.field(description="When it was written.")
    updated_at: datetime = strawberry.field(
        description="When it was last revised or its sharing changed."
    )
    mentorship_id: strawberry.Private[str]
    author_id: strawberry.Private[str]
    meeting_id: strawberry.Private[str | None]
    shared_with_ids: strawberry.Private[list[str]]
    readers: strawberry.Private[Readers | None]
    body: strawberry.Private[str]
    replay: strawberry.Private[Replayed | None] = None

    @classmethod
    def from_row(cls, row: Row, replay: Replayed | None = None) -> Note:
        """Build from a `notes` row."""
        return cls(
            id=f"{row['mentorship_id']}:{row['id']}",
            private=row["private"],
            created_at=_at(row["created_at"]),
            updated_at=_at(row["updated_at"]),
            mentorship_id=row["mentorship_id"],
            author_id=row["author_id"],
            meeting_id=row["meeting_id"],
            shared_with_ids=list(row["shared_with"]),
            readers=_readers(row, replay, "note", "author_id"),
            body=row["text"],
            replay=replay,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Note | None]:
        """Load notes by node ID."""
        rows = await _load_scoped(info, "Note", node_ids)
        return [cls.from_row(r) if r else None for r in rows]

    def _hidden(self, info: Info) -> bool:
        return self.readers is not None and not self.readers.allow(
            info.context.principal
        )

    @strawberry.field(
        description="True when the note is private and not shared with you: its "
        "text is withheld (null)."
    )
    def content_hidden(self, info: Info) -> bool:
        return self._hidden(info)

    @strawberry.field(description=f"What the note says. {NOTE_HIDDEN}")
    def text(self, info: Info) -> str | None:
        return None if self._hidden(info) else self.body

    @strawberry.field(description="The participant who wrote it.")
    async def author(self, info: Info) -> Person | None:
        return await _person(info, self.author_id)

    @strawberry.field(description="The meeting it is about, if any.")
    async def meeting(self, info: Info) -> Meeting | None:
        if self.meeting_id is None:
            return None
        if self.replay is not None:
            found = self.replay.meetings.get(self.meeting_id)
            return Meeting.from_row(found, self.replay) if found else None
        row = await info.context.loaders.meeting.load(
            (self.mentorship_id, self.meeting_id)
        )
        return Meeting.from_row(row) if row else None

    @strawberry.field(
        description="The partners its author shares a private note with, to read "
        "(empty: nobody)."
    )
    async def shared_with(self, info: Info) -> list[Person]:
        return await _people(info, self.shared_with_ids)

    @strawberry.field(description=MENTORSHIP_FIELD)
    async def mentorship(self, info: Info) -> Mentorship | None:
        return await _mentorship_of(info, self.mentorship_id, self.replay)


NODE_TYPES: dict[str, type[relay.Node]] = {
    t.__name__: t
    for t in (
        Program,
        Person,
        Mentorship,
        Goal,
        Milestone,
        Meeting,
        Review,
        Feedback,
        Note,
    )
}


# -- connections ------------------------------------------------------------------


@strawberry.type(description="A page of programs.")
class ProgramConnection(relay.Connection[Program]):
    @classmethod
    async def load(
        cls,
        info: Info,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> ProgramConnection:
        """Load one keyset page of programs."""
        request = page_request(first, after, last, before)
        page = await queries.page_programs(info.context.db, request, info.context.scope)
        return cls(
            page_info=page_info(page),
            edges=[
                relay.Edge(cursor=encode_cursor(r["seq"]), node=Program.from_row(r))
                for r in page.rows
            ],
        )


@strawberry.type(description="A page of people.")
class PersonConnection(relay.Connection[Person]):
    @classmethod
    async def load(
        cls,
        info: Info,
        career_stage: str | None,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> PersonConnection:
        """Load one keyset page of people."""
        request = page_request(first, after, last, before)
        page = await queries.page_people(
            info.context.db, request, career_stage, info.context.scope
        )
        return cls(
            page_info=page_info(page),
            edges=[
                relay.Edge(cursor=encode_cursor(r["seq"]), node=Person.from_row(r))
                for r in page.rows
            ],
        )


@strawberry.type(description="A page of mentorships.")
class MentorshipConnection(relay.Connection[Mentorship]):
    @classmethod
    async def load(
        cls,
        info: Info,
        where: MentorshipFilter,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> MentorshipConnection:
        """Load one keyset page of mentorships matching the filter."""
        request = page_request(first, after, last, before)
        page = await queries.page_mentorships(
            info.context.db, request, where, info.context.scope
        )
        return cls(
            page_info=page_info(page),
            edges=[
                relay.Edge(cursor=encode_cursor(r["seq"]), node=Mentorship.from_row(r))
                for r in page.rows
            ],
        )
