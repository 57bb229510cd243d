"""The plugin catalog: formats, their roles and plans, goal frameworks."""

from __future__ import annotations

from typing import Any

import strawberry
from mentorlog.plugins import interfaces as plugin
from mentorlog.schema.context import Info
from mentorlog.schema.enums import (
    GoalFieldType,
    RoleSide,
)


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


@strawberry.type
class CatalogQueries:
    """The plugin catalog."""

    @strawberry.field(description="Every mentoring format the loaded plugins provide.")
    def formats(self, info: Info) -> list[Format]:
        catalog = info.context.services.catalog
        return [Format.from_plugin(f) for _, f in sorted(catalog.formats.items())]

    @strawberry.field(description="Every goal framework the loaded plugins provide.")
    def goal_frameworks(self, info: Info) -> list[GoalFramework]:
        catalog = info.context.services.catalog
        return [
            GoalFramework.from_plugin(f) for _, f in sorted(catalog.frameworks.items())
        ]
