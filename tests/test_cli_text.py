"""What the CLI prints and takes: stored text as written, IDs either way, labels."""

from __future__ import annotations

import json
import subprocess
from uuid import UUID

import pytest

from mentorlog.services import Services
from tests.backends import cli_args
from tests.conftest import World
from tests.processes import mentorlog as run_mentorlog
from tests.test_api_support import gid

pytestmark = pytest.mark.sqlite_only("what the CLI prints does not depend on the store")

UNCLOSED = "closing [/nope] tag"
LINK = "[link=file:///etc/passwd]x[/link]"
NAME = "[bold]Eve[/bold] :smile: \x1b[31mred"


def mentorlog(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `mentorlog` command, its output wide enough for one line."""
    return run_mentorlog(*args, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


@pytest.fixture
def marked_up(services: Services, world: World) -> tuple[Services, str, str]:
    """A mentorship whose goals and a person's name look like rich markup."""
    mentorship = world.one_on_one()
    for title in (UNCLOSED, LINK):
        world.app.set_goal(
            mentorship,
            actor=world.mentee_actor,
            title=title,
            framework="plain",
            fields={"description": title},
        )
    person = world.person(NAME, "mid", 8, 4)
    return services, mentorship, person


def test_replay_prints_markup_in_user_text_as_written(
    marked_up: tuple[Services, str, str],
) -> None:
    services, mentorship, _ = marked_up
    for stream in (mentorship, gid("Mentorship", mentorship)):
        result = mentorlog("replay", *cli_args(services), stream)
        assert result.returncode == 0, result.stderr
        assert f'title: "{UNCLOSED}"' in result.stdout
        assert f'title: "{LINK}"' in result.stdout
        assert "\x1b" not in result.stdout
    lines = mentorlog("replay", *cli_args(services), "--json", mentorship).stdout
    titles = [json.loads(line)["payload"].get("title") for line in lines.splitlines()]
    assert {UNCLOSED, LINK} <= set(titles)


def test_verify_all_labels_each_stream_with_its_kind_and_name(
    marked_up: tuple[Services, str, str], world: World
) -> None:
    services, mentorship, person = marked_up
    result = mentorlog("verify", *cli_args(services), "--all")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "Mentorship" in lines[mentorship] and "one_on_one" in lines[mentorship]
    assert "Program" in lines[world.program]
    assert lines[world.program].endswith("Engineering mentoring")
    assert "Person" in lines[world.mentee] and "Milo Mentee" in lines[world.mentee]
    # Names print as stored, with control codes replaced: no escape reaches a terminal.
    assert lines[person].endswith("[bold]Eve[/bold] :smile: \ufffd[31mred")
    one = mentorlog("verify", *cli_args(services), gid("Person", person))
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines()[0] == lines[person]


def test_ids_are_taken_as_uuids_or_global_ids_of_the_right_type(
    marked_up: tuple[Services, str, str], world: World
) -> None:
    services, mentorship, person = marked_up
    admin, program = gid("Person", world.admin), gid("Program", world.program)
    made = mentorlog(
        "token", "create", *cli_args(services), "--role", "admin",
        "--person", admin, "--program", program,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    principal = services.app.authenticate(made.stdout.strip())
    assert (principal.person_id, principal.program_id) == (world.admin, world.program)
    wrong = mentorlog(
        "token", "create", *cli_args(services), "--role", "participant",
        "--person", gid("Program", world.program),
    )  # fmt: skip
    assert wrong.returncode == 2
    assert "is a Program ID, not a Person ID" in wrong.stderr
    # A refusal quoting a stored name prints it on one line, control codes replaced.
    refused = mentorlog(
        "token", "create", *cli_args(services), "--role", "admin",
        "--person", gid("Person", person), "--program", program,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "INVALID_INPUT" in refused.stderr and "\x1b" not in refused.stderr
    assert "[bold]Eve[/bold] :smile: \ufffd[31mred is not an admin" in refused.stderr
    garbage = mentorlog("replay", *cli_args(services), "not-an-id")
    assert garbage.returncode == 2
    assert "neither a UUID nor a global ID" in garbage.stderr
    erased = mentorlog("erase-person", *cli_args(services), gid("Person", person))
    assert erased.returncode == 0, erased.stderr
    assert services.app.name_of(services.app.repository.get(UUID(person))) != NAME
    assert "Traceback" not in wrong.stderr + garbage.stderr + erased.stderr
