"""Build stage: the official asset inventory (libraries, GP practices, hospitals), placed in a
2021 LSOA and in every edition's areas through the postcode lookup already in the store.

Tables:

* ``assets(asset_id, category, name, address, postcode, source, source_ref, status, opened,
  closed, ownership, detail, lon, lat, point_method, ltla_code, ward24_code, lsoa21_code,
  country_code, placed, unplaced_reason, open_2010, open_2023)``: one row per asset of the
  official sources, whether or not it could be placed;
* ``asset_areas(asset_id, edition, area_code)``: the area of each edition an asset lies in (the
  same choice as a postcode look-up: an LSOA edition takes the postcode's 2021 LSOA; another
  edition an unchanged ward, else the best-fit area of the 2021 LSOA, else of the ward).

Libraries and GP practices are placed by postcode (August 2024 ONS postcode lookup,
``postcodes24``). The lookup has no coordinates, so their point is a point inside their 2021
LSOA (Scotland and Northern Ireland: inside their 2022 ward); ``point_method`` says which.
Hospitals come as points and are placed in the 2021 LSOA that contains them.
"""

from __future__ import annotations

import hashlib
import re
import string

import duckdb
import numpy as np
import pandas as pd
import shapely

from leftbehind.editions import EDITIONS

ASSETS_TABLE = "assets"
AREAS_TABLE = "asset_areas"
CHANGES_TABLE = "library_changes"
#: English library types counted in 'what changed' (static public libraries; mobile and prison
#: libraries and archives are in the inventory but not counted).
STATIC_LIBRARY = "lower(detail) LIKE 'static%' AND lower(detail) NOT LIKE 'static archive%'"

#: Categories of asset (extendable: community additions may use any of these).
CATEGORIES = {
    "library": "Library",
    "gp_practice": "GP practice",
    "hospital": "Hospital",
    "community_centre": "Community centre",
    "pub": "Pub",
    "green_space": "Green space",
    "place_of_worship": "Place of worship",
    "post_office": "Post office",
    "sports": "Sports facility",
    "youth": "Youth centre",
    "other": "Other",
}
#: Categories the official sources cover in full (the others rely on community additions).
OFFICIAL_CATEGORIES = ("library", "gp_practice", "hospital")
ASSET_STATUSES = ("open", "closed", "threatened")
OWNERSHIP = {
    "community": "community-owned",
    "council": "council",
    "public": "other public body",
    "private": "private",
    "unknown": "unknown",
}
UNPLACED_REASONS = {
    "no_postcode": "the source gives no postcode (mobile libraries, '[Unknown]')",
    "not_a_postcode": "the postcode is not written as a UK postcode",
    "unsupported_district": "the lookup leaves out postcode districts ending in a letter "
    "(central London)",
    "not_in_lookup": "the postcode is not in the August 2024 postcode lookup (retired or new)",
    "no_small_area": "the postcode has no local authority or small area in the lookup",
    "outside_lsoas": "the point lies outside every 2021 LSOA (offshore or on a boundary)",
}
POINT_METHODS = {
    "source": "the source's own point",
    "lsoa21": "a point inside the postcode's 2021 LSOA (the lookup has no coordinates)",
    "ward": "a point inside the postcode's ward (no small area in the lookup)",
    "local_authority": "a point inside the postcode's local authority",
}

SOURCES = {
    "libraries_england_2023": "Arts Council England public libraries 2023",
    "libraries_wales": "Welsh public libraries",
    "libraries_scotland": "Scottish public libraries",
    "libraries_northern_ireland": "Libraries NI",
    "gp_practices_epraccur_2023_02": "NHS ODS GP practices, February 2023",
    "points_hospitals22": "NHS hospitals 2022",
}

TABLE_DOCS = {
    ASSETS_TABLE: {
        "": "The official asset inventory: libraries (England 2023, Wales, Scotland, Northern "
        "Ireland), GP practices (NHS ODS, February 2023) and hospitals (2022), placed through "
        "the postcode lookup",
        "asset_id": "stable id: source prefix and the source's own code (ODS code) or a hash "
        "of authority, name and postcode",
        "category": "library, gp_practice or hospital",
        "name": "name as published",
        "address": "address lines as published",
        "postcode": "postcode as published (normalised to 'RM9 4UN')",
        "source": "source id in the registry",
        "source_ref": "the source's own reference (ODS code, UPRN) where it has one",
        "status": "open or closed (2023 for English libraries, February 2023 for GPs)",
        "opened": "year or date opened, where published",
        "closed": "year or date closed, where published",
        "ownership": "community, council, public, private or unknown",
        "detail": "type and operator as published (e.g. 'Static Library; community run')",
        "lon": "longitude (WGS84) of the point shown on maps",
        "lat": "latitude (WGS84)",
        "point_method": "source, lsoa21, ward or local_authority (see POINT_METHODS)",
        "ltla_code": "local authority (2024) of the postcode or point",
        "ward24_code": "ward (2024) of the postcode or point",
        "lsoa21_code": "2021 LSOA (England and Wales)",
        "country_code": "nation",
        "placed": "has a local authority and (England and Wales) a 2021 LSOA",
        "unplaced_reason": "why not placed (see UNPLACED_REASONS), else null",
        "open_2010": "English libraries: open in 2010 (statutory_10 Yes or No)",
        "open_2023": "English libraries: open in 2023 (operation_23 not Closed)",
    },
    CHANGES_TABLE: {
        "": "English static public libraries open in 2010 and in 2023, opened and closed in "
        "between, by group of every English edition (and the nation), per 100,000 residents",
        "edition": "identification edition",
        "group": "left_behind, other_deprived, rest or nation",
        "areas": "areas in the group",
        "population": "residents of the group's areas (the edition's population)",
        "libraries_2010": "static libraries open in 2010",
        "libraries_2023": "static libraries open in 2023",
        "opened": "open in 2023 but not in 2010",
        "closed": "open in 2010 but not in 2023",
        "per_100k_2010": "libraries_2010 per 100,000 residents",
        "per_100k_2023": "libraries_2023 per 100,000 residents",
        "closed_per_100k": "closed per 100,000 residents",
        "opened_per_100k": "opened per 100,000 residents",
        "unplaced": "libraries of the count that could not be placed in the edition (nation "
        "row only; they are in no group)",
    },
    AREAS_TABLE: {
        "": "The area of every edition each placed asset lies in",
        "asset_id": "asset",
        "edition": "identification edition",
        "area_code": "area of the edition",
    },
}

_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\d[A-Z]{2}$")
_COLUMNS = [
    "asset_id", "category", "name", "address", "postcode", "source", "source_ref", "status",
    "opened", "closed", "ownership", "detail", "open_2010", "open_2023",
]  # fmt: skip
_OPERATION = {
    "la": ("council", "run by the council"),
    "lau": ("council", "run by the council, unstaffed"),
    "c": ("council", "commissioned by the council"),
    "cr": ("council", "community run, part of the council's statutory service"),
    "icl": ("community", "independent community library"),
}


def _key(text: object) -> str:
    return re.sub(r"[\s\-._/]+", "", str(text or "")).upper()


def _words(text: object) -> str:
    """ODS names are in capitals: 'DR A MOGHAL'S PRACTICE' -> "Dr A Moghal's Practice"."""
    return string.capwords(str(text or "").strip().lower())


def _hash_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha1("|".join(str(p or "") for p in parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def _address(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    parts = frame[columns].fillna("").astype(str)
    return parts.apply(lambda r: ", ".join(p.strip() for p in r if p.strip()), axis=1)


def _dedupe(ids: pd.Series) -> pd.Series:
    """Make ids unique (a repeated name and postcode gets -2, -3 ...)."""
    n = ids.groupby(ids).cumcount()
    return ids.where(n == 0, ids + "-" + (n + 1).astype(str))


def _england_libraries(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    f = con.execute("SELECT * FROM libraries_england_2023").df()
    first = f.columns[0]  # 'reporting' (may carry the file's byte-order mark)
    op = f["operation_23"].fillna("").str.strip().str.lower()
    stat10 = f["statutory_10"].fillna("").str.strip().str.lower()
    own = op.map(lambda o: _OPERATION.get(o, ("council", None))[0])
    how = op.map(lambda o: _OPERATION.get(o, (None, None))[1])
    detail = f["type"].fillna("").str.strip()
    detail = detail.where(how.isna(), detail + "; " + how.fillna(""))
    detail = detail.where(op != "temporary closure", detail + "; temporarily closed in 2023")
    out = pd.DataFrame(
        {
            "asset_id": _dedupe(
                pd.Series(
                    [
                        _hash_id("lib-e", a, n, p)
                        for a, n, p in zip(f[first], f["name"], f["postcode"], strict=True)
                    ]
                )
            ),
            "category": "library",
            "name": f["name"].str.strip(),
            "address": _address(f, ["address1", "address2", "address3"]),
            "postcode": f["postcode"],
            "source": "libraries_england_2023",
            "source_ref": f["uprn"],
            "status": np.where(op == "closed", "closed", "open"),
            "opened": f["opened"],
            "closed": f["closed"],
            "ownership": own,
            "detail": detail,
            "open_2010": np.where(
                stat10.isin(["yes", "no"]), True, np.where(stat10 == "[unknown]", None, False)
            ),
            "open_2023": op != "closed",
        }
    )
    return out


def _other_libraries(con: duckdb.DuckDBPyConnection, source: str, prefix: str) -> pd.DataFrame:
    f = con.execute(f'SELECT * FROM "{source}"').df()
    closed = f["year_closed"] if "year_closed" in f else pd.Series([None] * len(f))
    opened = f["year_opened"] if "year_opened" in f else pd.Series([None] * len(f))
    closed = closed.where(closed.notna() & (closed.astype(str).str.strip() != ""), None)
    kind = f["type_of_library"] if "type_of_library" in f else pd.Series([""] * len(f))
    return pd.DataFrame(
        {
            "asset_id": _dedupe(
                pd.Series(
                    [
                        _hash_id(prefix, n, p)
                        for n, p in zip(f["library_name"], f["postcode"], strict=True)
                    ]
                )
            ),
            "category": "library",
            "name": f["library_name"].str.strip(),
            "address": _address(f, ["address_1", "address_2", "address_3"]),
            "postcode": f["postcode"],
            "source": source,
            "source_ref": None,
            "status": np.where(closed.notna(), "closed", "open"),
            "opened": opened,
            "closed": closed,
            "ownership": "council" if source != "libraries_northern_ireland" else "public",
            "detail": kind.fillna("").astype(str),
            "open_2010": None,
            "open_2023": None,
        }
    )


def _date(text: pd.Series) -> pd.Series:
    """ODS dates 'YYYYMMDD' -> 'YYYY-MM-DD' (anything else: None)."""
    out = [
        f"{t[:4]}-{t[4:6]}-{t[6:8]}" if re.fullmatch(r"\d{8}", t) else None
        for t in text.fillna("").astype(str).str.strip()
    ]
    return pd.Series(out, index=text.index, dtype=object)


def _gp_practices(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    f = con.execute(
        "SELECT * FROM gp_practices_epraccur_2023_02 WHERE prescribing_setting = '4' "
        "AND status_code IN ('A', 'C', 'D')"
    ).df()
    status = f["status_code"].map({"A": "open", "C": "closed", "D": "closed"})
    detail = f["status_code"].map({"A": "active", "C": "closed", "D": "dormant"})
    return pd.DataFrame(
        {
            "asset_id": "gp-" + f["organisation_code"],
            "category": "gp_practice",
            "name": f["name"].map(_words),
            "address": _address(f, [f"address_line_{i}" for i in range(1, 6)]).map(_words),
            "postcode": f["postcode"],
            "source": "gp_practices_epraccur_2023_02",
            "source_ref": f["organisation_code"],
            "status": status,
            "opened": _date(f["open_date"]),
            "closed": _date(f["close_date"]),
            "ownership": "unknown",
            "detail": "GP practice (" + detail + ")",
            "open_2010": None,
            "open_2023": None,
        }
    )


def _hospitals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    f = con.execute("SELECT * FROM points_hospitals22").df()
    out = pd.DataFrame(
        {
            "asset_id": _dedupe(
                pd.Series(
                    [
                        _hash_id("hosp", n, round(x, 5), round(y, 5))
                        for n, x, y in zip(f["hospital22_name"], f["lon"], f["lat"], strict=True)
                    ]
                )
            ),
            "category": "hospital",
            "name": f["hospital22_name"].str.strip(),
            "address": "",
            "postcode": None,
            "source": "points_hospitals22",
            "source_ref": None,
            "status": "open",
            "opened": None,
            "closed": None,
            "ownership": "public",
            "detail": "Hospital",
            "open_2010": None,
            "open_2023": None,
        }
    )
    out["lon"] = f["lon"].to_numpy(dtype=float)
    out["lat"] = f["lat"].to_numpy(dtype=float)
    return out


def _format_postcode(key: str) -> str | None:
    return f"{key[:-3]} {key[-3:]}" if key else None


def _place_by_postcode(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> pd.DataFrame:
    keys = frame["postcode"].map(_key)
    frame = frame.assign(postcode_key=keys)
    con.register("asset_keys", frame[["asset_id", "postcode_key"]])
    try:
        found = con.execute(
            """
            SELECT k.asset_id, p.ltla24_code, p.ward24_code, p.lsoa21_code,
                   p.postcode_key IS NOT NULL AS in_lookup
            FROM asset_keys k LEFT JOIN postcodes24 p ON p.postcode_key = k.postcode_key
            """
        ).df()
    finally:
        con.unregister("asset_keys")
    frame = frame.merge(found, on="asset_id", how="left")
    valid = frame["postcode_key"].map(lambda k: bool(_POSTCODE.match(k)))
    frame["postcode"] = [
        _format_postcode(k) if v else p
        for k, v, p in zip(frame["postcode_key"], valid, frame["postcode"], strict=True)
    ]
    country = frame["ltla24_code"].fillna("").str[:1]
    needs_lsoa = country.isin(["E", "W"])
    reason = pd.Series([None] * len(frame), dtype=object)
    reason[frame["ltla24_code"].isna() & frame["in_lookup"].fillna(False)] = "no_small_area"
    reason[needs_lsoa & frame["lsoa21_code"].isna()] = "no_small_area"
    not_found = ~frame["in_lookup"].fillna(False).astype(bool)
    district_letter = frame["postcode_key"].map(lambda k: len(k) > 3 and k[:-3][-1:].isalpha())
    reason[not_found] = "not_in_lookup"
    reason[not_found & district_letter] = "unsupported_district"
    reason[~valid] = "not_a_postcode"
    reason[~frame["postcode_key"].str.contains(r"\d", regex=True)] = "no_postcode"
    reason[frame["postcode_key"] == ""] = "no_postcode"
    frame["unplaced_reason"] = reason
    return frame.drop(columns=["postcode_key", "in_lookup"])


def _points(blobs: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    geoms = shapely.from_wkb(np.array([bytes(b) for b in blobs], dtype=object))
    pts = shapely.point_on_surface(geoms)
    return shapely.get_x(pts), shapely.get_y(pts)


def _boundary_points(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, tuple[float, float]]:
    frame = con.execute(sql).df()
    if frame.empty:
        return {}
    x, y = _points(frame["geometry"])
    return {c: (float(a), float(b)) for c, a, b in zip(frame["code"], x, y, strict=True)}


def _point_for(frame: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    lsoa = _boundary_points(con, "SELECT code, geometry FROM boundaries WHERE type = 'lsoa21'")
    ward = _boundary_points(
        con,
        "SELECT code, arg_min(geometry, CASE type WHEN 'ward22' THEN 0 ELSE 1 END) AS geometry "
        "FROM boundaries WHERE type IN ('ward22', 'ward21') GROUP BY code",
    )
    la = _boundary_points(con, "SELECT code, geometry FROM boundaries WHERE type = 'ltla24'")
    lon, lat, method = [], [], []
    for l21, w, lad in zip(
        frame["lsoa21_code"], frame["ward24_code"], frame["ltla24_code"], strict=True
    ):
        for table, code, name in (
            (lsoa, l21, "lsoa21"),
            (ward, w, "ward"),
            (la, lad, "local_authority"),
        ):
            if isinstance(code, str) and code in table:
                x, y = table[code]
                lon.append(round(x, 6))
                lat.append(round(y, 6))
                method.append(name)
                break
        else:
            lon.append(None)
            lat.append(None)
            method.append(None)
    return frame.assign(lon=lon, lat=lat, point_method=method)


def _place_points(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> pd.DataFrame:
    bounds = con.execute("SELECT code, geometry FROM boundaries WHERE type = 'lsoa21'").df()
    geoms = shapely.from_wkb(np.array([bytes(b) for b in bounds["geometry"]], dtype=object))
    tree = shapely.STRtree(geoms)
    points = shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    p_idx, g_idx = tree.query(points, predicate="within")
    codes = pd.Series(bounds["code"].to_numpy()[g_idx], index=p_idx)
    codes = codes[~codes.index.duplicated()]
    frame = frame.assign(lsoa21_code=codes.reindex(range(len(frame))).to_numpy())
    lk = con.execute(
        "SELECT lsoa21_code, ward24_code, ltla24_code FROM lookup_lsoa21_ward24_ltla24"
    ).df()
    frame = frame.merge(lk, on="lsoa21_code", how="left")
    frame["unplaced_reason"] = np.where(frame["lsoa21_code"].isna(), "outside_lsoas", None)
    frame["point_method"] = "source"
    return frame


def build_assets(con: duckdb.DuckDBPyConnection) -> None:
    """Stage entry point: load, place and store the official assets."""
    by_postcode = pd.concat(
        [
            _england_libraries(con),
            _other_libraries(con, "libraries_wales", "lib-w"),
            _other_libraries(con, "libraries_scotland", "lib-s"),
            _other_libraries(con, "libraries_northern_ireland", "lib-n"),
            _gp_practices(con),
        ],
        ignore_index=True,
    )
    by_postcode = _point_for(_place_by_postcode(con, by_postcode), con)
    hospitals = _place_points(con, _hospitals(con))
    frame = pd.concat([by_postcode, hospitals], ignore_index=True)
    frame = frame.rename(columns={"ltla24_code": "ltla_code"})
    frame["country_code"] = (
        frame["ltla_code"]
        .fillna("")
        .str[:1]
        .map({"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"})
    )
    frame["placed"] = frame["unplaced_reason"].isna()
    for col in ("open_2010", "open_2023"):
        frame[col] = frame[col].astype("boolean")
    columns = [
        *_COLUMNS[:12], "lon", "lat", "point_method", "ltla_code", "ward24_code",
        "lsoa21_code", "country_code", "placed", "unplaced_reason", "open_2010", "open_2023",
    ]  # fmt: skip
    con.register("incoming", frame[columns])
    con.execute(
        f"CREATE OR REPLACE TABLE {ASSETS_TABLE} AS SELECT * FROM incoming "
        "ORDER BY ltla_code, category, name"
    )
    con.unregister("incoming")
    _build_asset_areas(con)
    _build_library_changes(con)


def _build_library_changes(con: duckdb.DuckDBPyConnection) -> None:
    english = [e.id for e in EDITIONS.values() if e.country_code == "E92000001"]
    listing = ", ".join(f"'{e}'" for e in english) or "NULL"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {CHANGES_TABLE} AS
        WITH lib AS (
            SELECT asset_id, coalesce(open_2010, false) AS o10, open_2023 AS o23
            FROM {ASSETS_TABLE}
            WHERE source = 'libraries_england_2023' AND {STATIC_LIBRARY}),
        placed AS (
            SELECT x.edition, i."group", lib.*
            FROM lib JOIN {AREAS_TABLE} x USING (asset_id)
            JOIN identification i ON i.edition = x.edition AND i.code = x.area_code
            WHERE x.edition IN ({listing})),
        groups AS (
            SELECT edition, "group", count(*) AS areas, sum(population) AS population
            FROM identification WHERE edition IN ({listing}) GROUP BY ALL
            UNION ALL
            SELECT edition, 'nation', count(*), sum(population)
            FROM identification WHERE edition IN ({listing}) GROUP BY ALL),
        counted AS (
            SELECT edition, "group", count(*) FILTER (o10) AS libraries_2010,
                   count(*) FILTER (o23) AS libraries_2023,
                   count(*) FILTER (o23 AND NOT o10) AS opened,
                   count(*) FILTER (o10 AND NOT o23) AS closed
            FROM placed GROUP BY ALL
            UNION ALL
            SELECT e.edition, 'nation', count(*) FILTER (o10), count(*) FILTER (o23),
                   count(*) FILTER (o23 AND NOT o10), count(*) FILTER (o10 AND NOT o23)
            FROM lib CROSS JOIN (SELECT DISTINCT edition FROM groups) e GROUP BY ALL),
        unplaced AS (
            SELECT e.edition, count(*) FILTER (o10 OR o23) AS unplaced
            FROM lib CROSS JOIN (SELECT DISTINCT edition FROM groups) e
            WHERE NOT EXISTS (SELECT 1 FROM placed p WHERE p.asset_id = lib.asset_id
                              AND p.edition = e.edition)
            GROUP BY ALL)
        SELECT g.edition, g."group", g.areas, g.population,
               coalesce(c.libraries_2010, 0) AS libraries_2010,
               coalesce(c.libraries_2023, 0) AS libraries_2023,
               coalesce(c.opened, 0) AS opened, coalesce(c.closed, 0) AS closed,
               round(1e5 * coalesce(c.libraries_2010, 0) / g.population, 2) AS per_100k_2010,
               round(1e5 * coalesce(c.libraries_2023, 0) / g.population, 2) AS per_100k_2023,
               round(1e5 * coalesce(c.closed, 0) / g.population, 2) AS closed_per_100k,
               round(1e5 * coalesce(c.opened, 0) / g.population, 2) AS opened_per_100k,
               CASE WHEN g."group" = 'nation' THEN coalesce(u.unplaced, 0) END AS unplaced
        FROM groups g LEFT JOIN counted c USING (edition, "group")
        LEFT JOIN unplaced u USING (edition)
        ORDER BY g.edition, CASE g."group" WHEN 'left_behind' THEN 0 WHEN 'other_deprived'
                 THEN 1 WHEN 'rest' THEN 2 ELSE 3 END
        """
    )


def _build_asset_areas(con: duckdb.DuckDBPyConnection) -> None:
    lsoa_editions = [e.id for e in EDITIONS.values() if e.geography == "lsoa21"]
    listing = ", ".join(f"'{e}'" for e in lsoa_editions) or "NULL"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {AREAS_TABLE} AS
        WITH a AS (SELECT asset_id, lsoa21_code, ward24_code, country_code FROM {ASSETS_TABLE}
                   WHERE placed),
        direct AS (
            SELECT a.asset_id, i.edition, i.code AS area_code, 4.0 AS score
            FROM a JOIN identification i ON i.code = a.lsoa21_code
            WHERE i.edition IN ({listing})),
        via_lsoa AS (
            SELECT a.asset_id, c.edition, c.area_code, 2 + c.share AS score
            FROM a JOIN {"place_crosswalk"} c
              ON c.from_type = 'lsoa21' AND c.from_code = a.lsoa21_code),
        via_ward AS (
            SELECT a.asset_id, c.edition, c.area_code,
                   CASE WHEN c.method = 'exact' THEN 3 ELSE 0 END + c.share AS score
            FROM a JOIN {"place_crosswalk"} c
              ON c.from_type = 'ward' AND c.from_code = a.ward24_code),
        every AS (SELECT * FROM direct UNION ALL SELECT * FROM via_lsoa
                  UNION ALL SELECT * FROM via_ward)
        SELECT asset_id, edition, arg_max(area_code, score) AS area_code
        FROM every GROUP BY asset_id, edition ORDER BY edition, area_code, asset_id
        """
    )
