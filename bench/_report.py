"""Shared helpers for the benchmarks: arguments, timing and the result table."""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rich.console import Console
from rich.table import Table

T = TypeVar("T")


@dataclass(frozen=True)
class Figure:
    """One measured side of a comparison: what ran, how much and how long."""

    name: str
    items: int
    seconds: float
    unit: str = "events"

    @property
    def rate(self) -> float:
        """Items per second."""
        return self.items / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class Verdict:
    """A ratio against its target; higher_is_better says which way the target points."""

    label: str
    ratio: float
    target: float
    higher_is_better: bool = True

    @property
    def met(self) -> bool:
        """True when the ratio is on the right side of its target."""
        if self.higher_is_better:
            return self.ratio >= self.target
        return self.ratio <= self.target

    @property
    def target_text(self) -> str:
        """The target as a comparison, e.g. '>= 0.40'."""
        return f"{'>=' if self.higher_is_better else '<='} {self.target:.2f}"


def parser(description: str, default_n: int, n_help: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--n", type=int, default=default_n, help=n_help)
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each side; the best of each is compared (default 3)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a ratio misses its target",
    )
    return p


def timed(run: Callable[[], T]) -> tuple[float, T]:
    """Run once; return the elapsed wall-clock seconds and the result."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def best(figures: Sequence[Figure]) -> Figure:
    """The fastest of several runs of the same side."""
    return min(figures, key=lambda f: f.seconds / max(f.items, 1))


def report(
    title: str,
    figures: Sequence[Figure],
    verdicts: Sequence[Verdict],
    notes: Sequence[str] = (),
    check: bool = False,
) -> int:
    """Print the figures and verdicts as tables; return the process exit code."""
    console = Console()
    table = Table(title=title, title_justify="left")
    table.add_column("run")
    table.add_column("items", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("per second", justify="right")
    table.add_column("µs per item", justify="right")
    for f in figures:
        table.add_row(
            f.name,
            f"{f.items:,} {f.unit}",
            f"{f.seconds:.3f}",
            f"{f.rate:,.0f}",
            f"{1e6 * f.seconds / max(f.items, 1):,.1f}",
        )
    console.print(table)
    results = Table(show_header=True)
    results.add_column("ratio")
    results.add_column("value", justify="right")
    results.add_column("target", justify="right")
    results.add_column("met")
    for v in verdicts:
        results.add_row(
            v.label,
            f"{v.ratio:.2f}",
            v.target_text,
            "[green]yes[/green]" if v.met else "[red]no[/red]",
        )
    if verdicts:
        console.print(results)
    for note in notes:
        console.print(f"[dim]{note}[/dim]")
    console.print(
        f"[dim]Python {platform.python_version()} on {platform.machine()}, "
        f"{platform.system()}[/dim]"
    )
    missed = [v for v in verdicts if not v.met]
    return 1 if check and missed else 0


def finish(code: int) -> None:
    """Exit with the code report returned."""
    sys.exit(code)
