"""Identify 'left behind' areas: in the most deprived share on both the Community Needs Index
and the Index of Multiple Deprivation.

OCSI for Local Trust (2019), *Left behind? Understanding communities on the edge*, p. 9:
"we define 'left behind' areas as those that are in the most deprived 10% of wards on both the
Community Needs Index and the Index of Multiple Deprivation". Thresholds are parameters in
(0, 1]: an area is left behind when ``cni_rank <= floor(cni_threshold * N_cni)`` and
``imd_rank <= floor(imd_threshold * N_imd)`` (ranks 1 = most deprived).

Comparator groups (used by profiles, robustness, funding and the web app):

* ``left_behind``: meets both thresholds;
* ``other_deprived``: meets the IMD threshold (by default the most deprived IMD decile) but not
  the CNI one: equally deprived, but with more social infrastructure;
* ``rest``: every other area; and the whole nation (all areas).
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from leftbehind.editions import EDITIONS, Edition, get_edition
from leftbehind.errors import InvalidInput
from leftbehind.groups import COMPARATORS, GROUPS  # noqa: F401 (re-exported)
from leftbehind.indices.imd import imd_from_store
from leftbehind.indices.transform import rank_descending

OUTPUT_COLUMNS = [
    "code",
    "name",
    "left_behind",
    "published_left_behind",
    "group",
    "cni_rank",
    "imd_rank",
    "imd_score",
    "population",
    "local_authority_code",
    "local_authority",
    "region_code",
    "region",
    "rural_urban",
]


def check_threshold(name: str, value: float) -> float:
    """A threshold must be a share in (0, 1]; anything else is :class:`InvalidInput`."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number in (0, 1], got {value!r}") from None
    if not (math.isfinite(share) and 0.0 < share <= 1.0):
        raise InvalidInput(f"{name} must be in (0, 1] (e.g. 0.1 for 10%), got {value!r}")
    return share


def threshold_rank(share, n: int):
    """Largest rank inside the most deprived ``share`` of ``n`` areas: ``floor(share * n)``
    (an int for one share, an int64 array for an array of shares, as robustness draws use).

    >>> threshold_rank(0.1, 7433), threshold_rank(0.1, 890), threshold_rank(1.0, 5)
    (743, 89, 5)
    """
    cut = np.floor(np.asarray(share, dtype=np.float64) * n + 1e-9).astype(np.int64)
    return int(cut) if cut.ndim == 0 else cut


def _resolve(edition: str | Edition) -> Edition:
    return edition if isinstance(edition, Edition) else get_edition(edition)


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    df = con.execute(sql).df()
    for col in ("code", "small"):
        if col in df.columns:
            df[col] = df[col].astype("str")
    return df


def edition_frame(
    con: duckdb.DuckDBPyConnection, edition: str | Edition
) -> tuple[pd.DataFrame, int, int]:
    """Every area of the edition with its CNI and IMD ranks, before any threshold.

    Returns ``(frame, n_cni, n_imd)``: the frame has ``code, name, cni_rank,
    published_left_behind, imd_rank, imd_score, population, local_authority_code,
    local_authority, region_code, region, rural_urban``; ``n_cni`` and ``n_imd`` are the
    numbers of areas the CNI and IMD ranks run over.
    """
    ed = _resolve(edition)
    areas = _df(con, ed.areas_sql)
    n_cni = len(areas)
    population = None

    if ed.imd_method == "population_weighted_score":
        assert ed.imd_index and ed.small_sql
        lsoa = imd_from_store(con, ed.imd_index)[["code", "score"]]
        small = _df(con, ed.small_sql).merge(
            lsoa, left_on="small", right_on="code", suffixes=("", "_small")
        )
        small["ws"] = small["score"] * small["population"]
        sums = small.groupby("code")[["ws", "population"]].sum()
        imd = pd.DataFrame({"imd_score": sums["ws"] / sums["population"].replace(0, np.nan)})
        imd = imd.reindex(areas["code"])
        scored = imd["imd_score"].notna().to_numpy()
        ranks = np.full(len(imd), np.nan)
        # ties broken by code, so the result does not depend on row order
        order = np.argsort(imd.index.to_numpy(dtype=str), kind="stable")
        sub = order[scored[order]]
        ranks[sub] = rank_descending(imd["imd_score"].to_numpy()[sub])
        imd["imd_rank"] = ranks
        imd = imd.reset_index()
        population = sums["population"].rename("population").reset_index()
        n_imd = n_cni
    elif ed.imd_method == "published_rank":
        assert ed.imd_sql
        imd = _df(con, ed.imd_sql)
        n_imd = len(imd)
    else:  # most_deprived_small_area
        assert ed.small_sql and ed.small_count_sql
        small = _df(con, ed.small_sql)
        n_imd = int(con.execute(ed.small_count_sql).fetchone()[0])
        grouped = small.groupby("code")
        imd = grouped["small_rank"].min().rename("imd_rank").reset_index()
        if small["population"].notna().any():
            population = grouped["population"].sum(min_count=1).reset_index()
        if ed.imd_sql:
            imd = imd.merge(_df(con, ed.imd_sql), on="code", how="left")

    if ed.population_sql:
        population = _df(con, ed.population_sql)
    frame = areas.merge(imd, on="code", how="left")
    if "imd_score" not in frame.columns:
        frame["imd_score"] = np.nan
    if population is not None:
        frame = frame.merge(population, on="code", how="left")
    else:
        frame["population"] = np.nan
    frame = frame.merge(_df(con, ed.region_sql), on="code", how="left")
    if ed.rural_urban_sql:
        frame = frame.merge(_df(con, ed.rural_urban_sql), on="code", how="left")
    else:
        frame["rural_urban"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame = frame.drop_duplicates("code")

    frame["cni_rank"] = frame["cni_rank"].astype("Int64")
    frame["imd_rank"] = pd.to_numeric(frame["imd_rank"]).round().astype("Int64")
    frame["imd_score"] = frame["imd_score"].astype("float64")
    frame["population"] = frame["population"].astype("float64")
    frame["published_left_behind"] = frame["published_left_behind"].astype(bool)
    for col in (
        "name",
        "local_authority_code",
        "local_authority",
        "region_code",
        "region",
        "rural_urban",
    ):
        frame[col] = frame[col].astype("str")
    return frame.reset_index(drop=True), n_cni, n_imd


def identify(
    con: duckdb.DuckDBPyConnection,
    edition: str | Edition,
    cni_threshold: float = 0.1,
    imd_threshold: float = 0.1,
) -> pd.DataFrame:
    """One row per area of the edition's geography, flagged left behind or not.

    Columns: ``code, name, left_behind, published_left_behind, group, cni_rank, imd_rank,
    imd_score, population, local_authority_code, local_authority, region_code, region,
    rural_urban`` (see :data:`OUTPUT_COLUMNS`), sorted by code. ``attrs`` records the
    edition, thresholds and the rank cut-offs used.
    """
    cni_threshold = check_threshold("cni_threshold", cni_threshold)
    imd_threshold = check_threshold("imd_threshold", imd_threshold)
    ed = _resolve(edition)
    frame, n_cni, n_imd = edition_frame(con, ed)
    cni_cut = threshold_rank(cni_threshold, n_cni)
    imd_cut = threshold_rank(imd_threshold, n_imd)
    cni_ok = (frame["cni_rank"] <= cni_cut).fillna(False).astype(bool)
    imd_ok = (frame["imd_rank"] <= imd_cut).fillna(False).astype(bool)
    frame["left_behind"] = cni_ok & imd_ok
    frame["group"] = np.where(
        frame["left_behind"], "left_behind", np.where(imd_ok, "other_deprived", "rest")
    )
    frame["group"] = frame["group"].astype("str")
    out = frame[OUTPUT_COLUMNS].sort_values("code").reset_index(drop=True)
    out.attrs.update(
        edition=ed.id,
        cni_threshold=cni_threshold,
        imd_threshold=imd_threshold,
        n_cni=n_cni,
        n_imd=n_imd,
        cni_cut=cni_cut,
        imd_cut=imd_cut,
    )
    return out


def _count_pop(df: pd.DataFrame, has_pop: bool) -> dict[str, Any]:
    """Count and population (``None`` when the edition has no populations)."""
    return {
        "count": len(df),
        "population": round(float(df["population"].sum())) if has_pop else None,
    }


UNKNOWN = "Unknown"


def group_rows(frame: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Areas, left-behind and other deprived counts and populations per value of ``keys``
    (missing values are 'Unknown'), most left-behind areas first (pure)."""
    if frame.empty:
        return []
    work = frame[[*dict.fromkeys([*keys, "code", "group", "population"])]].copy()
    work["population"] = work["population"].fillna(0)
    work["is_lb"] = work["group"] == "left_behind"
    work["is_od"] = work["group"] == "other_deprived"
    work["lb_pop"] = work["population"].where(work["is_lb"], 0)
    for key in keys:
        work[key] = work[key].astype(object).where(work[key].notna(), UNKNOWN)
    grouped = (
        work.groupby(keys, dropna=False)
        .agg(
            areas=("code", "count"),
            left_behind=("is_lb", "sum"),
            other_deprived=("is_od", "sum"),
            population=("population", "sum"),
            left_behind_population=("lb_pop", "sum"),
        )
        .reset_index()
    )
    grouped["left_behind_share"] = (100 * grouped["left_behind"] / grouped["areas"]).round(1)
    grouped = grouped.sort_values(
        ["left_behind", "areas", *keys], ascending=[False, False, *([True] * len(keys))]
    )
    rows = []
    for row in grouped.to_dict(orient="records"):
        out: dict[str, Any] = {k: str(row[k]) for k in keys}
        for name in ("areas", "left_behind", "other_deprived"):
            out[name] = int(row[name])
        out["population"] = round(float(row["population"]))
        out["left_behind_population"] = round(float(row["left_behind_population"]))
        out["left_behind_share"] = float(row["left_behind_share"])
        rows.append(out)
    return rows


def summarise(frame: pd.DataFrame) -> dict[str, Any]:
    """The summary document of an :func:`identify` result (pure): the one shape that
    ``leftbehind summary --json``, ``/api/summary`` and the pages use.

    ``headline``: areas, left-behind and other deprived counts, populations, the left-behind
    share of the population in percent, local authorities (with left-behind areas), and the
    size of the published list; ``groups``: count and population of each comparator group and
    the nation; ``by_region``, ``by_rural_urban``, ``by_local_authority``: :func:`group_rows`.
    """
    lb = frame[frame["left_behind"]]
    has_pop = bool(frame["population"].notna().any())
    total = float(frame["population"].sum()) if has_pop else None
    lb_pop = float(lb["population"].sum()) if has_pop else None
    la = frame["local_authority_code"].dropna()
    groups = {g: _count_pop(frame[frame["group"] == g], has_pop) for g in GROUPS}
    groups["nation"] = _count_pop(frame, has_pop)
    headline = {
        "areas": len(frame),
        "left_behind": len(lb),
        "other_deprived": groups["other_deprived"]["count"],
        "population": round(total) if total is not None else None,
        "left_behind_population": round(lb_pop) if lb_pop is not None else None,
        "left_behind_population_share": round(100 * lb_pop / total, 1) if total else None,
        "local_authorities": int(la.nunique()),
        "local_authorities_with_left_behind": int(lb["local_authority_code"].dropna().nunique()),
        "published_left_behind": int(frame["published_left_behind"].sum()),
    }
    return {
        "edition": frame.attrs.get("edition"),
        "cni_threshold": frame.attrs.get("cni_threshold"),
        "imd_threshold": frame.attrs.get("imd_threshold"),
        "headline": headline,
        "groups": groups,
        "by_region": group_rows(frame, ["region_code", "region"]),
        "by_rural_urban": group_rows(frame, ["rural_urban"]),
        "by_local_authority": group_rows(
            frame, ["local_authority_code", "local_authority", "region"]
        ),
    }


def summary(
    con: duckdb.DuckDBPyConnection,
    edition: str | Edition,
    cni_threshold: float = 0.1,
    imd_threshold: float = 0.1,
) -> dict[str, Any]:
    """The summary document (:func:`summarise`) of the edition at these thresholds."""
    return summarise(identify(con, edition, cni_threshold, imd_threshold))


def build_identification(con: duckdb.DuckDBPyConnection) -> None:
    """Store stage: table ``identification`` = :func:`identify` for every edition at its
    default thresholds, with an ``edition`` column."""
    frames = []
    for ed in EDITIONS.values():
        df = identify(con, ed, ed.cni_threshold, ed.imd_threshold)
        df.insert(0, "edition", ed.id)
        frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    con.register("_identification_df", table)
    try:
        con.execute("CREATE OR REPLACE TABLE identification AS SELECT * FROM _identification_df")
    finally:
        con.unregister("_identification_df")


TABLE_DOCS = {
    "identification": {
        "edition": "Identification edition (see leftbehind.editions.EDITIONS)",
        "code": "Area code of the edition's geography",
        "name": "Area name",
        "left_behind": "In the most deprived share on both the CNI and the IMD (default 10%)",
        "published_left_behind": "On the list as published by OCSI ('Left Behind Area?')",
        "group": "Comparator group: left_behind, other_deprived (IMD threshold only) or rest",
        "cni_rank": "Community Needs Index rank within the edition (1 = most need)",
        "imd_rank": "IMD rank of the area within the edition (1 = most deprived)",
        "imd_score": "IMD score of the area (population-weighted average of small-area scores "
        "where aggregated)",
        "population": "Population used for weights and totals",
        "local_authority_code": "Local authority code",
        "local_authority": "Local authority name",
        "region_code": "English region code (E12), where applicable",
        "region": "Region name",
        "rural_urban": "Broad rural-urban class holding most of the area's population",
    }
}
