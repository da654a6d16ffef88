"""The report's comparison: 'left behind' areas vs other deprived areas vs England.

``compare(con, edition)`` gives every indicator's population-weighted value for the three
groups, and ``checks`` says, dimension by dimension, whether the data agrees with what the
report found (e.g. 'left behind' areas fare worse than other deprived areas on social fabric
and connectivity).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

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
                "source": ind["source"],
            }
        )
    return pd.DataFrame(rows)


def report_checks(table: pd.DataFrame, grants_available: bool = False) -> list[dict]:
    """Per dimension: what the report found, and whether this data agrees."""
    checks = []
    for dim in framework.DIMENSIONS:
        against, finding = REPORT_FINDINGS[dim.id]
        sub = table[table["dimension"] == dim.id]
        column = "vs_other_deprived" if against == "other_deprived" else "vs_nation"
        verdicts = [v for v in sub[column] if v != "no data"]
        worse = [r["label"] for _, r in sub.iterrows() if r[column] == "worse"]
        not_worse = [r["label"] for _, r in sub.iterrows() if r[column] in ("better", "same")]
        if not verdicts:
            status = "no data"
        elif not not_worse:
            status = "agrees"
        elif worse:
            status = "partly agrees"
        else:
            status = "disagrees"
        against_words = "other deprived areas" if against == "other_deprived" else "England"
        if status == "no data":
            detail = "No data yet to test this" + (
                "." if grants_available else " (import 360Giving grants to fill it)."
            )
        elif status == "agrees":
            count = {1: "its one indicator", 2: "both indicators"}.get(
                len(worse), f"all {len(worse)} indicators"
            )
            detail = f"'Left behind' areas fare worse than {against_words} on {count}."
        else:
            detail = (
                f"'Left behind' areas fare worse than {against_words} on {len(worse)} of "
                f"{len(verdicts)} indicators; not on: {'; '.join(not_worse)}."
            )
        checks.append(
            {
                "dimension": dim.id,
                "label": dim.label,
                "report_finding": f"'Left behind' areas have {finding}.",
                "compared_with": against,
                "status": status,
                "detail": detail,
            }
        )
    return checks


def compare(con: duckdb.DuckDBPyConnection, edition: str) -> dict:
    """The full comparison: groups (areas, population), indicators and checks."""
    data = values.edition_data(con, edition)
    table = compare_table(con, edition)
    groups = {
        name: {
            "areas": data.group_areas.get(name, 0),
            "population": round(data.comparator_population[name]),
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
    return {
        "edition": edition,
        "groups": groups,
        "indicators": indicators,
        "checks": report_checks(table, grants_available=grants is not None),
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
    lines = [
        f"# 'Left behind' vs other deprived areas vs England ({result['edition']})",
        "",
        " ".join(
            f"{label}: {g[key]['areas']:,} areas, {g[key]['population']:,} people."
            for key, label in (
                ("left_behind", "'Left behind'"),
                ("other_deprived", "Other deprived"),
                ("nation", "England"),
            )
        )
        + " "
        "Values are population-weighted; rates are summed counts over summed populations.",
        "",
        "| dimension | indicator | 'left behind' | other deprived | England "
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
        lines.append(
            f"- **{c['label']}** ({c['status']}): the report finds "
            f"{c['report_finding'][0].lower()}{c['report_finding'][1:]} {c['detail']}"
        )
    return "\n".join(lines) + "\n"
