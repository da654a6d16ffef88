"""A small trend chart of a measure's observations (SVG, no scripts, escaped text only)."""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 160, 40, 4


def trend_svg(observations: list[dict[str, Any]], name: str, unit: str = "") -> str:
    """A sparkline of ``observations`` (each with ``value`` and ``date``), oldest first.

    >>> svg = trend_svg([{"value": 1, "date": "2024-01-01"}, {"value": 3, "date": "2024-06-01"}],
    ...                 "Events <a month>")
    >>> "<polyline" in svg and "&lt;a month&gt;" in svg and "<a month>" not in svg
    True
    >>> trend_svg([], "x")
    ''
    """
    if not observations:
        return ""
    values = [float(o["value"]) for o in observations]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    n = len(values)
    points = []
    for i, v in enumerate(values):
        x = PAD + (WIDTH - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * ((v - lo) / span if hi > lo else 0.5)
        points.append(f"{x:.1f},{y:.1f}")
    first, last = observations[0], observations[-1]
    suffix = f" {unit}" if unit else ""
    label = (
        f"Trend of {name}: {_num(values[0])}{suffix} on {first['date']} to "
        f"{_num(values[-1])}{suffix} on {last['date']}, {n} observation{'s' if n != 1 else ''}"
    )
    last_x, last_y = points[-1].split(",")
    return (
        f'<svg class="trend" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" aria-label="{escape(label, quote=True)}">'
        f'<polyline fill="none" stroke="#1f6f3f" stroke-width="2" points="{" ".join(points)}"/>'
        f'<circle cx="{last_x}" cy="{last_y}" r="3" fill="#1f6f3f"/></svg>'
    )


def _num(value: float) -> str:
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
