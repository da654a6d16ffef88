"""SVG chart: share of plausible lists in which an area is left behind, against its nominal rank.

The x axis is the area's binding nominal rank as a share of all areas: the larger of its CNI and
IMD ranks (an area is on the nominal list when both are within the top 10%). Plain SVG, no
JavaScript; colours follow the robustness classes and every point has a tooltip title.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

CLASS_COLOURS = {
    "robust": "#1b5e20",
    "likely": "#66a61e",
    "borderline": "#e6ab02",
    "unlikely": "#999999",
}


def p_left_behind_svg(
    areas: pd.DataFrame,
    *,
    highlight: str | None = None,
    max_share: float = 0.3,
    threshold: float = 0.1,
    width: int = 640,
    height: int = 360,
    title: str = "How robust is each area's 'left behind' status?",
) -> str:
    """Scatter of ``p_left_behind`` against the binding nominal rank (share of areas).

    ``areas`` is the per-area table of :func:`leftbehind.robustness.results.run_robustness`.
    Areas whose binding rank is beyond ``max_share`` are left out (their count is noted).
    """
    n = len(areas)
    binding = np.fmax(
        areas["cni_rank_nominal"].to_numpy(dtype=np.float64),
        np.nan_to_num(areas["imd_rank_nominal"].to_numpy(dtype=np.float64), nan=n),
    ) / max(n, 1)
    p = areas["p_left_behind"].to_numpy(dtype=np.float64)
    shown = binding <= max_share
    left, right, top, bottom = 56, 16, 36, 48
    pw, ph = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + pw * v / max_share

    def sy(v: float) -> float:
        return top + ph * (1 - v)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="rb-title rb-desc" '
        'font-family="sans-serif" font-size="12">',
        f'<title id="rb-title">{escape(title)}</title>',
        f'<desc id="rb-desc">Each point is an area. Horizontal: its nominal rank as a share of '
        f"all {n:,} areas (the larger of its CNI and IMD ranks). Vertical: the share of "
        f"plausible ways of measuring in which it is left behind. {int((~shown).sum()):,} "
        f"areas ranked beyond {max_share:.0%} are not drawn.</desc>",
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>',
    ]
    for v in (0.0, 0.1, 0.5, 0.9, 1.0):
        y = sy(v)
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.0%}</text>')
    step = 0.05 if max_share <= 0.3 else 0.1
    for v in np.arange(0, max_share + 1e-9, step):
        x = sx(float(v))
        parts.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{v:.0%}</text>')
    tx = sx(threshold)
    parts.append(
        f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top}" y2="{top + ph}" '
        'stroke="#333" stroke-dasharray="4 3"/>'
    )
    parts.append(f'<text x="{tx + 4:.1f}" y="{top + 12}">nominal cut-off ({threshold:.0%})</text>')
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        "nominal rank as a share of all areas (larger of CNI and IMD)</text>"
    )
    parts.append(
        f'<text transform="rotate(-90)" x="{-(top + ph / 2):.1f}" y="14" '
        'text-anchor="middle">share of plausible lists left behind</text>'
    )
    codes = areas["code"].astype(str).to_numpy()
    names = areas["name"].astype(str).to_numpy()
    classes = areas["robustness_class"].astype(str).to_numpy()
    order = np.argsort(p[shown], kind="stable")
    idx = np.flatnonzero(shown)[order]
    for i in idx:
        colour = CLASS_COLOURS.get(classes[i], "#999999")
        parts.append(
            f'<circle cx="{sx(binding[i]):.1f}" cy="{sy(p[i]):.1f}" r="2.5" fill="{colour}" '
            f'fill-opacity="0.7"><title>{escape(names[i])} ({codes[i]}): {p[i]:.0%}, '
            f"{classes[i]}</title></circle>"
        )
    if highlight is not None:
        hit = np.flatnonzero(codes == highlight)
        if hit.size:
            i = int(hit[0])
            x, y = sx(min(binding[i], max_share)), sy(p[i])
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="none" stroke="#d62728" '
                'stroke-width="2"/>'
            )
            parts.append(
                f'<text x="{x + 9:.1f}" y="{y - 6:.1f}" fill="#d62728">{escape(names[i])}</text>'
            )
    lx = left + pw - 110
    for k, (cls, colour) in enumerate(CLASS_COLOURS.items()):
        y = top + 14 + 16 * k
        parts.append(f'<circle cx="{lx}" cy="{y - 4}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 8}" y="{y}">{cls}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
