"""The report's comparison: 'left behind' areas vs other deprived areas vs the nation.

``compare(con, edition)`` gives every indicator's population-weighted value for the three
groups, and ``checks`` says, dimension by dimension, whether the data agrees with what the
report found (e.g. 'left behind' areas fare worse than other deprived areas on social fabric
and connectivity).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from leftbehind.editions import get_edition
from leftbehind.profiles import framework, values

#: What the report says per dimension: which comparator 'left behind' areas fare worse than.
REPORT_FINDINGS: dict[str, tuple[str, str]] = {
    "skills": (
        "other_deprived",
        "fewer qualifications and fewer going on to university than other deprived places",
    ),
    "poverty": ("nation", "higher rates of poverty than other areas"),
    "education": ("other_deprived", "poorer results at school than other deprived places"),
    "economy": ("nation", "more worklessness than the national average"),
    "health": ("other_deprived", "worse health, even compared with other deprived areas"),
    "disability": ("nation", "nearly twice the national rate of disability benefits"),
    "social_fabric": (
        "other_deprived",
        "fewer community spaces and less civic activity than other deprived areas",
    ),
    "connectivity": ("other_deprived", "worse connectivity than other deprived areas"),
    "funding": (
        "other_deprived",
        "less charitable grant funding per head than other deprived areas",
    ),
}


#: Figures the report states, per dimension, that this data can test: (indicator id without
#: its edition prefix, the ratio of 'left behind' to the comparator the report gives, its
#: words). "More than 10% of working age adults in 'left behind' neighbourhoods receive
#: disability benefits - nearly double the national average rate" (APPG 2023, p. 19).
REPORT_FIGURES: dict[str, tuple[str, float, str]] = {
    "disability": ("illness_disability", 2.0, "nearly double the national average rate"),
}
#: Indicators whose source is the index that defines the groups: comparing the groups on them
#: is circular (the groups differ on them by construction).
GROUPING_SOURCES = ("cni",)


def defines_grouping(source_table: str) -> bool:
    """True when an indicator comes from the Community Needs Index, which (with the IMD)
    defines the 'left behind' and other deprived groups.

    >>> defines_grouping("cni2019_england_ward17"), defines_grouping("imd2019_england_lsoa11")
    (True, False)
    """
    return str(source_table).startswith(GROUPING_SOURCES)


def _verdict(value: float, other: float, direction: str) -> str:
    if np.isnan(value) or np.isnan(other):
        return "no data"
    if np.isclose(value, other, rtol=1e-3, atol=1e-9):
        return "same"
    worse = value > other if direction == "higher_is_worse" else value < other
    return "worse" if worse else "better"


def compare_table(con: duckdb.DuckDBPyConnection, edition: str) -> pd.DataFrame:
    """One row per indicator: the three groups' values and how 'left behind' compares."""
    data = values.edition_data(con, edition)
    rows = []
    for j, (_, ind) in enumerate(data.indicators.iterrows()):
        lb = data.comparators["left_behind"][j]
        od = data.comparators["other_deprived"][j]
        nat = data.comparators["nation"][j]
        rows.append(
            {
                "dimension": ind["dimension"],
                "dimension_label": framework.dimension(ind["dimension"]).label,
                "id": ind["id"],
                "label": ind["label"],
                "unit": ind["unit"],
                "direction": ind["direction"],
                "left_behind": lb,
                "other_deprived": od,
                "nation": nat,
                "vs_other_deprived": _verdict(lb, od, ind["direction"]),
                "vs_nation": _verdict(lb, nat, ind["direction"]),
                "defines_grouping": defines_grouping(ind["source_table"]),
                "source": ind["source"],
            }
        )
    return pd.DataFrame(rows)


def _num(value: float, unit: str) -> str:
    return format_value(value, unit)


def report_checks(
    table: pd.DataFrame, grants_available: bool = False, nation: str = "England"
) -> list[dict]:
    """Per dimension: what the report found and whether this data agrees, quantitatively.

    Each check lists its indicators with the 'left behind' value, the comparator's, their
    difference and ratio; indicators from the index that defines the groups are marked
    ``defines_grouping`` and left out of the verdict (a check with only such indicators is
    ``circular``: the groups differ on it by construction). Where the report states a figure,
    ``report`` gives its value, ours and the difference. ``against_nation`` says where
    'left behind' areas fare better than the nation when the report compares them with
    other deprived areas (for example shorter road distances to services).
    """
    checks = []
    for dim in framework.DIMENSIONS:
        against, finding = REPORT_FINDINGS[dim.id]
        sub = table[table["dimension"] == dim.id]
        column = "vs_other_deprived" if against == "other_deprived" else "vs_nation"
        circular_col = (
            sub["defines_grouping"].astype(bool)
            if "defines_grouping" in sub
            else pd.Series(False, index=sub.index)
        )
        items = []
        for idx, r in sub.iterrows():
            lb, comp = r["left_behind"], r[against]
            ok = lb is not None and comp is not None and not (pd.isna(lb) or pd.isna(comp))
            items.append(
                {
                    "id": r["id"],
                    "label": r["label"],
                    "unit": r["unit"],
                    "left_behind": float(lb) if ok else None,
                    "comparator": float(comp) if ok else None,
                    "difference": float(lb - comp) if ok else None,
                    "ratio": float(lb / comp) if ok and comp else None,
                    "verdict": r[column],
                    "defines_grouping": bool(circular_col.loc[idx]),
                }
            )
        tested = [i for i in items if not i["defines_grouping"]]
        verdicts = [i for i in tested if i["verdict"] != "no data"]
        worse = [i["label"] for i in verdicts if i["verdict"] == "worse"]
        not_worse = [i["label"] for i in verdicts if i["verdict"] in ("better", "same")]
        circular = bool(items) and not tested
        against_words = "other deprived areas" if against == "other_deprived" else nation
        if circular:
            status = "circular"
        elif not verdicts:
            status = "no data"
        elif not not_worse:
            status = "agrees"
        elif worse:
            status = "partly agrees"
        else:
            status = "disagrees"
        if status == "circular":
            detail = (
                "Circular: every indicator here comes from the Community Needs Index, which "
                "defines the groups, so 'left behind' areas differ on it by construction; this "
                "data cannot test the finding."
            )
        elif status == "no data":
            detail = "No data yet to test this" + (
                "." if grants_available else " (import 360Giving grants to fill it)."
            )
        else:
            parts = "; ".join(
                f"{i['label']}: {_num(i['left_behind'], i['unit'])} vs "
                f"{_num(i['comparator'], i['unit'])}"
                for i in verdicts
            )
            if status == "agrees":
                count = {1: "its one indicator", 2: "both indicators"}.get(
                    len(worse), f"all {len(worse)} indicators"
                )
                detail = (
                    f"'Left behind' areas fare worse than {against_words} on {count} ({parts})."
                )
            else:
                detail = (
                    f"'Left behind' areas fare worse than {against_words} on {len(worse)} of "
                    f"{len(verdicts)} indicators; not on: {'; '.join(not_worse)} ({parts})."
                )
            skipped = [i["label"] for i in items if i["defines_grouping"]]
            if skipped:
                detail += (
                    f" Not counted, as circular (it defines the groups): {'; '.join(skipped)}."
                )
        check: dict = {
            "dimension": dim.id,
            "label": dim.label,
            "report_finding": f"'Left behind' areas have {finding}.",
            "compared_with": against,
            "status": status,
            "circular": circular,
            "detail": detail,
            "indicators": items,
            "report": None,
            "against_nation": None,
        }
        figure = REPORT_FIGURES.get(dim.id)
        if figure is not None:
            stem, value, words = figure
            hit = next((i for i in items if i["id"].split("_", 1)[1] == stem), None)
            if hit is not None and hit["ratio"] is not None:
                ours = hit["ratio"]
                check["report"] = {
                    "statement": words,
                    "indicator": hit["id"],
                    "measure": f"ratio of 'left behind' areas to {against_words}",
                    "report_value": value,
                    "our_value": round(ours, 3),
                    "difference": round(ours - value, 3),
                }
                check["detail"] += (
                    f" The report says {words} (a ratio of about {value:.1f}); ours is "
                    f"{ours:.2f} ({_num(hit['left_behind'], hit['unit'])} vs "
                    f"{_num(hit['comparator'], hit['unit'])}), {abs(ours - value):.2f} "
                    f"{'lower' if ours < value else 'higher'}."
                )
        if against == "other_deprived":
            better = []
            for _, r in sub.iterrows():
                if bool(r.get("defines_grouping", False)) or r["vs_nation"] != "better":
                    continue
                better.append(
                    {"id": r["id"], "label": r["label"], "left_behind": float(r["left_behind"]),
                     "nation": float(r["nation"])}
                )  # fmt: skip
            if better:
                words = "; ".join(
                    f"{b['label']}: {_num(b['left_behind'], r_unit(sub, b['id']))} vs "
                    f"{_num(b['nation'], r_unit(sub, b['id']))}"
                    for b in better
                )
                check["against_nation"] = {
                    "better_than_nation": better,
                    "sentence": (
                        f"Against {nation}, though, 'left behind' areas fare better on "
                        f"{len(better)} of {len(tested)} indicators: {words}."
                    ),
                }
        checks.append(check)
    return checks


def r_unit(sub: pd.DataFrame, indicator_id: str) -> str:
    return str(sub.loc[sub["id"] == indicator_id, "unit"].iloc[0])


def compare(con: duckdb.DuckDBPyConnection, edition: str) -> dict:
    """The full comparison: groups (areas, population), indicators and checks."""
    data = values.edition_data(con, edition)
    table = compare_table(con, edition)
    groups = {
        name: {
            "areas": data.group_areas.get(name, 0),
            "population": (
                None
                if np.isnan(data.comparator_population[name])
                else round(data.comparator_population[name])
            ),
        }
        for name in values.COMPARATORS
    }
    from leftbehind.profiles import funding_link

    grants = funding_link.grant_data(con, data)
    indicators = table.replace({np.nan: None}).to_dict("records")
    if grants is not None:
        comps = grants.comparators
        lb, od, nat = comps["left_behind"], comps["other_deprived"], comps["nation"]
        row = framework.grants_row(edition)
        indicators.append(
            {
                "dimension": "funding",
                "dimension_label": framework.dimension("funding").label,
                "id": row["id"],
                "label": row["label"],
                "unit": row["unit"],
                "direction": row["direction"],
                "left_behind": lb,
                "other_deprived": od,
                "nation": nat,
                "vs_other_deprived": _verdict(lb, od, row["direction"]),
                "vs_nation": _verdict(lb, nat, row["direction"]),
                "source": row["source"],
            }
        )
        table = pd.DataFrame(indicators)
    ed = get_edition(edition)
    headline = None
    if ed.published_count is not None:
        ours_pop = groups["left_behind"]["population"]
        headline = {
            "report": {"areas": ed.published_count, "population": ed.published_population},
            "ours": {"areas": groups["left_behind"]["areas"], "population": ours_pop},
            "difference": {
                "areas": groups["left_behind"]["areas"] - ed.published_count,
                "population": None
                if ed.published_population is None
                else ours_pop - ed.published_population,
            },
        }
    return {
        "edition": edition,
        "headline": headline,
        "groups": groups,
        "indicators": indicators,
        "nation": get_edition(edition).nation,
        "checks": report_checks(
            table, grants_available=grants is not None, nation=get_edition(edition).nation
        ),
    }


def format_value(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "no data"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "km":
        return f"{value:.2f} km"
    if unit == "gbp_per_head":
        return f"£{value:,.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def markdown(result: dict) -> str:
    """The comparison as Markdown: the table, then where the data agrees with the report."""
    g = result["groups"]
    nation = result.get("nation") or "England"
    lines = [
        f"# 'Left behind' vs other deprived areas vs {nation} ({result['edition']})",
        "",
        " ".join(
            f"{label}: {g[key]['areas']:,} areas"
            + (f", {g[key]['population']:,} people." if g[key]["population"] is not None else ".")
            for key, label in (
                ("left_behind", "'Left behind'"),
                ("other_deprived", "Other deprived"),
                ("nation", nation),
            )
        )
        + " "
        + (
            "Values are population-weighted; rates are summed counts over summed populations."
            if g["nation"]["population"] is not None
            else "No small-area population is mirrored: each small area counts once."
        ),
        "",
        f"| dimension | indicator | 'left behind' | other deprived | {nation} "
        "| 'left behind' vs other deprived |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in result["indicators"]:
        lines.append(
            f"| {r['dimension_label']} | {r['label']} "
            f"| {format_value(r['left_behind'], r['unit'])} "
            f"| {format_value(r['other_deprived'], r['unit'])} "
            f"| {format_value(r['nation'], r['unit'])} | "
            f"{r['vs_other_deprived']} |"
        )
    lines += ["", "## Does the data agree with the report?", ""]
    for c in result["checks"]:
        extra = (c.get("against_nation") or {}).get("sentence")
        lines.append(
            f"- **{c['label']}** ({c['status']}): the report finds "
            f"{c['report_finding'][0].lower()}{c['report_finding'][1:]} {c['detail']}"
            + (f" {extra}" if extra else "")
        )
    return "\n".join(lines) + "\n"
