"""Programs: the Program node, its eligibility, starter goals, metrics and pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from mentorlog.core.policy import may_read_metrics
from mentorlog.projections import queries
from mentorlog.projections.queries import MentorshipFilter, Row
from mentorlog.schema.context import Info
from mentorlog.schema.enums import GoalTerm, MentorshipStatus
from mentorlog.schema.graph import MentorshipConnectionRef, at, schema_type
from mentorlog.schema.nudges import NudgeRules, rules_of
from mentorlog.schema.pagination import (
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    encode_cursor,
    page_info,
    page_request,
)
from mentorlog.schema.people import Person
from mentorlog.schema.programs.catalog import Format, PlannedMeeting
from strawberry import relay
from strawberry.scalars import JSON


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
            created_at=at(row["created_at"]),
            updated_at=at(row["updated_at"]),
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
        description="The program's mentorships you may read, oldest first.",
        graphql_type=MentorshipConnectionRef,
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
    ) -> relay.Connection[relay.Node]:
        where = MentorshipFilter(
            program_id=self.id, status=str(status.value) if status else None
        )
        connection = schema_type(info, "MentorshipConnection")
        return await connection.load(info, where, first, after, last, before)

    @strawberry.field(
        description="Its nudge rules (quiet mentorships, meeting reminders, unsigned "
        "agreements); null until its admins set them."
    )
    async def nudge_rules(self, info: Info) -> NudgeRules | None:
        return await rules_of(info, self.id)

    @strawberry.field(
        description="How the program is doing: mentorships by status, completion, "
        "ratings, goals and meetings. Only its admins and auditors see it; null "
        "for others."
    )
    async def metrics(self, info: Info) -> ProgramMetrics | None:
        context = info.context
        if not may_read_metrics(context.principal, self.id):
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
    ended: int = strawberry.field(
        description="Mentorships ended early (not counting those ended for a rematch)."
    )
    withdrawn: int = strawberry.field(
        description="Proposals withdrawn before they started (never ended)."
    )
    declined: int = strawberry.field(
        description="Proposals a participant declined before they started."
    )
    rematched: int = strawberry.field(
        description="Mentorships ended with the reason 'rematch', both people back "
        "in the pool; counted apart from those ended."
    )
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
            withdrawn=row["withdrawn"],
            declined=row["declined"],
            rematched=row["rematched"],
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
            updated_at=at(row["updated_at"]),
        )


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
