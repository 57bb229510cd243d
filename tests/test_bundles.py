"""Audit bundles verify offline with the standalone verifier, which imports nothing
from mentorlog; an edited bundle, a forged checkpoint or a foreign key is refused."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from uuid import UUID

import pytest

from mentorlog.bundles import write_bundle
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.conftest import SYSTEM, World
from tests.test_api_support import bearer, gid, open_api

# Runs verify_bundle.py as __main__ with every import of mentorlog refused.
ALONE = """
import runpy, sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("mentorlog", "core", "tests"):
            raise ImportError("the verifier must not import " + name)
sys.meta_path.insert(0, Refuse())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_alone(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the bundle's own verifier, from the bundle, as an auditor would."""
    return subprocess.run(
        [sys.executable, "-I", "-c", ALONE, "verify_bundle.py", ".", *args],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=60,
    )


def busy(world: World) -> str:
    mentorship = world.one_on_one()
    world.app.record_review(
        mentorship, actor=world.mentee_actor, progress_rating=4, went_well="[b]x[/b]"
    )
    world.app.set_goal(
        mentorship,
        actor=world.mentee_actor,
        title="Lead a design review",
        framework="plain",
        private=True,
    )
    world.person("Someone later", "mid", 7, 2)
    return mentorship


def test_a_bundle_verifies_alone_and_shows_the_timeline(
    services: Services, world: World, tmp_path: Path
) -> None:
    mentorship = busy(world)
    bundle = write_bundle(
        services.app, services.checkpoints, UUID(mentorship), tmp_path / "bundle"
    )
    files = sorted(p.name for p in bundle.directory.iterdir())
    assert files == [
        "README.md",
        "checkpoint.txt",
        "erased.json",
        "events.jsonl",
        "public-key.txt",
        "verify_bundle.py",
    ]
    result = run_alone(bundle.directory)
    assert result.returncode == 0, result.stderr
    assert f"VERIFIED: {bundle.events} events" in result.stdout
    assert "ReviewRecorded" in result.stdout and "GoalSet" in result.stdout
    key = (bundle.directory / "public-key.txt").read_text().strip()
    assert run_alone(bundle.directory, "--key", key).returncode == 0


def tamper_event(bundle: Path) -> None:
    lines = (bundle / "events.jsonl").read_text().splitlines()
    event = json.loads(lines[2])
    state = base64.b64decode(event["state"]).replace(b'"', b"'", 1)
    event["state"] = base64.b64encode(state).decode()
    lines[2] = json.dumps(event)
    (bundle / "events.jsonl").write_text("\n".join(lines) + "\n")


def drop_event(bundle: Path) -> None:
    lines = (bundle / "events.jsonl").read_text().splitlines()
    (bundle / "events.jsonl").write_text("\n".join(lines[:1] + lines[2:]) + "\n")


def forge_checkpoint(bundle: Path) -> None:
    note = (bundle / "checkpoint.txt").read_text().split("\n")
    note[1] = str(int(note[1]) + 1)
    (bundle / "checkpoint.txt").write_text("\n".join(note))


def bend_proof(bundle: Path) -> None:
    lines = (bundle / "events.jsonl").read_text().splitlines()
    event = json.loads(lines[0])
    event["inclusion_proof"][0] = base64.b64encode(bytes(32)).decode()
    lines[0] = json.dumps(event)
    (bundle / "events.jsonl").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "tamper", [tamper_event, drop_event, forge_checkpoint, bend_proof]
)
def test_an_edited_bundle_is_refused(
    services: Services, world: World, tmp_path: Path, tamper: object
) -> None:
    mentorship = busy(world)
    bundle = write_bundle(
        services.app, services.checkpoints, UUID(mentorship), tmp_path / "b"
    )
    tamper(bundle.directory)  # type: ignore[operator]
    result = run_alone(bundle.directory)
    assert result.returncode == 1
    assert result.stderr.startswith("NOT VERIFIED: ")
    assert "Traceback" not in result.stderr


def test_a_bundle_signed_by_another_installation_is_refused_by_name(
    services: Services, world: World, tmp_path: Path
) -> None:
    mentorship = busy(world)
    bundle = write_bundle(
        services.app, services.checkpoints, UUID(mentorship), tmp_path / "b"
    )
    other = open_services(
        replace(
            services.settings,
            data_dir=tmp_path / "other",
            database_url=None,
            checkpoint_key=tmp_path / "other.key",
        )
    )
    try:
        foreign = str(other.checkpoints.verifier)
    finally:
        other.close()
    result = run_alone(bundle.directory, "--key", foreign)
    assert result.returncode == 1
    assert f"not signed by {foreign.split('+')[0]}" in result.stderr


def test_an_erased_persons_events_still_verify(
    services: Services, world: World, tmp_path: Path
) -> None:
    mentorship = busy(world)
    services.app.erase_person(world.mentee, actor=SYSTEM)
    bundle = write_bundle(
        services.app, services.checkpoints, UUID(mentorship), tmp_path / "b"
    )
    erased = json.loads((bundle.directory / "erased.json").read_text())
    assert str(UUID(world.mentee)) in erased or world.mentee in erased
    result = run_alone(bundle.directory)
    assert result.returncode == 0, result.stderr
    assert "(erased)" in result.stdout


async def test_auditors_download_a_bundle_over_http(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    world = World(services.app)
    mentorship = busy(world)
    async for api in open_api(settings, services):
        path = f"/audit/bundles/{gid('Mentorship', mentorship)}"
        got = await api.client.get(path, headers=bearer(api.auditor))
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
            archive.extractall(tmp_path)
        result = run_alone(tmp_path / "bundle")
        assert result.returncode == 0, result.stderr
        mentee = api.token(world.mentee)
        refusals = [
            (await api.client.get(path), 401, "UNAUTHENTICATED"),
            (await api.client.get(path, headers=bearer(mentee)), 403, "FORBIDDEN"),
            (
                await api.client.get(
                    "/audit/bundles/nope", headers=bearer(api.auditor)
                ),
                400,
                "BAD_USER_INPUT",
            ),
            (
                await api.client.get(
                    f"/audit/bundles/{gid('Mentorship', str(UUID(int=5)))}",
                    headers=bearer(api.auditor),
                ),
                404,
                "NOT_FOUND",
            ),
        ]
        for response, status, code in refusals:
            assert response.status_code == status, response.text
            assert response.json()["errors"][0]["extensions"]["code"] == code
