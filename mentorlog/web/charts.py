"""Charts drawn on the server as SVG: bars and lines over months, no script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 420, 220
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 38
COLOURS = ("#2d5d8a", "#e0913a", "#3f9a5b", "#a34a8c")


@dataclass(frozen=True)
class Series:
    """A named row of values, one per month (None: no value that month)."""

    name: str
    values: Sequence[float | None]


def _ticks(top: float) -> list[float]:
    """Round values from 0 to at least top, about five steps apart."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 5
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0) if top >= 1 else 0.25
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def chart(
    title: str,
    months: Sequence[str],
    series: Sequence[Series],
    kind: str = "bars",
    ceiling: float | None = None,
) -> Markup:
    """An SVG chart of the series over the months (kind: bars or line)."""
    values = [v for s in series for v in s.values if v is not None]
    ticks = _ticks(max([ceiling or 0, *values, 0]))
    top = ticks[-1] or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(months), 1)

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart-svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        label = f"{tick:g}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}" stroke="#e3e7ec"/>'
            f'<text x="{LEFT - 4}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'font-size="13" fill="#5b6878">{label}</text>'
        )
    every = max(1, len(months) // 8)
    for i, month in enumerate(months):
        if i % every == 0:
            parts.append(
                f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" font-size="13" fill="#5b6878">'
                f"{escape(month)}</text>"
            )
    if kind == "bars":
        width = slot * 0.8 / max(len(series), 1)
        for n, one in enumerate(series):
            for i, value in enumerate(one.values):
                if not value:
                    continue
                x = LEFT + slot * i + slot * 0.1 + width * n
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y(value):.1f}" '
                    f'width="{width:.1f}" height="{y(0) - y(value):.1f}" '
                    f'fill="{COLOURS[n % len(COLOURS)]}">'
                    f"<title>{escape(one.name)} {escape(months[i])}: {value:g}</title>"
                    "</rect>"
                )
    else:
        for n, one in enumerate(series):
            points = [
                (LEFT + slot * (i + 0.5), y(v))
                for i, v in enumerate(one.values)
                if v is not None
            ]
            colour = COLOURS[n % len(COLOURS)]
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{py:.1f}" for x, py in points)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
            for x, py in points:
                parts.append(
                    f'<circle class="point" cx="{x:.1f}" cy="{py:.1f}" r="3" '
                    f'fill="{colour}"/>'
                )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
        'stroke="#8a96a3"/>'
    )
    for n, one in enumerate(series):
        x = LEFT + n * 150
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 12}" width="10" height="10" '
            f'fill="{COLOURS[n % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 3}" font-size="13" fill="#1d2733">'
            f"{escape(one.name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
