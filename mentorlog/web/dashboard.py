"""The program dashboard and its CSV exports, for the program's admins and auditors.

The figures come from program_metrics (now) and program_trends (per month); the
mentorships and goals from the API's schema, as the viewer reads them. Exports
never hold private text: a private goal's title is left empty for everyone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mentorlog.core.access import Principal
from mentorlog.core.policy import may_read_metrics
from mentorlog.projections.queries import Row, trends_of_program
from mentorlog.schema import ids
from mentorlog.web import session
from mentorlog.web.charts import Series, chart
from mentorlog.web.pages import not_found, render, to_sign_in
from mentorlog.web.reading import read

PAGE = 100
STATUS_COLUMNS = ("proposed", "active", "paused", "completed", "ended")
METRIC_COLUMNS = (
    "month",
    "active_at_end",
    "paused_at_end",
    "completed_to_date",
    "ended_to_date",
    "meetings_held",
    "goals_set",
    "goals_achieved",
    "goals_abandoned",
    "reviews",
    "rated_feedback",
    "satisfaction",
    "engaged",
    "quiet",
)

PROGRAM = """
query Program($id: ID!) {
  program(id: $id) {
    id name description durationMonths
    admins { displayName erased }
    metrics {
      proposed active paused completed ended meetingsHeld goalsSet goalsAchieved
      goalsAbandoned reviews ratedFeedback completionRate satisfaction
      goalAchievementRate averageProgressRating updatedAt
    }
  }
}
"""
MENTORSHIPS = """
query Mentorships($id: ID!, $after: String, $first: Int!) {
  program(id: $id) {
    mentorships(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node {
        id status formatName purpose createdAt startedAt closedAt
        participants { role person { displayName erased } }
        activity { lastAt quietDays }
        goals { id private title framework term status progress createdAt updatedAt }
      } }
    }
  }
}
"""


def months_between(first: str, last: str) -> list[str]:
    """Every YYYY-MM from first to last, inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly(rows: Sequence[Row], now: datetime | None = None) -> list[dict[str, Any]]:
    """One figure row per month from the first with an event to this one."""
    if not rows:
        return []
    this_month = (now or datetime.now(UTC)).strftime("%Y-%m")
    by_month = {r["month"]: r for r in rows}
    running = dict.fromkeys(STATUS_COLUMNS, 0)
    out = []
    last = max(this_month, rows[-1]["month"])
    for month in months_between(rows[0]["month"], last):
        row = by_month.get(month, {})
        for status in STATUS_COLUMNS:
            running[status] += int(row.get(status, 0))
        rated = int(row.get("rated_feedback", 0))
        engaged = int(row.get("engaged", 0))
        out.append(
            {
                "month": month,
                "active_at_end": running["active"],
                "paused_at_end": running["paused"],
                "completed_to_date": running["completed"],
                "ended_to_date": running["ended"],
                "meetings_held": int(row.get("meetings_held", 0)),
                "goals_set": int(row.get("goals_set", 0)),
                "goals_achieved": int(row.get("goals_achieved", 0)),
                "goals_abandoned": int(row.get("goals_abandoned", 0)),
                "reviews": int(row.get("reviews", 0)),
                "rated_feedback": rated,
                "satisfaction": (
                    round(int(row.get("feedback_rating_sum", 0)) / rated, 2)
                    if rated
                    else None
                ),
                "engaged": engaged,
                # Active at the month's end with no interaction in it.
                "quiet": max(running["active"] - engaged, 0),
            }
        )
    return out


def short_month(month: str, first: bool) -> str:
    """A month's axis label: Jun, and the year on the first and on January."""
    moment = datetime.strptime(month, "%Y-%m")
    return moment.strftime("%b '%y" if first or moment.month == 1 else "%b")


def charts(months: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The dashboard's charts, each a title and its SVG."""
    labels = [short_month(m["month"], i == 0) for i, m in enumerate(months)]

    def column(name: str) -> list[float | None]:
        return [m[name] for m in months]

    def one(name: str, key: str) -> list[Series]:
        return [Series(name, column(key))]

    goals = [
        Series("set", column("goals_set")),
        Series("achieved", column("goals_achieved")),
    ]
    specs = [
        (
            "Mentorships active at month end",
            one("active", "active_at_end"),
            "line",
            None,
        ),
        ("Meetings held", one("meetings held", "meetings_held"), "bars", None),
        ("Goals set and achieved", goals, "bars", None),
        (
            "Satisfaction (average feedback rating, 1-5)",
            one("satisfaction", "satisfaction"),
            "line",
            5.0,
        ),
        (
            "Quiet mentorships (active, no interaction that month)",
            one("quiet", "quiet"),
            "bars",
            None,
        ),
    ]
    return [
        (title, chart(title, labels, series, kind, ceiling))
        for title, series, kind, ceiling in specs
    ]


async def program_for(
    request: Request,
) -> tuple[Principal, str, dict[str, Any]] | Response:
    """The viewer, the program's UUID and its data; or the response refusing them."""
    principal = await session.principal_of(request)
    if principal is None:
        return to_sign_in(request)
    program_id = request.path_params["program_id"]
    parsed = ids.parse_global_id(program_id)
    if (
        parsed is None
        or parsed[0] != "Program"
        or not may_read_metrics(principal, parsed[1])
    ):
        return not_found(request, principal)
    data = await read(request, principal, PROGRAM, {"id": program_id})
    program = data["program"]
    if program is None or program["metrics"] is None:
        return not_found(request, principal)
    return principal, parsed[1], program


async def dashboard(request: Request) -> Response:
    """GET /programs/{id}/dashboard: the figures now, the charts, the exports."""
    found = await program_for(request)
    if isinstance(found, Response):
        return found
    principal, uuid, program = found
    months = monthly(await trends_of_program(request.app.state.read_db, uuid))
    base = f"/programs/{program['id']}/export"
    return render(
        request,
        "dashboard.html",
        principal=principal,
        program=program,
        metrics=program["metrics"],
        charts=charts(months),
        months=months,
        exports=[
            ("Mentorships", f"{base}/mentorships.csv"),
            ("Goals", f"{base}/goals.csv"),
            ("Metrics by month", f"{base}/metrics.csv"),
        ],
    )


async def mentorships_of(
    request: Request, principal: Principal, program_id: str
) -> list[dict[str, Any]]:
    """Every mentorship of the program the viewer reads, page by page."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        data = await read(
            request,
            principal,
            MENTORSHIPS,
            {"id": program_id, "after": after, "first": PAGE},
        )
        page = data["program"]["mentorships"]
        nodes.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def people(m: dict[str, Any]) -> str:
    """A mentorship's participants as 'Name (role)'; erased people as erased."""
    return "; ".join(f"{name_of(p['person'])} ({p['role']})" for p in m["participants"])


def name_of(person: dict[str, Any] | None) -> str:
    """A person's display name; 'erased' or 'unknown' when there is none to show."""
    if person is None:
        return "unknown"
    return "erased" if person["erased"] else str(person["displayName"])


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text; a cell that a spreadsheet would run as a formula is quoted off."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                f"'{cell}"
                if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@")
                else ("" if cell is None else cell)
                for cell in row
            ]
        )
    return buffer.getvalue()


async def export(request: Request) -> Response:
    """GET /programs/{id}/export/{kind}.csv: mentorships, goals or metrics."""
    found = await program_for(request)
    if isinstance(found, Response):
        return found
    principal, uuid, program = found
    kind = request.path_params["kind"]
    if kind == "metrics":
        months = monthly(await trends_of_program(request.app.state.read_db, uuid))
        text = to_csv(METRIC_COLUMNS, ([m[c] for c in METRIC_COLUMNS] for m in months))
    elif kind == "mentorships":
        ms = await mentorships_of(request, principal, program["id"])
        text = to_csv(
            (
                "mentorship_id", "status", "format", "purpose", "participants",
                "created_at", "started_at", "closed_at", "goals", "goals_achieved",
                "last_interaction_at", "quiet_days",
            ),
            (
                (
                    m["id"], m["status"].lower(), m["formatName"], m["purpose"],
                    people(m), m["createdAt"], m["startedAt"], m["closedAt"],
                    len(m["goals"]),
                    sum(g["status"] == "ACHIEVED" for g in m["goals"]),
                    (m["activity"] or {}).get("lastAt"),
                    (m["activity"] or {}).get("quietDays"),
                )
                for m in ms
            ),
        )  # fmt: skip
    elif kind == "goals":
        ms = await mentorships_of(request, principal, program["id"])
        text = to_csv(
            (
                "mentorship_id", "goal_id", "private", "title", "framework", "term",
                "status", "progress", "created_at", "updated_at",
            ),
            (
                (
                    m["id"], g["id"], g["private"],
                    "" if g["private"] else g["title"],
                    g["framework"], g["term"].lower(), g["status"].lower(),
                    g["progress"], g["createdAt"], g["updatedAt"],
                )
                for m in ms
                for g in m["goals"]
            ),
        )  # fmt: skip
    else:
        return not_found(request, principal)
    name = f"{kind}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [
    Route("/programs/{program_id}/dashboard", dashboard, methods=["GET"]),
    Route("/programs/{program_id}/export/{kind}.csv", export, methods=["GET"]),
]
