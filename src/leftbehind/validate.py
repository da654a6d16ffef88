"""Validation shown to users: how closely our engine reproduces the official statistics and the
published 'left behind' lists, and why it differs where it does.

* Identification: agreement with the source's published flag (found, missed, extra) and, for
  every disagreement, the area's CNI and IMD ranks against the thresholds.
* England: reconstruction of the official LSOA IMD ranks (2019) and scores (2025) from the
  published domain ranks, and of the official local-authority summaries (``imd2019_england_ltla19``,
  ``imd2025_england_ltla24``).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from leftbehind.editions import EDITIONS, ENGLAND_2019_WARD, Edition
from leftbehind.identify import _resolve, identify
from leftbehind.indices.aggregate import aggregate
from leftbehind.indices.imd import imd_from_store
from leftbehind.indices.transform import decile_of_rank, rank_descending

# Official proportions are published to 4 decimal places, rounded half up: ours is identical
# when it lies within half a unit of the last place.
HALF_UNIT = 0.5e-4


def _imd_label(ed: Edition) -> str:
    if ed.imd_method == "most_deprived_small_area":
        return "most deprived small-area IMD rank"
    return "IMD rank"


def disagreement_reasons(row: pd.Series, cni_cut: int, imd_cut: int, imd_label: str) -> list[str]:
    """Why our flag differs from the published one, as short phrases.

    >>> row = pd.Series({"cni_rank": 149, "imd_rank": 787, "left_behind": False})
    >>> disagreement_reasons(row, 743, 743, "IMD rank")
    ['IMD rank 787, threshold 743']
    """
    cni, imd = row["cni_rank"], row["imd_rank"]
    cni_txt = "CNI rank missing" if pd.isna(cni) else f"CNI rank {int(cni)}, threshold {cni_cut}"
    imd_txt = (
        f"{imd_label} missing" if pd.isna(imd) else f"{imd_label} {int(imd)}, threshold {imd_cut}"
    )
    if row["left_behind"]:
        return [f"within both thresholds ({cni_txt}; {imd_txt}) but not in the published list"]
    reasons = []
    if pd.isna(cni) or cni > cni_cut:
        reasons.append(cni_txt)
    if pd.isna(imd) or imd > imd_cut:
        reasons.append(imd_txt)
    return reasons


def _ranked(values: pd.Series, descending: bool) -> pd.Series:
    """Ranks 1..n (1 = most deprived), ties broken by code as in :func:`identify`."""
    values = values.dropna().sort_index(kind="stable")
    order = values.to_numpy() if descending else -values.to_numpy()
    return pd.Series(rank_descending(order), index=values.index)


def method_choice_ranks(con: duckdb.DuckDBPyConnection, ed: Edition) -> dict[str, pd.Series]:
    """IMD ranks of every area (by code) under the other defensible method choices of an
    edition that averages small-area scores: each alternative population
    (``Edition.alternative_small_sql``) and the population-weighted average of the small
    areas' *ranks* instead of their scores. Empty for other methods."""
    if ed.imd_method != "population_weighted_score" or not (ed.imd_index and ed.small_sql):
        return {}
    lsoa = imd_from_store(con, ed.imd_index)[["code", "score", "rank"]]
    out: dict[str, pd.Series] = {}

    def weighted(sql: str, column: str) -> pd.Series:
        small = _df(con, sql).merge(lsoa, left_on="small", right_on="code", suffixes=("", "_s"))
        small["w"] = small[column] * small["population"]
        sums = small.groupby("code")[["w", "population"]].sum()
        return sums["w"] / sums["population"].replace(0, np.nan)

    for label, sql in ed.alternative_small_sql.items():
        out[label] = _ranked(weighted(sql, "score"), descending=True)
    out["average of the LSOAs' ranks instead of their scores"] = _ranked(
        weighted(ed.small_sql, "rank"), descending=False
    )
    return out


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _distance(rank: Any, cut: int, what: str) -> str | None:
    if rank is None or pd.isna(rank):
        return None
    rank = int(rank)
    if rank <= cut:
        return f"{what} {rank:,} is {_places(cut - rank)} inside the cut-off ({cut:,})"
    return f"{what} {rank:,} is {_places(rank - cut)} outside the cut-off ({cut:,})"


def _places(n: int) -> str:
    return f"{n:,} place" if n == 1 else f"{n:,} places"


def explain_disagreement(
    row: pd.Series, cni_cut: int, imd_cut: int, imd_label: str, choices: dict[str, pd.Series]
) -> dict[str, Any]:
    """The same depth for an extra area as for a missed one: each rank and how far it is from
    its cut-off, what each other method choice gives, and which choices (if any) bring our
    flag into line with the published list.

    >>> row = pd.Series({"code": "W1", "cni_rank": 740, "imd_rank": 456, "left_behind": True})
    >>> alt = {"mid-2019 populations": pd.Series({"W1": 460})}
    >>> e = explain_disagreement(row, 743, 743, "IMD rank", alt)
    >>> e["distances"][0]
    'CNI rank 740 is 3 places inside the cut-off (743)'
    >>> e["distances"][1]
    'IMD rank 456 is 287 places inside the cut-off (743)'
    >>> e["method_choices"][0]["imd_rank"], e["method_choices"][0]["agrees_with_published"]
    (460, False)
    >>> e["moved_by"]
    []
    """
    distances = [
        d
        for d in (
            _distance(row["cni_rank"], cni_cut, "CNI rank"),
            _distance(row["imd_rank"], imd_cut, imd_label),
        )
        if d
    ]
    cni_in = not pd.isna(row["cni_rank"]) and int(row["cni_rank"]) <= cni_cut
    published = not bool(row["left_behind"])  # a disagreement: the published flag is the other
    entries = []
    for label, ranks in choices.items():
        rank = ranks.get(row["code"])
        if rank is None or pd.isna(rank):
            entries.append({"choice": label, "imd_rank": None, "left_behind": None,
                            "agrees_with_published": None})  # fmt: skip
            continue
        flag = cni_in and int(rank) <= imd_cut
        entries.append(
            {
                "choice": label,
                "imd_rank": int(rank),
                "left_behind": flag,
                "agrees_with_published": flag == published,
            }
        )
    moved_by = [e["choice"] for e in entries if e["agrees_with_published"]]
    sentences = [f"{_capital(d)}." for d in distances]
    for e in entries:
        if e["imd_rank"] is None:
            continue
        side = "inside" if e["imd_rank"] <= imd_cut else "outside"
        effect = (
            "which would match the published list"
            if e["agrees_with_published"]
            else "which would not change our flag"
        )
        sentences.append(f"With the {e['choice']}: IMD rank {e['imd_rank']:,} ({side}), {effect}.")
    if choices and not moved_by:
        sentences.append(
            "No method choice we tried moves it across a cut-off; the published list differs "
            "for a reason that is not published (such as OCSI's own ward apportionment)."
        )
    return {
        "distances": distances,
        "method_choices": entries,
        "moved_by": moved_by,
        "explanation": " ".join(sentences),
    }


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def validate_identification(
    con: duckdb.DuckDBPyConnection,
    edition: str | Edition,
    cni_threshold: float = 0.1,
    imd_threshold: float = 0.1,
) -> dict[str, Any]:
    """Agreement of :func:`identify` with the published flags, with reasons per disagreement.

    An edition without a published list (``published_count`` None) has nothing to agree with:
    ``has_published_list`` is False, ``published``, ``found``, ``missed``, ``extra`` and
    ``exact`` are None, and ``note`` says so."""
    ed = _resolve(edition)
    df = identify(con, ed, cni_threshold, imd_threshold)
    a = df.attrs
    common = {
        "edition": ed.id,
        "title": ed.title,
        "imd_method": ed.imd_method,
        "imd_rank_meaning": ed.imd_rank_meaning,
        "cni_threshold": a["cni_threshold"],
        "imd_threshold": a["imd_threshold"],
        "n_cni": a["n_cni"],
        "n_imd": a["n_imd"],
        "cni_cut": a["cni_cut"],
        "imd_cut": a["imd_cut"],
        "has_published_list": ed.has_published_list,
    }
    if not ed.has_published_list:
        return {
            **common,
            "published": None,
            "ours": int(df["left_behind"].sum()),
            "found": None,
            "missed": None,
            "extra": None,
            "exact": None,
            "disagreements": [],
            "note": f"There is no published list of 'left behind' areas for {ed.title} "
            f"({ed.id}) to validate against: the list here is ours alone.",
        }
    ours, pub = df["left_behind"], df["published_left_behind"]
    label = _imd_label(ed)
    rows = []
    differ = df[ours != pub]
    choices = method_choice_ranks(con, ed) if len(differ) else {}
    for _, row in differ.iterrows():
        rows.append(
            {
                "code": row["code"],
                "name": row["name"],
                "status": "extra" if row["left_behind"] else "missed",
                "cni_rank": None if pd.isna(row["cni_rank"]) else int(row["cni_rank"]),
                "imd_rank": None if pd.isna(row["imd_rank"]) else int(row["imd_rank"]),
                "imd_score": None if pd.isna(row["imd_score"]) else float(row["imd_score"]),
                "local_authority": row["local_authority"],
                "reasons": disagreement_reasons(row, a["cni_cut"], a["imd_cut"], label),
                **explain_disagreement(row, a["cni_cut"], a["imd_cut"], label, choices),
            }
        )
    rows.sort(key=lambda r: (r["status"], r["code"]))
    return {
        **common,
        "published": int(pub.sum()),
        "ours": int(ours.sum()),
        "found": int((ours & pub).sum()),
        "missed": int((~ours & pub).sum()),
        "extra": int((ours & ~pub).sum()),
        "exact": bool((ours == pub).all()),
        "disagreements": rows,
    }


def validate_imd(con: duckdb.DuckDBPyConnection, index: str) -> dict[str, Any]:
    """Compare our IMD (from domain ranks) with the official LSOA ranks and scores."""
    df = imd_from_store(con, index)
    out: dict[str, Any] = {"index": index, "n": len(df)}
    if "published_rank" in df:
        diff = (df["rank"] - df["published_rank"].astype("float64")).abs()
        out.update(
            ranks_equal=int((diff == 0).sum()),
            ranks_equal_share=float((diff == 0).mean()),
            max_rank_difference=int(diff.max()),
            rank_difference_counts={
                str(int(k)): int(v) for k, v in diff.value_counts().sort_index().items()
            },
            deciles_equal_share=float(
                (
                    decile_of_rank(df["published_rank"].astype("float64"), len(df)) == df["decile"]
                ).mean()
            ),
        )
    if "published_score" in df:
        s, p = df["score"].to_numpy(), df["published_score"].to_numpy(dtype=np.float64)
        out.update(
            score_correlation=float(np.corrcoef(s, p)[0, 1]),
            max_score_difference=float(np.abs(s - p).max()),
        )
    return out


def _same_to_4dp(ours: pd.Series, official: pd.Series) -> pd.Series:
    """Ours rounds to the official value published to 4 decimal places."""
    return (ours - official).abs() <= HALF_UNIT + 1e-9


def _rel(a: pd.Series, b: pd.Series) -> pd.Series:
    return ((a - b) / b).abs()


def validate_ltla19(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Our IMD 2019 LTLA summaries (mid-2017 populations) against ``imd2019_england_ltla19``."""
    ours = aggregate(con, "imd-2019", "ltla19").set_index("code")
    off = con.execute(
        "SELECT ltla19_code AS code, score, proportion, extent FROM imd2019_england_ltla19"
    ).df()
    off["code"] = off["code"].astype("str")
    j = ours.join(off.set_index("code").add_suffix("_official"), how="inner")
    prop_same = _same_to_4dp(j["proportion"], j["proportion_official"])
    ext = (j["extent"] - j["extent_official"]).abs()
    return {
        "geography": "ltla19",
        "n": len(j),
        "population": "ONS mid-2017 (official: mid-2015)",
        "proportion_identical_share": float(prop_same.mean()),
        "average_score_median_relative_error": float(
            _rel(j["average_score"], j["score_official"]).median()
        ),
        "average_score_max_relative_error": float(
            _rel(j["average_score"], j["score_official"]).max()
        ),
        "extent_median_absolute_error": float(ext.median()),
        "extent_max_absolute_error": float(ext.max()),
    }


def validate_ltla24(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Our IMD 2025 LTLA summaries (Census 2021 residents) against ``imd2025_england_ltla24``."""
    ours = aggregate(con, "imd-2025", "ltla24").set_index("code")
    off = con.execute(
        """SELECT ltla24_code AS code, imd_average_score AS score, imd_average_rank AS rank,
        imd_proportion_of_lso_as_in_most_deprived_10_percent_nationally AS prop,
        imd25_extent AS ext, imd25_local_concentration AS lc FROM imd2025_england_ltla24"""
    ).df()
    off["code"] = off["code"].astype("str")
    j = ours.join(off.set_index("code"), how="inner")
    n = int(con.execute("SELECT count(*) FROM imd2025_england_lsoa21").fetchone()[0])
    # The 2025 local-authority file ranks LSOAs the other way round (1 = least deprived) in
    # its average rank and local concentration; convert to 1 = most deprived.
    j["rank"] = n + 1 - j["rank"]
    j["lc"] = n + 1 - j["lc"]
    prop_same = _same_to_4dp(j["proportion"], j["prop"])
    return {
        "geography": "ltla24",
        "n": len(j),
        "population": "Census 2021 usual residents (official: mid-2022 estimates)",
        "proportion_identical_share": float(prop_same.mean()),
        "average_score_median_relative_error": float(_rel(j["average_score"], j["score"]).median()),
        "average_rank_median_relative_error": float(_rel(j["average_rank"], j["rank"]).median()),
        "extent_median_absolute_error": float((j["extent"] - j["ext"]).abs().median()),
        "local_concentration_median_relative_error": float(
            _rel(j["local_concentration"], j["lc"]).median()
        ),
    }


#: Local-authority checks by geography (``Edition.validation.local_authorities``).
LOCAL_AUTHORITY_CHECKS = {"ltla19": validate_ltla19, "ltla24": validate_ltla24}

#: Editions whose IMD our engine recomputes (``Edition.validation`` declared):
#: (engine index, local-authority check).
ENGINE_CHECKS = {
    e.id: (e.validation.imd_index, LOCAL_AUTHORITY_CHECKS[e.validation.local_authorities])
    for e in EDITIONS.values()
    if e.validation is not None
}


def validate(
    con: duckdb.DuckDBPyConnection,
    edition: str | Edition,
    cni_threshold: float = 0.1,
    imd_threshold: float = 0.1,
) -> dict[str, Any]:
    """Full validation report for an edition: identification (or, for an edition without a
    published list, a note saying there is none) plus, where the edition declares
    ``validation`` (England), the engine checks."""
    ed = _resolve(edition)
    report: dict[str, Any] = {
        "identification": validate_identification(con, ed, cni_threshold, imd_threshold)
    }
    if not ed.has_published_list:
        report["note"] = report["identification"]["note"]
    if ed.validation is not None:
        index = ed.validation.imd_index
        local_authorities = LOCAL_AUTHORITY_CHECKS[ed.validation.local_authorities]
        report["imd"] = validate_imd(con, index)
        report["local_authorities"] = local_authorities(con)
    return report


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def render_validation(report: dict[str, Any]) -> str:
    """Plain-text (Markdown) rendering of :func:`validate`."""
    ident = report["identification"]
    lines = [
        f"### {ident['title']} (`{ident['edition']}`)",
        "",
        f"Thresholds: CNI rank <= {ident['cni_cut']} of {ident['n_cni']} "
        f"({ident['cni_threshold']:g}); {ident['imd_rank_meaning']} <= {ident['imd_cut']} "
        f"of {ident['n_imd']} ({ident['imd_threshold']:g}).",
        "",
        f"Published: {ident['published']}; ours: {ident['ours']}; found {ident['found']}, "
        f"missed {ident['missed']}, extra {ident['extra']}"
        + (" (exact match)." if ident["exact"] else ".")
        if ident.get("has_published_list", True)
        else f"No published list to validate against; ours: {ident['ours']}.",
    ]
    if ident["disagreements"]:
        lines += [
            "",
            "| code | name | status | CNI rank | IMD rank | reason |",
            "|---|---|---|---|---|---|",
        ]
        for d in ident["disagreements"]:
            lines.append(
                f"| {d['code']} | {d['name']} | {d['status']} | {d['cni_rank']} | "
                f"{d['imd_rank']} | {'; '.join(d['reasons'])}. {d.get('explanation', '')} |"
            )
    imd = report.get("imd")
    if imd:
        lines += ["", f"IMD reconstruction ({imd['index']}, {imd['n']} LSOAs):"]
        if "ranks_equal_share" in imd:
            lines.append(
                f"- ranks equal to the official rank: {imd['ranks_equal']} "
                f"({_pct(imd['ranks_equal_share'])}); largest difference "
                f"{imd['max_rank_difference']} places; deciles equal "
                f"{_pct(imd['deciles_equal_share'])}"
            )
        if "score_correlation" in imd:
            lines.append(
                f"- score correlation with the official score: {imd['score_correlation']:.10f}; "
                f"largest difference {imd['max_score_difference']:.5f}"
            )
    la = report.get("local_authorities")
    if la:
        lines += [
            "",
            f"Local-authority summaries ({la['geography']}, {la['n']} areas; "
            f"population weights {la['population']}):",
            f"- proportion in the most deprived 10% identical: "
            f"{_pct(la['proportion_identical_share'])}",
            f"- average score, median relative error: "
            f"{_pct(la['average_score_median_relative_error'])}",
        ]
        if "extent_median_absolute_error" in la:
            lines.append(
                f"- extent, median absolute error: {la['extent_median_absolute_error']:.5f}"
            )
        if "average_rank_median_relative_error" in la:
            lines.append(
                f"- average rank, median relative error: "
                f"{_pct(la['average_rank_median_relative_error'])}"
            )
        if "local_concentration_median_relative_error" in la:
            lines.append(
                f"- local concentration, median relative error: "
                f"{_pct(la['local_concentration_median_relative_error'])}"
            )
    return "\n".join(lines) + "\n"


def report_all(con: duckdb.DuckDBPyConnection) -> str:
    """Validation of every edition plus the 2019 headline figures, as Markdown (the generated
    part of ``docs/methods.md``)."""
    from leftbehind.identify import summary

    parts = [render_validation(validate(con, e)) for e in EDITIONS]
    s = summary(con, ENGLAND_2019_WARD.id)
    h = s["headline"]
    region = {r["region"]: r["left_behind"] for r in s["by_region"]}
    north = region.get("North West", 0) + region.get("North East", 0)
    south = region.get("London", 0) + region.get("South West", 0)
    parts.append(
        "### Headline figures, `england-2019-ward` (`leftbehind summary`)\n\n"
        "| figure | OCSI (2019) | ours |\n|---|---|---|\n"
        f"| left-behind wards | 225 | {h['left_behind']} |\n"
        f"| people | 2,396,610 (4.3%) | {h['left_behind_population']:,} "
        f"({h['left_behind_population_share']:.1f}%) |\n"
        f"| North West + North East | 110 | {north} |\n"
        f"| London + South West | 5 | {south} |\n\n"
        "Our population uses mid-2017 LSOA estimates summed over best-fit LSOAs, so it differs "
        "from OCSI's ward population by about 1.5%.\n"
    )
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    from leftbehind.store.connection import connect

    _con = connect()
    print(report_all(_con), end="")
    _con.close()
