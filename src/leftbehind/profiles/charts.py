"""An accessible SVG chart of a profile: the area's position on each dimension.

For each of the nine dimensions the chart places, on a 0-100 scale where 100 is the most
disadvantaged position in the area's nation, the area (circle), 'left behind' areas (diamond)
and other deprived areas (square). The SVG carries a ``<title>`` and a ``<desc>`` that says the
same in words for screen readers. Every word is in the current language (:mod:`leftbehind.i18n`).
"""

from __future__ import annotations

from html import escape

from leftbehind.i18n import N_, format_number
from leftbehind.i18n import gettext as _

WIDTH = 640
LEFT = 230
RIGHT = 24
ROW = 34
TOP = 56
COLOURS = {"area": "#1b6ca8", "left_behind": "#b5402a", "other_deprived": "#5b5b5b"}
LEFT_BEHIND_AREAS = N_("'Left behind' areas")
OTHER_DEPRIVED_AREAS = N_("Other deprived areas")
OTHER_DEPRIVED = N_("Other deprived")


def _x(pct: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * max(0.0, min(100.0, pct)) / 100.0


def _description(result: dict, nation: str) -> str:
    """The chart in words: one sentence on the scale, then one whole sentence per dimension."""
    sentences = [
        _(
            "Position on a scale from 0 to 100, where 100 is the most disadvantaged in {nation}."
        ).format(nation=nation)
    ]
    for dim in result["dimensions"]:
        area = dim.get("need_percentile")
        comps = dim.get("comparator_need_percentiles") or {}
        if area is None:
            sentences.append(_("{dimension}: no data yet.").format(dimension=_(dim["label"])))
            continue
        sentences.append(
            _(
                "{dimension}: {area} for this area, {left_behind} for 'left behind' areas, "
                "{other_deprived} for other deprived areas."
            ).format(
                dimension=_(dim["label"]),
                area=format_number(area),
                left_behind=format_number(comps.get("left_behind") or 0),
                other_deprived=format_number(comps.get("other_deprived") or 0),
            )
        )
    return " ".join(sentences)


def profile_svg(result: dict) -> str:
    """The chart for a profile dict (see :func:`leftbehind.profiles.profile.profile`)."""
    dims = result["dimensions"]
    height = TOP + ROW * len(dims) + 40
    title = _("How {name} compares on nine dimensions").format(name=result["name"])
    nation = _(result.get("nation") or "England")
    least = _("0 = least need in {nation}").format(nation=nation)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="chart-title chart-desc" '
        'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(_description(result, nation))}</desc>',
        f'<text x="8" y="20" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="{LEFT}" y="42" fill="#444">{escape(least)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="42" fill="#444" text-anchor="end">'
        f"{escape(_('100 = most need'))}</text>",
    ]
    no_data = escape(_("no data yet"))
    for i, dim in enumerate(dims):
        y = TOP + ROW * i + ROW / 2
        out.append(f'<text x="8" y="{y + 4:.1f}">{escape(_(dim["label"]))}</text>')
        out.append(
            f'<line x1="{_x(0):.1f}" y1="{y:.1f}" x2="{_x(100):.1f}" y2="{y:.1f}" stroke="#ccc"/>'
        )
        out.append(
            f'<line x1="{_x(50):.1f}" y1="{y - 8:.1f}" x2="{_x(50):.1f}" '
            f'y2="{y + 8:.1f}" stroke="#ccc"/>'
        )
        area = dim.get("need_percentile")
        comps = dim.get("comparator_need_percentiles") or {}
        if area is None:
            out.append(f'<text x="{_x(0) + 6:.1f}" y="{y + 4:.1f}" fill="#666">{no_data}</text>')
            continue
        lb, od = comps.get("left_behind"), comps.get("other_deprived")
        if od is not None:
            x = _x(od)
            out.append(
                f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
                f'fill="{COLOURS["other_deprived"]}">'
                f"<title>{escape(_(OTHER_DEPRIVED_AREAS))}: {format_number(od)}</title></rect>"
            )
        if lb is not None:
            x = _x(lb)
            out.append(
                f'<path d="M{x:.1f} {y - 7:.1f} L{x + 7:.1f} {y:.1f} L{x:.1f} {y + 7:.1f} '
                f'L{x - 7:.1f} {y:.1f} Z" fill="{COLOURS["left_behind"]}">'
                f"<title>{escape(_(LEFT_BEHIND_AREAS))}: {format_number(lb)}</title></path>"
            )
        out.append(
            f'<circle cx="{_x(area):.1f}" cy="{y:.1f}" r="6" '
            f'fill="{COLOURS["area"]}" stroke="#fff">'
            f"<title>{escape(result['name'])}: {format_number(area)}</title></circle>"
        )
    ly = TOP + ROW * len(dims) + 20
    out += [
        f'<circle cx="{LEFT + 6}" cy="{ly}" r="6" fill="{COLOURS["area"]}"/>',
        f'<text x="{LEFT + 16}" y="{ly + 4}">{escape(result["name"])}</text>',
        f'<path d="M{LEFT + 176} {ly - 7} L{LEFT + 183} {ly} '
        f'L{LEFT + 176} {ly + 7} L{LEFT + 169} {ly} Z" '
        f'fill="{COLOURS["left_behind"]}"/>',
        f'<text x="{LEFT + 190}" y="{ly + 4}">{escape(_(LEFT_BEHIND_AREAS))}</text>',
        f'<rect x="{LEFT + 310}" y="{ly - 5}" width="10" height="10" '
        f'fill="{COLOURS["other_deprived"]}"/>',
        f'<text x="{LEFT + 326}" y="{ly + 4}">{escape(_(OTHER_DEPRIVED))}</text>',
        "</svg>",
    ]
    return "\n".join(out)
