"""Read-model queries: async, read-only SQL on the tables, through a `Reader`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mentorlog.core.policy import ReadScope
from mentorlog.projections.base import Row

# Columns stored as JSON text, decoded here so callers see Python values.
JSON_COLUMNS = frozenset(
    {
        "eligibility",
        "formats",
        "admins",
        "starter_goals",
        "connection_plan",
        "skills",
        "interests",
        "agreement",
        "fields",
        "agenda",
        "support",
        "attended",
        "shared_with",
        "answers",
        "questions",
        "contributions",
    }
)
BOOL_COLUMNS = frozenset({"private", "locked", "is_open"})
IN_CHUNK = 500  # SQLite's bound-variable limit is far above this.

ENTITY_TABLES = ("goals", "milestones", "meetings", "reviews", "feedback", "notes")
NOTHING = "1 = 0"  # portable: PostgreSQL has no integer truth values


# Every read the API makes goes through a `Reader` and the functions below. Lists
# are batched (`WHERE ... IN (...)`) so a request costs a handful of statements, and
# pages are keyset pages on each table's `seq` column, never in-memory slices.
class Reader(Protocol):
    """What the queries need of a read database (SQLite or PostgreSQL)."""

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one SELECT and return its rows as dicts, JSON columns decoded."""
        ...


def decode_row(row: Row) -> Row:
    """A row with its JSON columns decoded and its flags as booleans (in place)."""
    for key, value in row.items():
        if key in JSON_COLUMNS and isinstance(value, str):
            row[key] = json.loads(value)
        elif key in BOOL_COLUMNS and value is not None:
            row[key] = bool(value)
    return row


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


async def _rows_in(
    db: Reader,
    table: str,
    column: str,
    values: Sequence[Any],
    order: str = "seq",
    scoped: Conditions = ([], []),
) -> list[Row]:
    unique = list(dict.fromkeys(values))
    conditions, params = scoped
    extra = "".join(f" AND {c}" for c in conditions)
    rows: list[Row] = []
    for chunk in _chunks(unique):
        rows += await db.fetch(
            f"SELECT * FROM {table} WHERE {column} IN ({_marks(chunk)}){extra} "
            f"ORDER BY {order}",
            [*chunk, *params],
        )
    return rows


# -- read scopes (core/policy.py's rules, as SQL) -------------------------------------

Conditions = tuple[list[str], list[Any]]


def mentorship_conditions(
    scope: ReadScope | None, table: str = "mentorships"
) -> Conditions:
    """SQL conditions on `table` (mentorships) that keep what the scope may read."""
    if scope is None or scope.everything:
        return [], []
    conditions: list[str] = []
    params: list[Any] = []
    if scope.program_id is not None:
        conditions.append(f"{table}.program_id = ?")
        params.append(scope.program_id)
    if scope.own_only:
        conditions.append(
            f"{table}.id IN "
            "(SELECT mentorship_id FROM participants WHERE person_id = ?)"
        )
        params.append(scope.viewer_id)
    return conditions or [NOTHING], params


def program_conditions(scope: ReadScope | None, table: str = "programs") -> Conditions:
    """Conditions on programs: an admin's program, or those of readable mentorships."""
    if scope is None or scope.everything:
        return [], []
    if not scope.own_only:
        if scope.program_id is None:
            return [NOTHING], []
        return [f"{table}.id = ?"], [scope.program_id]
    inner, params = mentorship_conditions(scope, "m")
    return [
        f"{table}.id IN (SELECT m.program_id FROM mentorships m "
        f"WHERE {' AND '.join(inner)})"
    ], params


def people_conditions(scope: ReadScope | None, table: str = "people") -> Conditions:
    """Conditions on people: the viewer, readable partners and programs' admins."""
    if scope is None or scope.everything or scope.all_people:
        return [], []
    in_mentorships, m_params = mentorship_conditions(scope, "m")
    in_programs, p_params = program_conditions(scope, "pr")
    # Admins are a JSON list of IDs; LIKE on the quoted ID is portable SQL.
    return [
        f"({table}.id = ? "
        f"OR {table}.id IN (SELECT pa.person_id FROM participants pa "
        f"JOIN mentorships m ON m.id = pa.mentorship_id "
        f"WHERE {' AND '.join(in_mentorships)}) "
        f"OR EXISTS (SELECT 1 FROM programs pr WHERE {' AND '.join(in_programs)} "
        f"AND pr.admins LIKE '%\"' || {table}.id || '\"%'))"
    ], [scope.viewer_id, *m_params, *p_params]


# -- by ID ---------------------------------------------------------------------------


async def programs_by_id(
    db: Reader, ids: Sequence[str], scope: ReadScope | None = None
) -> dict[str, Row]:
    """Programs keyed by ID (missing and unreadable IDs are absent)."""
    scoped = program_conditions(scope)
    return {
        r["id"]: r for r in await _rows_in(db, "programs", "id", ids, "seq", scoped)
    }


async def people_by_id(
    db: Reader, ids: Sequence[str], scope: ReadScope | None = None
) -> dict[str, Row]:
    """People keyed by ID (missing and unreadable IDs are absent)."""
    scoped = people_conditions(scope)
    return {r["id"]: r for r in await _rows_in(db, "people", "id", ids, "seq", scoped)}


async def mentorships_by_id(
    db: Reader, ids: Sequence[str], scope: ReadScope | None = None
) -> dict[str, Row]:
    """Mentorships keyed by ID (missing and unreadable IDs are absent)."""
    scoped = mentorship_conditions(scope)
    rows = await _rows_in(db, "mentorships", "id", ids, "seq", scoped)
    return {r["id"]: r for r in rows}


async def entities_by_key(
    db: Reader,
    table: str,
    keys: Sequence[tuple[str, str]],
    scope: ReadScope | None = None,
) -> dict[tuple[str, str], Row]:
    """Rows of a per-mentorship table keyed by (mentorship ID, ID), if readable."""
    if table not in ENTITY_TABLES:
        raise ValueError(f"{table} is not a per-mentorship table")
    unique = list(dict.fromkeys(keys))
    conditions, params = mentorship_conditions(scope)
    extra = (
        " AND mentorship_id IN (SELECT mentorships.id FROM mentorships "
        f"WHERE {' AND '.join(conditions)})"
        if conditions
        else ""
    )
    found: dict[tuple[str, str], Row] = {}
    for chunk in _chunks(unique):
        pairs = ",".join("(?,?)" for _ in chunk)
        rows = await db.fetch(
            f"SELECT * FROM {table} WHERE (mentorship_id, id) IN (VALUES {pairs})"
            + extra,
            [*(part for key in chunk for part in key), *params],
        )
        found |= {(r["mentorship_id"], r["id"]): r for r in rows}
    return found


# -- by mentorship / person ----------------------------------------------------------


async def rows_by_mentorship(
    db: Reader, table: str, mentorship_ids: Sequence[str]
) -> dict[str, list[Row]]:
    """Rows of a per-mentorship table (or participants), grouped by mentorship."""
    if table not in (*ENTITY_TABLES, "participants"):
        raise ValueError(f"{table} is not a per-mentorship table")
    order = "mentorship_id, position" if table == "participants" else "seq"
    grouped: dict[str, list[Row]] = {m: [] for m in mentorship_ids}
    for row in await _rows_in(db, table, "mentorship_id", mentorship_ids, order):
        grouped[row["mentorship_id"]].append(row)
    return grouped


async def mentorships_of_people(
    db: Reader, person_ids: Sequence[str], scope: ReadScope | None = None
) -> dict[str, list[Row]]:
    """Each person's readable mentorships (any status), oldest first."""
    grouped: dict[str, list[Row]] = {p: [] for p in person_ids}
    unique = list(dict.fromkeys(person_ids))
    conditions, params = mentorship_conditions(scope, "m")
    extra = "".join(f" AND {c}" for c in conditions)
    for chunk in _chunks(unique):
        rows = await db.fetch(
            "SELECT p.person_id AS participant_person_id, m.* FROM participants p "
            "JOIN mentorships m ON m.id = p.mentorship_id "
            f"WHERE p.person_id IN ({_marks(chunk)}){extra} ORDER BY m.seq",
            [*chunk, *params],
        )
        for row in rows:
            grouped[row.pop("participant_person_id")].append(row)
    return grouped


async def active_mentorship_counts(
    db: Reader, person_ids: Sequence[str], scope: ReadScope | None = None
) -> dict[str, int]:
    """How many readable active or paused mentorships each person takes part in."""
    counts: dict[str, int] = dict.fromkeys(person_ids, 0)
    unique = list(dict.fromkeys(person_ids))
    conditions, params = mentorship_conditions(scope, "m")
    extra = "".join(f" AND {c}" for c in conditions)
    for chunk in _chunks(unique):
        rows = await db.fetch(
            "SELECT p.person_id AS person_id, COUNT(*) AS active FROM participants p "
            "JOIN mentorships m ON m.id = p.mentorship_id "
            f"WHERE p.person_id IN ({_marks(chunk)}) "
            f"AND m.status IN ('active', 'paused'){extra} GROUP BY p.person_id",
            [*chunk, *params],
        )
        for row in rows:
            counts[row["person_id"]] = int(row["active"])
    return counts


# -- keyset pages --------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """Which slice: at most `first` after `after`, or `last` before `before`."""

    first: int | None = None
    after: int | None = None
    last: int | None = None
    before: int | None = None


@dataclass(frozen=True)
class Page:
    """A slice of rows in `seq` order, and whether rows lie beyond either end."""

    rows: list[Row]
    has_next: bool
    has_previous: bool


@dataclass(frozen=True)
class MentorshipFilter:
    """Conditions on mentorships; None means any."""

    program_id: str | None = None
    format: str | None = None
    status: str | None = None
    participant_id: str | None = None
    # Active, and quiet (no interaction, start or resumption) since before this.
    quiet_before: str | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """The SQL conditions and their parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("program_id", self.program_id),
            ("format", self.format),
            ("status", self.status),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        if self.participant_id is not None:
            conditions.append(
                "id IN (SELECT mentorship_id FROM participants WHERE person_id = ?)"
            )
            params.append(self.participant_id)
        if self.quiet_before is not None:
            # Correlated, so a page walks mentorships in seq order and looks
            # each up, instead of sorting every quiet one.
            conditions.append(
                "EXISTS (SELECT 1 FROM activity a WHERE a.mentorship_id = "
                "mentorships.id AND a.status = 'active' AND a.quiet_since < ?)"
            )
            params.append(self.quiet_before)
        return conditions, params


async def page(
    db: Reader,
    table: str,
    request: PageRequest,
    conditions: Sequence[str] = (),
    params: Sequence[Any] = (),
) -> Page:
    """Return one keyset page of a table ordered by `seq` (Relay cursor semantics)."""
    if table not in ("programs", "people", "mentorships", "enrolments", "invitations"):
        raise ValueError(f"{table} has no pages")
    if request.first is not None and request.last is None:
        forward, size = True, request.first
    elif request.last is not None and request.first is None:
        forward, size = False, request.last
    else:
        raise ValueError("give exactly one of first and last")
    where = list(conditions)
    values = list(params)
    if request.after is not None:
        where.append("seq > ?")
        values.append(request.after)
    if request.before is not None:
        where.append("seq < ?")
        values.append(request.before)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await db.fetch(
        f"SELECT * FROM {table} {clause} ORDER BY seq {'ASC' if forward else 'DESC'} "
        "LIMIT ?",
        [*values, size + 1],
    )
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    # Beyond the cursor we came from: one cheap EXISTS, only when a cursor was given.
    beyond = False
    edge = request.after if forward else request.before
    if edge is not None:
        beyond_where = [*conditions, "seq <= ?" if forward else "seq >= ?"]
        beyond = bool(
            await db.fetch(
                f"SELECT 1 FROM {table} WHERE {' AND '.join(beyond_where)} LIMIT 1",
                [*params, edge],
            )
        )
    if forward:
        return Page(rows, has_next=more, has_previous=beyond)
    return Page(rows, has_next=beyond, has_previous=more)


async def page_programs(
    db: Reader, request: PageRequest, scope: ReadScope | None = None
) -> Page:
    """A keyset page of readable programs, oldest first."""
    conditions, params = program_conditions(scope)
    return await page(db, "programs", request, conditions, params)


async def page_people(
    db: Reader,
    request: PageRequest,
    career_stage: str | None = None,
    scope: ReadScope | None = None,
) -> Page:
    """A keyset page of readable people, oldest first, maybe at one career stage."""
    conditions, params = people_conditions(scope)
    if career_stage is not None:
        conditions, params = [*conditions, "career_stage = ?"], [*params, career_stage]
    return await page(db, "people", request, conditions, params)


async def page_mentorships(
    db: Reader,
    request: PageRequest,
    where: MentorshipFilter | None = None,
    scope: ReadScope | None = None,
) -> Page:
    """A keyset page of readable mentorships matching the filter, oldest first."""
    conditions, params = (where or MentorshipFilter()).where()
    visible, visible_params = mentorship_conditions(scope)
    return await page(
        db, "mentorships", request, [*conditions, *visible], [*params, *visible_params]
    )


# -- intakes -------------------------------------------------------------------------


async def intake_of(db: Reader, intake_id: str) -> Row | None:
    """A program's intake settings row (by the intake's ID), or None."""
    rows = await db.fetch("SELECT * FROM intakes WHERE id = ?", [intake_id])
    return rows[0] if rows else None


async def page_enrolments(
    db: Reader,
    request: PageRequest,
    intake_id: str,
    side: str | None = None,
    status: str | None = None,
    visible_to: str | None = None,
    with_mentors: bool = False,
) -> Page:
    """A keyset page of an intake's applications, oldest first.

    With `visible_to` (a participant), only their own, and `with_mentors` (they
    are enrolled) the enrolled mentors'.
    """
    conditions, params = ["intake_id = ?"], [intake_id]
    if side is not None:
        conditions, params = [*conditions, "side = ?"], [*params, side]
    if status is not None:
        conditions, params = [*conditions, "status = ?"], [*params, status]
    if visible_to is not None and with_mentors:
        conditions.append(
            "(person_id = ? OR (side = 'mentor' AND status = 'enrolled'))"
        )
        params.append(visible_to)
    elif visible_to is not None:
        conditions, params = [*conditions, "person_id = ?"], [*params, visible_to]
    return await page(db, "enrolments", request, conditions, params)


async def enrolment_of(db: Reader, intake_id: str, person_id: str) -> Row | None:
    """One person's application to an intake, or None."""
    rows = await db.fetch(
        "SELECT * FROM enrolments WHERE intake_id = ? AND person_id = ?",
        [intake_id, person_id],
    )
    return rows[0] if rows else None


async def requests_of(
    db: Reader, intake_id: str, person_id: str | None = None
) -> list[Row]:
    """An intake's mentor requests, oldest first; with person_id, theirs only."""
    if person_id is None:
        return await db.fetch(
            "SELECT * FROM mentor_requests WHERE intake_id = ? ORDER BY seq",
            [intake_id],
        )
    return await db.fetch(
        "SELECT * FROM mentor_requests WHERE intake_id = ? "
        "AND (mentee_id = ? OR mentor_id = ?) ORDER BY seq",
        [intake_id, person_id, person_id],
    )


async def matches_by_mentorship(db: Reader, ids: Sequence[str]) -> dict[str, Row]:
    """The match each mentorship was proposed with, by ID (if it has one)."""
    rows = await _rows_in(db, "mentorship_matches", "mentorship_id", ids)
    return {r["mentorship_id"]: r for r in rows}


# -- activity and metrics ------------------------------------------------------------


async def activity_by_mentorship(db: Reader, ids: Sequence[str]) -> dict[str, Row]:
    """Each mentorship's activity row (last interaction, quiet since), by ID."""
    rows = await _rows_in(db, "activity", "mentorship_id", ids)
    return {r["mentorship_id"]: r for r in rows}


async def metrics_by_program(db: Reader, ids: Sequence[str]) -> dict[str, Row]:
    """Each program's metrics row, by ID."""
    rows = await _rows_in(db, "program_metrics", "program_id", ids)
    return {r["program_id"]: r for r in rows}


async def trends_of_program(db: Reader, program_id: str) -> list[Row]:
    """A program's rows of program_trends, oldest month first."""
    return await db.fetch(
        "SELECT * FROM program_trends WHERE program_id = ? ORDER BY month",
        [program_id],
    )


async def calendar_feed_person(db: Reader, feed_hash: str) -> str | None:
    """The person a calendar feed's token hash names, if any."""
    rows = await db.fetch(
        "SELECT person_id FROM calendar_feeds WHERE feed_hash = ?", [feed_hash]
    )
    return str(rows[0]["person_id"]) if rows else None


async def meetings_of_person(
    db: Reader, person_id: str, program_id: str | None
) -> list[Row]:
    """The meetings of the person's mentorships that are not closed (of one
    program, if given), each mentorship's in the order they were scheduled."""
    program = " AND m.program_id = ?" if program_id is not None else ""
    return await db.fetch(
        "SELECT mt.* FROM meetings mt "
        "JOIN participants p ON p.mentorship_id = mt.mentorship_id "
        "JOIN mentorships m ON m.id = mt.mentorship_id "
        f"WHERE p.person_id = ? AND m.closed_at IS NULL{program} "
        "ORDER BY mt.mentorship_id, mt.seq",
        [person_id, *([program_id] if program_id is not None else [])],
    )


# -- positions -----------------------------------------------------------------------


async def projection_position(db: Reader, names: Sequence[str]) -> int:
    """The notification ID every named projection has reached (0 if any has none)."""
    if not names:
        return 0
    rows = await db.fetch(
        "SELECT application_name, MAX(notification_id) AS position FROM tracking "
        f"WHERE application_name IN ({_marks(names)}) GROUP BY application_name",
        list(names),
    )
    positions = {r["application_name"]: r["position"] or 0 for r in rows}
    return min(positions.get(name, 0) for name in names)
