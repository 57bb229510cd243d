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


def test_mypy_passes_on_every_package() -> None:
    result = tool("mypy", "core", "plugins", "projections", "schema", "mentorlog")
    assert result.returncode == 0, result.stdout + result.stderr
