"""The code standards, checked like any other behaviour: ruff and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a Python tool module from the project root."""
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_check_is_clean() -> None:
    result = tool("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = tool("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_passes_on_every_package(tmp_path: Path) -> None:
    """mypy sees the package as installed: mentorlog.core is core/, and so on.

    Checked folder by folder, mypy would not follow `mentorlog.core...` imports
    into core/ and would type them as Any; a tree of links laid out as the
    package makes every import between the folders checked for real.
    """
    package = tmp_path / "mentorlog"
    package.mkdir()
    for entry in (ROOT / "mentorlog").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for folder in ("core", "plugins", "projections", "schema"):
        (package / folder).symlink_to(ROOT / folder)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "mentorlog",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
