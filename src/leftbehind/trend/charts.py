"""Accessible SVG charts of change over time (server-rendered, like ``profiles.charts``).

* :func:`trend_svg`: an area's national percentile in every IMD edition 2004-2025, with its
  group's median and the England median;
* :func:`futures_svg`: for each group, the share of residents whose areas fell further behind,
  kept pace or closed the gap.

Each SVG has a ``<title>`` and a ``<desc>`` saying the same in words, and the pages print the
numbers in a table beside it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from leftbehind.i18n import format_number
from leftbehind.i18n import gettext as _

WIDTH = 640
COLOURS = {
    "area": "#1b6ca8",
    "group": "#b5402a",
    "england": "#5b5b5b",
    "further_behind": "#b5402a",
    "keeping_pace": "#6b6b6b",
    "closing_the_gap": "#2e7d4f",
}


def _fmt(v: float | None) -> str:
    return _("no data") if v is None else format_number(v)


def trend_svg(
    name: str,
    points: list[dict[str, Any]],
    group_label: str | None,
    uid: str = "trend",
) -> str:
    """``points``: ``year, percentile, group_median, england_median`` per edition."""
    left, right, top, bottom, height = 56, 24, 48, 44, 300
    years = [p["year"] for p in points]
    lo, hi = min(years), max(years)
    span = max(hi - lo, 1)

    def x(year: int) -> float:
        return left + (WIDTH - left - right) * (year - lo) / span

    def y(pct: float) -> float:
        return top + (height - top - bottom) * (100 - max(0.0, min(100.0, pct))) / 100

    title = _("{name}: national deprivation percentile, IMD {start} to {end}").format(
        name=name, start=lo, end=hi
    )
    group = _(group_label) if group_label else None
    words = [
        (
            _("{year}: {here} here, {group} for {label} areas, {england} for England.")
            if group
            else _("{year}: {here} here, {england} for England.")
        ).format(
            year=p["year"],
            here=_fmt(p.get("percentile")),
            group=_fmt(p.get("group_median")),
            label=group,
            england=_fmt(p.get("england_median")),
        )
        for p in points
    ]
    desc = " ".join(
        [
            _(
                "0 is the most deprived area in England and 100 the least deprived; a falling "
                "line means falling further behind."
            ),
            *words,
        ]
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" font-family="system-ui, sans-serif" '
        'font-size="13">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
        f'<text x="8" y="20" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{WIDTH - right}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#444">'
            f"{tick}</text>"
        )
    out.append(
        f'<text x="{left}" y="{top - 8}" fill="#444">{escape(_("100 = least deprived"))}</text>'
    )
    out.append(
        f'<text x="{left}" y="{height - bottom + 14 + 16:.0f}" fill="#444">'
        f"{escape(_('0 = most deprived in England'))}</text>"
    )
    for yr in years:
        out.append(
            f'<text x="{x(yr):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'fill="#444">{yr}</text>'
        )
    series = [
        ("england_median", _("England median"), COLOURS["england"], "4 4"),
        (
            "group_median",
            _("{label} areas (median)").format(label=group) if group else "",
            COLOURS["group"],
            "6 3",
        ),
        ("percentile", _("This area"), COLOURS["area"], ""),
    ]
    legend_x = WIDTH - right - 190
    for i, (key, label, colour, dash) in enumerate(series):
        pts = [(p["year"], p.get(key)) for p in points if p.get(key) is not None]
        if not pts or not label:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in pts)
        width = 3 if key == "percentile" else 2
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}"{dash_attr}/>'
        )
        if key == "percentile":
            for a, b in pts:
                out.append(
                    f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="4" fill="{colour}">'
                    f"<title>{a}: {b:.0f}</title></circle>"
                )
        ly = top + 4 + 16 * i
        out.append(
            f'<line x1="{legend_x}" y1="{ly}" x2="{legend_x + 24}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="{width}"{dash_attr}/>'
        )
        out.append(f'<text x="{legend_x + 30}" y="{ly + 4}">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def futures_svg(period: dict[str, Any], labels: dict[str, str], uid: str = "futures") -> str:
    """Stacked bars: per group, the share of residents in each future for one period."""
    left, right, top, row = 170, 24, 64, 40
    groups = period["groups"]
    height = top + row * len(groups) + 24
    futures = list(labels)
    title = _("Where people live: IMD {start} to {end}").format(
        start=period["start"], end=period["end"]
    )
    labels = {f: _(text) for f, text in labels.items()}
    words = " ".join(
        _("{group}: {futures}.").format(
            group=_(g["label"]),
            futures=", ".join(
                f"{labels[f].lower()} {g['futures'][f]['population_share'] or 0:.0f}%"
                for f in futures
            ),
        )
        for g in groups
    )
    share_words = _("Share of residents of each group.") + " " + words
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" font-family="system-ui, sans-serif" '
        'font-size="13">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(share_words)}</desc>',
        f'<text x="8" y="20" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    lx = left
    for f in futures:
        out.append(f'<rect x="{lx}" y="32" width="12" height="12" fill="{COLOURS[f]}"/>')
        out.append(f'<text x="{lx + 16}" y="42">{escape(labels[f])}</text>')
        lx += 150
    scale = (WIDTH - left - right) / 100
    for i, g in enumerate(groups):
        yy = top + row * i
        out.append(f'<text x="8" y="{yy + 18}">{escape(_(g["label"]))}</text>')
        xx = float(left)
        for f in futures:
            share = g["futures"][f]["population_share"] or 0.0
            w = share * scale
            out.append(
                f'<rect x="{xx:.1f}" y="{yy + 4}" width="{w:.1f}" height="22" '
                f'fill="{COLOURS[f]}"><title>{escape(_(g["label"]))}: {escape(labels[f].lower())} '
                f"{share:.0f}%</title></rect>"
            )
            if w > 34:
                out.append(
                    f'<text x="{xx + w / 2:.1f}" y="{yy + 19}" text-anchor="middle" '
                    f'fill="#fff">{share:.0f}%</text>'
                )
            xx += w
    out.append("</svg>")
    return "".join(out)
