"""Build stage: crosswalks from today's geographies (postcodes' 2021 LSOAs, wards of 2022-2026)
to the areas of every edition, with how each link was found.

Tables:

* ``place_crosswalk(from_type, from_code, edition, area_code, share, method)``: the edition's
  areas a 2021 LSOA (``from_type = 'lsoa21'``) or a ward of 2016-2026 (``'ward'``) lies in,
  ``share`` of its residents (or, by area overlap, its estimated residents) in each; ``method``
  one of :data:`METHODS`. Editions whose areas are 2021 LSOAs need no LSOA rows (the postcode
  gives the LSOA itself).
* ``today_wards(code, name, name_welsh, ltla_code, ltla_name, country_code, first_year,
  current, mapped)``: every ward code used from 2022 on (ONS lookups 2022-2026 and the August
  2024 postcode lookup), searchable by name.

Routes, by the edition's geography (declared here, not per edition):

* ``lsoa21``: a ward's 2021 LSOAs are those whose best-fit ward (2024) it is, weighted by
  Census 2021 residents;
* ``ward17``: an unchanged ward code is the same ward (exact); otherwise 2021 LSOAs -> the 2011
  LSOAs they came from -> the 2011 LSOA's best-fit 2017 ward, weighted by 2019 residents;
* ``msoa11``: 2021 LSOAs -> 2011 LSOAs -> the MSOA 2011 they nest in (exact when all of a 2021
  LSOA's population is in one MSOA);
* ``iz11``, ``soa11`` (no small-area code comes with a Scottish or Northern Irish postcode): the
  ward's 2022 boundary (2021 where absent) overlapping the areas' boundaries, each overlap
  weighted by the area's residents times the share of its area inside the ward.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import shapely

from leftbehind.editions import EDITIONS

CROSSWALK_TABLE = "place_crosswalk"
WARDS_TABLE = "today_wards"
METHODS = {
    "exact": "exact",
    "best_fit_population": "best fit by population",
    "area_overlap": "by area overlap, weighted by population",
}
#: Overlaps below this share of a ward's (estimated) residents are boundary slivers.
MIN_SHARE = 0.01
FIRST_TODAY_YEAR = 2022

TABLE_DOCS = {
    CROSSWALK_TABLE: {
        "": "Today's geographies (2021 LSOAs, wards of 2016-2026) -> the areas of every edition "
        "they lie in, with the share of residents and the method (exact, best fit by "
        "population, area overlap weighted by population)",
        "from_type": "lsoa21 (a postcode's 2021 LSOA) or ward (a ward code of 2016-2026)",
        "from_code": "LSOA 2021 or ward code",
        "edition": "identification edition",
        "area_code": "area of the edition",
        "share": "share of the LSOA's or ward's residents in the area (0-1)",
        "method": "exact, best_fit_population or area_overlap",
    },
    WARDS_TABLE: {
        "": "Ward codes in use from 2022 on (ONS ward lookups 2022-2026 and the August 2024 "
        "postcode lookup), with their local authority",
        "code": "ward code",
        "name": "ward name",
        "name_welsh": "Welsh name (Wales)",
        "ltla_code": "local authority code",
        "ltla_name": "local authority name",
        "country_code": "country",
        "first_year": "first year the code appears in the ONS lookups (2016 = in use by 2016)",
        "current": "in the August 2024 postcode lookup",
        "mapped": "has rows in place_crosswalk",
    },
}

_COUNTRY = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}


def _lsoa21_rows(con: duckdb.DuckDBPyConnection, target: str) -> pd.DataFrame:
    """lsoa21 -> ward17 / msoa11 through the 2011 LSOAs, weighted by 2019 residents (an LSOA11
    split between 2021 LSOAs lends each an equal part)."""
    lookup = {
        "ward17": "SELECT lsoa11_code, ward17_code AS code FROM lookup_lsoa11_ward17",
        "msoa11": "SELECT lsoa11_code, msoa11_code AS code FROM lookup_lsoa11_msoa11",
    }[target]
    return con.execute(
        f"""
        WITH l AS (SELECT DISTINCT lsoa11_code, lsoa21_code FROM lookup_lsoa11_lsoa21_ltla22),
        n AS (SELECT lsoa11_code, count(*) AS n FROM l GROUP BY 1),
        w AS (
            SELECT l.lsoa21_code AS from_code, t.code AS area_code,
                   sum((coalesce(p.total_population, 0) + 1) / n.n) AS weight
            FROM l JOIN n USING (lsoa11_code) JOIN ({lookup}) t USING (lsoa11_code)
            LEFT JOIN population19_lsoa11 p USING (lsoa11_code)
            GROUP BY 1, 2)
        SELECT from_code, area_code, weight / sum(weight) OVER (PARTITION BY from_code) AS share
        FROM w
        """
    ).df()


def _geoms(blobs: pd.Series) -> np.ndarray:
    return shapely.from_wkb(np.array([bytes(b) for b in blobs], dtype=object))


def _overlaps(wards: pd.DataFrame, areas: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """Ward x area overlaps: weight = the area's residents x the share of its area in the ward."""
    ward_geoms = _geoms(wards["geometry"])
    area_geoms = _geoms(areas["geometry"])
    area_size = shapely.area(area_geoms)
    tree = shapely.STRtree(area_geoms)
    w_idx, a_idx = tree.query(ward_geoms, predicate="intersects")
    if len(w_idx) == 0:
        return pd.DataFrame(columns=["from_code", "area_code", "weight"])
    inter = shapely.area(shapely.intersection(ward_geoms[w_idx], area_geoms[a_idx]))
    area_codes = areas["code"].to_numpy()[a_idx]
    pop = population.reindex(area_codes).fillna(0).to_numpy(dtype=float) + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(area_size[a_idx] > 0, inter / area_size[a_idx], 0.0)
    return pd.DataFrame(
        {
            "from_code": wards["code"].to_numpy()[w_idx],
            "area_code": area_codes,
            "weight": pop * frac,
        }
    )


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Shares of each from_code's weight, slivers dropped and the rest renormalised."""
    frame = frame[frame["weight"] > 0].copy()
    frame["share"] = frame["weight"] / frame.groupby("from_code")["weight"].transform("sum")
    frame = frame[frame["share"] >= MIN_SHARE].copy()
    frame["share"] = frame["weight"] / frame.groupby("from_code")["weight"].transform("sum")
    return frame.drop(columns=["weight"])


def _ward_geometries(con: duckdb.DuckDBPyConnection, codes: list[str]) -> pd.DataFrame:
    """2022 boundaries of these wards, else their 2021 boundaries."""
    con.register("wanted_wards", pd.DataFrame({"code": codes}))
    try:
        return con.execute(
            """
            SELECT code, arg_min(geometry, CASE type WHEN 'ward22' THEN 0 ELSE 1 END) AS geometry
            FROM boundaries WHERE type IN ('ward22', 'ward21')
              AND code IN (SELECT code FROM wanted_wards)
            GROUP BY code
            """
        ).df()
    finally:
        con.unregister("wanted_wards")


def build_today_wards(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {WARDS_TABLE} AS
        WITH named AS (
            SELECT wdcd AS code, any_value(wdnm) AS name, any_value(ladcd) AS ltla_code,
                   any_value(ladnm) AS ltla_name, min(CAST(sourcefile AS INTEGER)) AS first_year
            FROM ward_codes_2016_2026 GROUP BY wdcd),
        current AS (
            SELECT code, name, name_welsh FROM postcode_names24 WHERE type = 'ward24'),
        la AS (SELECT code, name FROM postcode_names24 WHERE type = 'ltla24'),
        ward_la AS (
            SELECT ward24_code AS code, mode(ltla24_code) AS ltla_code
            FROM postcodes24 WHERE ward24_code IS NOT NULL GROUP BY 1)
        SELECT coalesce(c.code, n.code) AS code, coalesce(c.name, n.name) AS name,
               c.name_welsh, coalesce(wl.ltla_code, n.ltla_code) AS ltla_code,
               coalesce(la.name, n.ltla_name) AS ltla_name,
               CASE left(coalesce(c.code, n.code), 1)
                   WHEN 'E' THEN 'E92000001' WHEN 'W' THEN 'W92000004'
                   WHEN 'S' THEN 'S92000003' WHEN 'N' THEN 'N92000002' END AS country_code,
               n.first_year, c.code IS NOT NULL AS current
        FROM current c FULL JOIN named n ON n.code = c.code
        LEFT JOIN ward_la wl ON wl.code = coalesce(c.code, n.code)
        LEFT JOIN la ON la.code = coalesce(wl.ltla_code, n.ltla_code)
        WHERE c.code IS NOT NULL OR n.first_year >= {FIRST_TODAY_YEAR}
        ORDER BY code
        """
    )


def build_crosswalk(con: duckdb.DuckDBPyConnection) -> None:
    wards = con.execute(f"SELECT code, country_code FROM {WARDS_TABLE}").df()
    ward_lsoa = con.execute(
        """
        SELECT w.ward24_code AS from_code, w.lsoa21_code, coalesce(p.residents, 0) + 1 AS pop
        FROM lookup_lsoa21_ward24_ltla24 w
        LEFT JOIN population21_lsoa21 p USING (lsoa21_code)
        """
    ).df()
    # E/W wards without a best-fit LSOA (retired 2022-23 codes, tiny wards): boundary overlap.
    ew = wards[wards["country_code"].isin([_COUNTRY["E"], _COUNTRY["W"]])]
    missing = sorted(set(ew["code"]) - set(ward_lsoa["from_code"]))
    if missing:
        lsoa_bounds = con.execute(
            "SELECT code, geometry FROM boundaries WHERE type = 'lsoa21'"
        ).df()
        pop21 = con.execute("SELECT lsoa21_code, residents FROM population21_lsoa21").df()
        extra = _overlaps(
            _ward_geometries(con, missing),
            lsoa_bounds,
            pop21.set_index("lsoa21_code")["residents"],
        )
        extra = _normalise(extra).rename(columns={"area_code": "lsoa21_code"})
        overlap_lsoa = extra.assign(pop=extra["share"], method="area_overlap")
    else:
        overlap_lsoa = pd.DataFrame(columns=["from_code", "lsoa21_code", "pop", "method"])
    columns = [*ward_lsoa.columns, "method"]
    ward_lsoa = pd.concat(
        [ward_lsoa.assign(method="best_fit_population"), overlap_lsoa[columns]], ignore_index=True
    )
    ward_lsoa["pop"] = ward_lsoa.groupby("from_code")["pop"].transform(lambda s: s / s.sum())

    parts: list[pd.DataFrame] = []
    lsoa_routes: dict[str, pd.DataFrame] = {}
    for edition in EDITIONS.values():
        codes = set(
            r[0]
            for r in con.execute(
                "SELECT code FROM identification WHERE edition = ?", [edition.id]
            ).fetchall()
        )
        if not codes:
            continue
        geography = edition.geography
        nation_wards = wards[wards["country_code"] == edition.country_code]["code"]
        if geography == "lsoa21":
            rows = ward_lsoa.rename(columns={"lsoa21_code": "area_code", "pop": "share"})
            rows = rows[rows["area_code"].isin(codes)]
            parts.append(rows.assign(from_type="ward", edition=edition.id))
        elif geography in ("ward17", "msoa11"):
            if geography not in lsoa_routes:
                lsoa_routes[geography] = _lsoa21_rows(con, geography)
            route = lsoa_routes[geography]
            route = route[route["area_code"].isin(codes)]
            nested = geography == "msoa11"
            lsoa_rows = route.assign(
                from_type="lsoa21",
                edition=edition.id,
                method=np.where(nested & (route["share"] > 0.999), "exact", "best_fit_population"),
            )
            parts.append(lsoa_rows)
            via = ward_lsoa.merge(
                route.rename(columns={"from_code": "lsoa21_code", "share": "lsoa_share"}),
                on="lsoa21_code",
            )
            via["weight"] = via["pop"] * via["lsoa_share"]
            methods = via.groupby("from_code")["method"].agg(
                lambda m: "area_overlap" if (m == "area_overlap").any() else "best_fit_population"
            )
            agg = via.groupby(["from_code", "area_code"], as_index=False)["weight"].sum()
            agg = _normalise(agg)
            agg["method"] = agg["from_code"].map(methods)
            if geography == "ward17":  # an unchanged code is the same ward
                same = sorted(set(nation_wards) & codes)
                agg = agg[~agg["from_code"].isin(same)]
                agg = pd.concat(
                    [
                        agg,
                        pd.DataFrame(
                            {"from_code": same, "area_code": same, "share": 1.0, "method": "exact"}
                        ),
                    ],
                    ignore_index=True,
                )
            parts.append(agg.assign(from_type="ward", edition=edition.id))
        elif geography in ("iz11", "soa11"):
            bounds = con.execute(
                "SELECT code, geometry FROM boundaries WHERE type = ?", [geography]
            ).df()
            bounds = bounds[bounds["code"].isin(codes)]
            pop = (
                con.execute(
                    "SELECT code, population FROM identification WHERE edition = ?", [edition.id]
                )
                .df()
                .set_index("code")["population"]
            )
            found = _normalise(_overlaps(_ward_geometries(con, sorted(nation_wards)), bounds, pop))
            parts.append(found.assign(from_type="ward", edition=edition.id, method="area_overlap"))
    columns = ["from_type", "from_code", "edition", "area_code", "share", "method"]
    out = pd.concat([p[columns] for p in parts], ignore_index=True)
    out["share"] = out["share"].astype(float).round(4)
    con.register("incoming", out)
    con.execute(
        f"CREATE OR REPLACE TABLE {CROSSWALK_TABLE} AS SELECT * FROM incoming "
        "ORDER BY from_type, from_code, edition, share DESC"
    )
    con.unregister("incoming")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {WARDS_TABLE} AS
        SELECT w.*, w.code IN (SELECT from_code FROM {CROSSWALK_TABLE} WHERE from_type = 'ward')
               AS mapped
        FROM {WARDS_TABLE} w ORDER BY code
        """
    )


def build_places(con: duckdb.DuckDBPyConnection) -> None:
    """Stage entry point: today's wards, then the crosswalks to every edition."""
    build_today_wards(con)
    build_crosswalk(con)
