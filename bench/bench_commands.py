"""Commands through Mentoring on embedded SQLite, against raw sqlite3 inserts.

The service run records N one-on-one mentorships, each proposed, started, agreed,
signed by both sides, then given several rounds of set_goal, schedule_meeting and
record_review. The baseline then writes exactly the rows the service stored (events
and hash-chain links, byte for byte), one transaction per command, with plain
sqlite3 in WAL mode at the `synchronous` level the service's connections use.
A third run records the same commands with the Merkle tree switched off, to show
what keeping the tree costs (target: the ratio drops by at most 10%).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _report import Figure, Verdict, best, finish, parser, report, timed
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring, Recorded
from mentorlog.core.chain import LINKS_TABLE
from mentorlog.core.storage.sqlite import ChainedSQLiteRecorder
from mentorlog.core.storage.tree import Growth

from mentorlog.services import Services, open_services
from mentorlog.settings import Settings

SYSTEM = "system:bench"
TARGET = 0.4
TREE_COST_TARGET = 0.9  # the ratio with the tree / the ratio without it
GOAL_FIELDS = {
    "specific": "Give a talk at the team's monthly demo about the new build system.",
    "measurable": "One talk, with feedback from at least three colleagues.",
    "achievable": "Two rehearsals with the mentor beforehand.",
    "relevant": "Presenting is part of the next career step.",
    "due": "2099-06-30",
}

Row = tuple[Any, ...]


@dataclass
class Cast:
    """The people and program one service run records mentorships for."""

    program: str
    pairs: list[tuple[str, str]]


def cast(app: Mentoring, n: int) -> Cast:
    """Create a program and a mentor and mentee per mentorship (not timed)."""
    program = app.create_program(
        actor=SYSTEM,
        name="Benchmark program",
        mentor_min_years_experience=5,
        mentee_min_tenure_years=1,
    ).id
    pairs = []
    for i in range(n):
        mentor = app.register_person(
            actor=SYSTEM,
            display_name=f"Mentor {i}",
            career_stage="late",
            years_experience=18,
            tenure_years=6,
        ).id
        mentee = app.register_person(
            actor=SYSTEM,
            display_name=f"Mentee {i}",
            career_stage="early",
            years_experience=3,
            tenure_years=2,
        ).id
        pairs.append((mentor, mentee))
    return Cast(program, pairs)


def commands(app: Mentoring, people: Cast, rounds: int) -> list[int]:
    """Record every mentorship's commands; return each command's log position."""
    positions: list[int] = []

    def do(recorded: Recorded) -> str:
        positions.append(recorded.position)
        return recorded.id

    for mentor, mentee in people.pairs:
        mentor_actor, mentee_actor = person_actor(mentor), person_actor(mentee)
        m = do(
            app.propose_mentorship(
                actor=mentee_actor,
                program_id=people.program,
                format="one_on_one",
                participants=[
                    {"person_id": mentor, "role": "mentor"},
                    {"person_id": mentee, "role": "mentee"},
                ],
                purpose="Grow into a technical lead role within a year.",
            )
        )
        do(app.start_mentorship(m, actor=SYSTEM))
        do(
            app.record_agreement(
                m,
                actor=mentor_actor,
                communication="Chat for quick questions, email for documents.",
                confidentiality="What we discuss stays between us.",
                schedule="Every other Tuesday, 45 minutes.",
                outcomes=["Lead a design review", "Give a conference talk"],
            )
        )
        do(app.sign_agreement(m, actor=mentor_actor))
        do(app.sign_agreement(m, actor=mentee_actor))
        for r in range(rounds):
            do(
                app.set_goal(
                    m,
                    actor=mentee_actor,
                    title=f"Present at the demo, part {r + 1}",
                    framework="smart",
                    fields=GOAL_FIELDS,
                )
            )
            do(
                app.schedule_meeting(
                    m,
                    actor=mentor_actor,
                    scheduled_for=f"2030-01-{r % 28 + 1:02d}T10:00:00+00:00",
                    agenda=["Progress on goals", "Blockers", "Next steps"],
                    duration_minutes=45,
                )
            )
            do(
                app.record_review(
                    m,
                    actor=mentor_actor,
                    progress_rating=4,
                    went_well="Rehearsals went well and the outline is done.",
                    challenges="Finding time between on-call weeks.",
                    support=["instrumental", "psychosocial"],
                    next_steps="Book the demo slot and send the draft slides.",
                )
            )
    return positions


def synchronous_level(services: Services) -> int:
    """The `synchronous` pragma the service's event store connections run with."""
    with services.app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute("PRAGMA synchronous")
        return int(c.fetchone()[0])


def journal_mode(services: Services) -> str:
    """The journal mode of the service's event store."""
    with services.app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute("PRAGMA journal_mode")
        return str(c.fetchone()[0])


@dataclass
class Recording:
    """What one service run stored, grouped by command, and how long it took."""

    figure: Figure
    ddl: list[str]
    batches: list[tuple[list[Row], list[Row]]]
    synchronous: int
    journal: str


@contextmanager
def tree_switched_off() -> Iterator[None]:
    """Record events and links as before the Merkle tree (for the comparison)."""
    grow = ChainedSQLiteRecorder._grow_tree
    ChainedSQLiteRecorder._grow_tree = lambda self, c, links: Growth(  # type: ignore[method-assign]
        [],
        [None] * len(links),
        0,  # type: ignore[list-item]
    )
    try:
        yield
    finally:
        ChainedSQLiteRecorder._grow_tree = grow  # type: ignore[method-assign]


def run_service(n: int, rounds: int, label: str, tree: bool = True) -> Recording:
    """Record the commands through Mentoring in a fresh data dir."""
    with (
        tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp,
        nullcontext() if tree else tree_switched_off(),
    ):
        services = open_services(Settings(data_dir=Path(tmp) / "data"))
        try:
            people = cast(services.app, n)
            before = services.runner.head()
            seconds, positions = timed(lambda: commands(services.app, people, rounds))
            after = services.runner.head()
            batches = stored_batches(services, before, positions)
            ddl = services.app.recorder.construct_create_table_statements()  # type: ignore[attr-defined]
            sync, journal = synchronous_level(services), journal_mode(services)
        finally:
            services.close()
    figure = Figure(label, after - before, seconds)
    return Recording(figure, ddl, batches, sync, journal)


def stored_batches(
    services: Services, before: int, positions: Sequence[int]
) -> list[tuple[list[Row], list[Row]]]:
    """The event and link rows each command stored, in command order."""
    with services.app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            "FROM stored_events WHERE rowid > ? ORDER BY rowid",
            (before,),
        )
        events = [tuple(r) for r in c.fetchall()]
        c.execute(f"SELECT * FROM {LINKS_TABLE}")
        links = {(r[0], r[1]): tuple(r) for r in c.fetchall()}
    batches = []
    i = 0
    for position in positions:
        rows: list[Row] = []
        while i < len(events) and events[i][0] <= position:
            rows.append(events[i][1:])
            i += 1
        batches.append((rows, [links[(r[0], r[1])] for r in rows]))
    return batches


def run_baseline(recording: Recording, label: str) -> Figure:
    """Insert the same rows with plain sqlite3, one transaction per command."""
    with tempfile.TemporaryDirectory(prefix="mentorlog-bench-") as tmp:
        con = sqlite3.connect(Path(tmp) / "events.db", isolation_level=None)
        try:
            con.execute(f"PRAGMA journal_mode={recording.journal}")
            con.execute(f"PRAGMA synchronous={recording.synchronous}")
            for statement in recording.ddl:
                con.execute(statement)
            insert_event = "INSERT INTO stored_events VALUES (?,?,?,?)"
            insert_link = f"INSERT INTO {LINKS_TABLE} VALUES (?,?,?,?)"

            def write() -> int:
                count = 0
                for events, links in recording.batches:
                    con.execute("BEGIN")
                    for row in events:
                        con.execute(insert_event, row)
                    for row in links:
                        con.execute(insert_link, row)
                    con.execute("COMMIT")
                    count += len(events)
                return count

            seconds, count = timed(write)
        finally:
            con.close()
    return Figure(label, count, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both sides --repeat times and print the best of each with the ratio."""
    p = parser(__doc__.splitlines()[0], 200, "mentorships to record (default 200)")
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="set_goal/schedule_meeting/record_review rounds each (default 3)",
    )
    args = p.parse_args(argv)
    services_runs: list[Figure] = []
    treeless_runs: list[Figure] = []
    baseline_runs: list[Figure] = []
    recording: Recording | None = None
    for _ in range(args.repeat):
        recording = run_service(args.n, args.rounds, "Mentoring commands")
        services_runs.append(recording.figure)
        treeless = run_service(
            args.n, args.rounds, "Mentoring commands, no Merkle tree", tree=False
        )
        treeless_runs.append(treeless.figure)
        baseline_runs.append(run_baseline(recording, "raw sqlite3 inserts"))
    assert recording is not None
    service, baseline = best(services_runs), best(baseline_runs)
    without = best(treeless_runs)
    commands_per_run = len(recording.batches)
    ratio = service.rate / baseline.rate
    ratio_without = without.rate / baseline.rate
    return report(
        "Recording commands (events per second, best of "
        f"{args.repeat}; {args.n} mentorships, {commands_per_run} commands)",
        [service, without, baseline],
        [
            Verdict("service / raw inserts", ratio, TARGET),
            Verdict("no tree / raw inserts", ratio_without, TARGET),
            Verdict(
                "ratio with the tree / without", ratio / ratio_without, TREE_COST_TARGET
            ),
        ],
        [
            f"Both sides: journal_mode={recording.journal}, "
            f"synchronous={recording.synchronous} (the level eventsourcing's SQLite "
            "connections run with; it sets journal_mode=WAL and leaves synchronous "
            "at SQLite's default), one transaction per command.",
            f"Service: {1e3 * service.seconds / commands_per_run:.2f} ms per command; "
            f"baseline: {1e3 * baseline.seconds / commands_per_run:.2f} ms per "
            "command.",
        ],
        args.check,
    )


if __name__ == "__main__":
    finish(main())
