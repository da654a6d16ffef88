"""Derived core tables: ``areas``, ``population21_lsoa21`` and simplified ``boundaries``."""

from __future__ import annotations

import io
from importlib import resources

import duckdb
import numpy as np
import pandas as pd
import shapely

# ~15 m at England's latitude: small enough for neighbourhood maps, keeps the store compact.
SIMPLIFY_TOLERANCE_DEGREES = 0.00015

COUNTRY_BY_PREFIX = {
    "E": "E92000001",
    "W": "W92000004",
    "S": "S92000003",
    "N": "N92000002",
    "9": "N92000002",  # NI super output areas ('95AA01S1')
}

AREAS_SQL = """
CREATE TABLE areas AS
WITH raw AS (
    SELECT l.lsoa11_code AS code, l.lsoa11_name AS name, 'lsoa11' AS type,
           m.msoa11_code AS parent_code, l.ltla19_code AS ltla_code
    FROM lookup_lsoa11_ltla19 l
    LEFT JOIN lookup_lsoa11_msoa11 m USING (lsoa11_code)
    UNION ALL
    SELECT DISTINCT m.msoa11_code, m.msoa11_name, 'msoa11', NULL, NULL
    FROM lookup_lsoa11_msoa11 m WHERE m.msoa11_code LIKE 'E02%' OR m.msoa11_code LIKE 'W02%'
    UNION ALL
    SELECT ward17_code, ward17_name, 'ward17', lad19_code, lad19_code FROM cni2019_england_ward17
    UNION ALL
    SELECT lsoa21_code, lsoa21_name, 'lsoa21', ward24_code, ltla24_code
    FROM lookup_lsoa21_ward24_ltla24
    UNION ALL
    SELECT DISTINCT ward24_code, ward24_name, 'ward24', ltla24_code, ltla24_code
    FROM lookup_lsoa21_ward24_ltla24
    UNION ALL
    SELECT ward21_code, ward21_name, 'ward21', ltla21_code, ltla21_code FROM lookup_ward21_ltla21
    UNION ALL
    SELECT dz11_code, dz11_name, 'dz11', iz11_code, ltla20_code FROM lookup_dz11_iz11_ltla20
    UNION ALL
    SELECT DISTINCT iz11_code, iz11_name, 'iz11', ltla20_code, ltla20_code
    FROM lookup_dz11_iz11_ltla20
    UNION ALL
    SELECT DISTINCT ltla20_code, ltla20_name, 'ltla20', NULL, ltla20_code
    FROM lookup_dz11_iz11_ltla20
    UNION ALL
    SELECT DISTINCT soa11_code, soa11_name, 'soa11', lgd18_code, lgd18_code
    FROM lookup_sa11_soa11_lgd18
    UNION ALL
    SELECT DISTINCT lgd18_code, lgd18_name, 'lgd', NULL, lgd18_code FROM lookup_sa11_soa11_lgd18
    UNION ALL
    SELECT DISTINCT ltla19_code, ltla19_name, 'ltla19', region19_code, ltla19_code
    FROM lookup_ltla19_region19
    UNION ALL
    SELECT DISTINCT ltla19_code, ltla19_name, 'ltla19', NULL, ltla19_code
    FROM lookup_lsoa11_ltla19 WHERE ltla19_code LIKE 'W%'
    UNION ALL
    SELECT DISTINCT ltla24_code, ltla24_name, 'ltla24', region24_code, ltla24_code
    FROM lookup_ltla24_region24
    UNION ALL
    SELECT DISTINCT ltla24_code, ltla24_name, 'ltla24', NULL, ltla24_code
    FROM lookup_lsoa21_ward24_ltla24 WHERE ltla24_code LIKE 'W%'
    UNION ALL
    SELECT DISTINCT ltla21_code, ltla21_name, 'ltla21', NULL, ltla21_code FROM lookup_ward21_ltla21
    UNION ALL
    SELECT DISTINCT utla19_code, utla19_name, 'utla19', NULL, NULL FROM lookup_ltla19_utla19
    UNION ALL
    SELECT DISTINCT cauth19_code, cauth19_name, 'cauth19', NULL, NULL FROM lookup_ltla19_cauth19
    UNION ALL
    SELECT DISTINCT region19_code, region19_name, 'region', country, NULL
    FROM (SELECT *, 'E92000001' AS country FROM lookup_ltla19_region19)
    UNION ALL
    SELECT country20_code, country20_name, 'country', NULL, NULL FROM boundaries_countries20
),
dedup AS (
    SELECT code, type, any_value(name) AS name, any_value(parent_code) AS parent_code,
           any_value(ltla_code) AS ltla_code
    FROM raw WHERE code IS NOT NULL GROUP BY code, type
),
ltla_region AS (
    SELECT ltla19_code AS ltla_code, region19_code AS region_code FROM lookup_ltla19_region19
    UNION
    SELECT ltla24_code, region24_code FROM lookup_ltla24_region24
)
SELECT d.code, d.name, d.type, d.parent_code, d.ltla_code,
       CASE WHEN d.type = 'region' THEN d.code
            WHEN d.type = 'ltla19' AND d.parent_code LIKE 'E12%' THEN d.parent_code
            ELSE r.region_code END AS region_code,
       CASE WHEN d.type = 'country' THEN d.code
            WHEN left(d.code, 1) = 'E' THEN 'E92000001'
            WHEN left(d.code, 1) = 'W' THEN 'W92000004'
            WHEN left(d.code, 1) = 'S' THEN 'S92000003'
            ELSE 'N92000002' END AS country_code
FROM dedup d
LEFT JOIN (SELECT ltla_code, any_value(region_code) AS region_code
           FROM ltla_region GROUP BY ltla_code) r
  ON r.ltla_code = d.ltla_code
ORDER BY d.type, d.code
"""

# Fill the MSOA11's local authority from its LSOAs (most common LTLA19).
MSOA_LTLA_SQL = """
UPDATE areas SET ltla_code = m.ltla_code, parent_code = m.ltla_code, region_code = m.region_code
FROM (
    SELECT parent_code AS msoa, mode(ltla_code) AS ltla_code, mode(region_code) AS region_code
    FROM areas WHERE type = 'lsoa11' GROUP BY parent_code
) m
WHERE areas.type = 'msoa11' AND areas.code = m.msoa
"""

# Upper-tier authorities and combined authorities sit in the region of their districts.
UPPER_TIER_REGION_SQL = """
UPDATE areas SET parent_code = m.region_code, region_code = m.region_code
FROM (
    SELECT utla19_code AS code, 'utla19' AS type, any_value(region19_code) AS region_code
    FROM lookup_ltla19_utla19 JOIN lookup_ltla19_region19 USING (ltla19_code) GROUP BY 1
    UNION ALL
    SELECT cauth19_code, 'cauth19', any_value(region19_code)
    FROM lookup_ltla19_cauth19 JOIN lookup_ltla19_region19 USING (ltla19_code) GROUP BY 1
) m
WHERE areas.code = m.code AND areas.type = m.type
"""

# Wards whose CNI local authority is a district abolished in the 2019 reorganisation take the
# region of its successor (a fact table in this package, citing the orders).
WARD_REGION_SQL = """
UPDATE areas SET region_code = r.region19_code
FROM lookup_district_successors_2019 s
JOIN lookup_ltla19_region19 r ON r.ltla19_code = s.successor_code
WHERE areas.type = 'ward17' AND areas.region_code IS NULL AND areas.ltla_code = s.district_code
"""

POPULATION21_SQL = """
CREATE TABLE population21_lsoa21 AS
SELECT lsoa21_code, max(total_residents)::INTEGER AS residents
FROM disability21_lsoa21_ew GROUP BY lsoa21_code ORDER BY lsoa21_code
"""

BOUNDARY_SOURCES = {
    "lsoa11": "boundaries_lsoa11",
    "lsoa21": "boundaries_lsoa21",
    "msoa11": "boundaries_msoa11",
    "ward21": "boundaries_wards21",
    "ward22": "boundaries_wards22",
    "iz11": "boundaries_iz11",
    "soa11": "boundaries_soa11",
    "ltla19": "boundaries_ltla19",
    "ltla24": "boundaries_ltla24",
    "country": "boundaries_countries20",
}


def load_district_successors(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``lookup_district_successors_2019``: districts abolished on 1 April 2019 and the
    authorities that replaced them."""
    text = resources.files("leftbehind.store").joinpath("district_successors_2019.csv")
    frame = pd.read_csv(io.StringIO(text.read_text("utf-8")), dtype=str)
    con.register("incoming", frame)
    con.execute("CREATE TABLE lookup_district_successors_2019 AS SELECT * FROM incoming")
    con.unregister("incoming")


def build_areas(con: duckdb.DuckDBPyConnection) -> None:
    load_district_successors(con)
    con.execute(AREAS_SQL)
    con.execute(MSOA_LTLA_SQL)
    con.execute(UPPER_TIER_REGION_SQL)
    con.execute(WARD_REGION_SQL)
    con.execute(POPULATION21_SQL)


def dissolve(geometries: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union polygons by group (the polygons of a group tile it without overlaps)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    keys, starts = np.unique(sorted_groups, return_index=True)
    bounds = [*starts.tolist(), len(order)]
    merged = np.empty(len(keys), dtype=object)
    for i in range(len(keys)):
        members = geometries[order[bounds[i] : bounds[i + 1]]]
        if len(members) == 1:
            merged[i] = members[0]
            continue
        try:
            merged[i] = shapely.coverage_union_all(members)
        except shapely.errors.GEOSException:
            merged[i] = shapely.union_all(members)
    bad = ~shapely.is_valid(merged)
    if bad.any():
        merged[bad] = shapely.make_valid(merged[bad])
    return keys, merged


def boundaries_frame(
    frames: dict[str, pd.DataFrame], lsoa_ward: pd.DataFrame, ward_names: pd.DataFrame
) -> pd.DataFrame:
    """Simplified boundaries of every geography, with ward17 dissolved from LSOA11."""
    parts = []
    for area_type, source_id in BOUNDARY_SOURCES.items():
        frame = frames[source_id]
        code_col = next(c for c in frame.columns if c.endswith("_code"))
        name_col = next(c for c in frame.columns if c.endswith("_name"))
        geoms = shapely.from_wkb(frame["geometry"].to_numpy())
        parts.append(
            pd.DataFrame(
                {
                    "code": frame[code_col].astype(str).to_numpy(),
                    "type": area_type,
                    "name": frame[name_col].astype(str).to_numpy(),
                    "geometry": geoms,
                }
            )
        )
        if area_type == "lsoa11":
            lsoa = parts[-1]
    joined = lsoa.merge(lsoa_ward, left_on="code", right_on="lsoa11_code")
    joined = joined[joined["ward17_code"].isin(ward_names["ward17_code"])]
    keys, merged = dissolve(joined["geometry"].to_numpy(), joined["ward17_code"].to_numpy())
    names = ward_names.set_index("ward17_code")["ward17_name"]
    parts.append(
        pd.DataFrame(
            {
                "code": keys,
                "type": "ward17",
                "name": names.reindex(keys).to_numpy(),
                "geometry": merged,
            }
        )
    )
    # A few small wards are nobody's best fit for any LSOA; draw them with their 2021 boundary
    # where the code is unchanged.
    missing = set(names.index) - set(keys)
    ward21 = next(p for p in parts if p["type"].iat[0] == "ward21")
    fallback = ward21[ward21["code"].isin(missing)].assign(type="ward17")
    parts.append(fallback)
    out = pd.concat(parts, ignore_index=True)
    simplified = shapely.simplify(
        out["geometry"].to_numpy(), SIMPLIFY_TOLERANCE_DEGREES, preserve_topology=True
    )
    out["geometry"] = shapely.to_wkb(simplified)
    return out
