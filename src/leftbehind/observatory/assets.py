"""The community asset map, read from the evidence store (official assets) for the CLI and the
web; community additions come from :mod:`leftbehind.community.assets` and are merged by the
caller with :func:`merge`.

Everything here is a small indexed query or reads a table of a few thousand rows, so anonymous
requests are bounded: map data is capped at :data:`MAX_FEATURES` features.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from leftbehind.assets.stage import (
    CATEGORIES,
    OFFICIAL_CATEGORIES,
    OWNERSHIP,
    POINT_METHODS,
    SOURCES,
    STATIC_LIBRARY,
    UNPLACED_REASONS,
)
from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput
from leftbehind.export import plain
from leftbehind.groups import GROUP_LABELS
from leftbehind.places.postcodes import looks_like_postcode, parse_postcode

if TYPE_CHECKING:
    from leftbehind.observatory.service import Observatory

#: Most features one map request returns.
MAX_FEATURES = 20000
#: Columns of the assets CSV (official and community assets alike).
CSV_COLUMNS = [
    "asset_id", "category", "name", "address", "postcode", "status", "opened", "closed",
    "ownership", "source", "evidence_url", "lon", "lat", "point_method", "ltla_code",
    "ward24_code", "lsoa21_code", "country_code", "area_code", "acv_decision",
    "acv_nominating_group", "acv_nomination_date", "acv_decision_date",
    "acv_protected_period_start_date", "acv_protected_period_end_date",
    "acv_notification_to_sell_date",
]  # fmt: skip
_OFFICIAL = (
    "asset_id, category, name, address, postcode, status, opened, closed, ownership, detail, "
    "source, source_ref, lon, lat, point_method, ltla_code, ward24_code, lsoa21_code, "
    "country_code"
)


def check_category(category: str | None) -> str | None:
    if category is None or category == "":
        return None
    if category not in CATEGORIES:
        raise InvalidInput(
            f"'{category}' is not an asset category; use one of {', '.join(CATEGORIES)}",
            parameter="category",
        )
    return category


def merge(official: list[dict[str, Any]], community: list[dict[str, Any]]) -> list[dict]:
    """Official and community assets in one list (community ones marked ``source: community``),
    ordered by category then name."""
    rows = [*official, *community]
    return sorted(rows, key=lambda r: (r["category"], str(r["name"]).lower()))


def feature_collection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON points, GSS codes in the properties; assets without a point are left out."""
    features = []
    for r in rows:
        if r.get("lon") is None or r.get("lat") is None:
            continue
        props = {
            k: plain(r.get(k))
            for k in (
                "asset_id", "category", "name", "status", "postcode", "ownership", "source",
                "ltla_code", "ward24_code", "lsoa21_code", "area_code", "point_method",
            )
            if r.get(k) not in (None, "")
        }  # fmt: skip
        props["category_label"] = CATEGORIES.get(r["category"], r["category"])
        if r.get("asset_of_community_value"):
            props["asset_of_community_value"] = True
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


#: Areas whose official assets, bounds and library counts are kept in memory.
MEMO_SIZE = 4096
_MISSING = object()


class AssetMap:
    """Official assets and their placement, from the observatory's store."""

    def __init__(self, observatory: Observatory) -> None:
        self.obs = observatory
        self._lock = threading.Lock()
        self._comparators: dict[str, dict[str, Any]] = {}
        self._points: OrderedDict[str, tuple[float, float]] = OrderedDict()
        #: Official facts per area (the store is read-only while serving), bounded.
        self._memo: OrderedDict[tuple, Any] = OrderedDict()

    def _remember(self, key: tuple, build: Any) -> Any:
        """``build()`` once per key (least recently used out beyond :data:`MEMO_SIZE`); callers
        get a deep copy of lists of dicts, so nothing they change reaches the cache."""
        with self._lock:
            hit = self._memo.get(key, _MISSING)
            if hit is not _MISSING:
                self._memo.move_to_end(key)
        if hit is _MISSING:
            hit = build()
            with self._lock:
                self._memo[key] = hit
                while len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
        return copy.deepcopy(hit)

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        con = self.obs.connection()
        try:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()

    # -- official assets -------------------------------------------------------------------
    def in_area(self, edition: str, code: str) -> list[dict[str, Any]]:
        """Official assets in an edition's area (open and closed)."""
        return self._remember(("in_area", edition, code), lambda: self._in_area(edition, code))

    def _in_area(self, edition: str, code: str) -> list[dict[str, Any]]:
        rows = self._rows(
            f"SELECT {_OFFICIAL} FROM assets JOIN asset_areas x USING (asset_id) "
            "WHERE x.edition = ? AND x.area_code = ? ORDER BY category, name",
            [edition, code],
        )
        return [self._describe(r) for r in rows]

    def in_local_authority(
        self, code: str, category: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        sql = f"SELECT {_OFFICIAL} FROM assets WHERE ltla_code = ?"
        params: list[Any] = [code]
        if category:
            sql += " AND category = ?"
            params.append(category)
        if status:
            sql += " AND status = ?"
            params.append(status)
        return [self._describe(r) for r in self._rows(sql + " ORDER BY category, name", params)]

    def select(
        self,
        local_authority: str | None = None,
        category: str | None = None,
        status: str | None = "open",
        limit: int = MAX_FEATURES,
    ) -> list[dict[str, Any]]:
        """Official assets for the map and the CSV, filtered (placed ones only)."""
        sql = f"SELECT {_OFFICIAL} FROM assets WHERE placed"
        params: list[Any] = []
        for column, value in (
            ("ltla_code", local_authority), ("category", category), ("status", status)
        ):  # fmt: skip
            if value:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self._rows(sql + f" ORDER BY asset_id LIMIT {int(limit) + 1}", params)
        if len(rows) > limit:
            raise InvalidInput(
                f"more than {limit:,} assets match; filter by local_authority or category",
                parameter="local_authority",
            )
        return [self._describe(r) for r in rows]

    @staticmethod
    def _describe(r: dict[str, Any]) -> dict[str, Any]:
        r = {k: plain(v) for k, v in r.items()}
        r["category_label"] = CATEGORIES.get(r["category"], r["category"])
        r["ownership_label"] = OWNERSHIP.get(r.get("ownership") or "unknown", "unknown")
        r["source_label"] = SOURCES.get(r["source"], r["source"])
        r["point_label"] = POINT_METHODS.get(r.get("point_method") or "", "")
        return r

    def count_by_local_authority(self, code: str) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT category, count(*) FILTER (status = 'open') AS open, "
            "count(*) FILTER (status <> 'open') AS closed FROM assets WHERE ltla_code = ? "
            "GROUP BY category ORDER BY category",
            [code],
        )

    # -- placement -------------------------------------------------------------------------
    def unplaced(self) -> dict[str, Any]:
        """Official assets that could not be placed, counted and listed with the reason, and
        placed ones an edition has no area for (e.g. the City of London in 2019 wards)."""
        items = self._rows(
            "SELECT asset_id, category, name, postcode, source, status, unplaced_reason "
            "FROM assets WHERE NOT placed ORDER BY source, unplaced_reason, name"
        )
        for i in items:
            i["reason"] = UNPLACED_REASONS[i["unplaced_reason"]]
        counts = self._rows(
            "SELECT source, status, unplaced_reason, count(*) AS n FROM assets WHERE NOT placed "
            "GROUP BY ALL ORDER BY ALL"
        )
        totals = self._rows(
            "SELECT source, count(*) AS assets, count(*) FILTER (placed) AS placed "
            "FROM assets GROUP BY source ORDER BY source"
        )
        gaps = []
        for e in EDITIONS.values():
            letter = e.country_code
            missing = self._rows(
                "SELECT a.asset_id, a.category, a.name, a.postcode, a.ltla_code, a.lsoa21_code "
                "FROM assets a WHERE a.placed AND a.country_code = ? AND NOT EXISTS ("
                "SELECT 1 FROM asset_areas x WHERE x.asset_id = a.asset_id AND x.edition = ?) "
                "ORDER BY a.name",
                [letter, e.id],
            )
            if missing:
                gaps.append(
                    {
                        "edition": e.id,
                        "reason": "the edition has no area there (its index leaves it out)",
                        "count": len(missing),
                        "assets": missing,
                    }
                )
        return {"totals": totals, "counts": counts, "unplaced": items, "edition_gaps": gaps}

    def _point_of(self, code: str) -> tuple[float, float] | None:
        with self._lock:
            if code in self._points:
                return self._points[code]
        rows = self._rows(
            "SELECT geometry FROM boundaries WHERE code = ? ORDER BY type LIMIT 1", [code]
        )
        if not rows:
            return None
        geom = shapely.from_wkb(np.array([bytes(rows[0]["geometry"])], dtype=object))
        pt = shapely.point_on_surface(geom)[0]
        point = (round(float(pt.x), 6), round(float(pt.y), 6))
        with self._lock:
            self._points[code] = point
            while len(self._points) > 5000:
                self._points.popitem(last=False)
        return point

    def bounds(self, code: str) -> list[float] | None:
        """[west, south, east, north] of an area's boundary (WGS84), or None."""
        return self._remember(("bounds", code), lambda: self._bounds(code))

    def _bounds(self, code: str) -> list[float] | None:
        rows = self._rows(
            "SELECT geometry FROM boundaries WHERE code = ? ORDER BY type LIMIT 1", [code]
        )
        if not rows:
            return None
        geom = shapely.from_wkb(np.array([bytes(rows[0]["geometry"])], dtype=object))
        return [round(float(v), 5) for v in shapely.bounds(geom)[0]]

    def place(self, postcode: str, area_code: str) -> dict[str, Any]:
        """Where a community asset goes: its postcode's 2021 LSOA and local authority (point
        inside the LSOA), else the area it was added for (point inside the area)."""
        if postcode and looks_like_postcode(postcode):
            key = parse_postcode(postcode).key
            rows = self._rows(
                "SELECT ltla24_code, lsoa21_code, ward24_code FROM postcodes24 "
                "WHERE postcode_key = ?",
                [key],
            )
            if rows:
                r = rows[0]
                for code, method in ((r["lsoa21_code"], "lsoa21"), (r["ward24_code"], "ward")):
                    if code and (point := self._point_of(code)) is not None:
                        return {
                            "lsoa21_code": r["lsoa21_code"] or "",
                            "ltla_code": r["ltla24_code"] or "",
                            "lon": point[0],
                            "lat": point[1],
                            "point_method": method,
                        }
        located = self.obs.locate(area_code)
        la = located[1].get("local_authority_code") if located else ""
        point = self._point_of(area_code)
        return {
            "lsoa21_code": area_code if area_code.startswith(("E01", "W01")) else "",
            "ltla_code": la or "",
            "lon": point[0] if point else None,
            "lat": point[1] if point else None,
            "point_method": "area" if point else "",
        }

    # -- what changed: libraries 2010-2023 ------------------------------------------------
    def library_changes(self, edition: str) -> list[dict[str, Any]]:
        """Libraries open in 2010 and 2023, opened and closed, per group and the nation."""
        rows = self._rows(
            'SELECT * FROM library_changes WHERE edition = ? ORDER BY CASE "group" '
            "WHEN 'left_behind' THEN 0 WHEN 'other_deprived' THEN 1 WHEN 'rest' THEN 2 ELSE 3 END",
            [edition],
        )
        for r in rows:
            r["label"] = GROUP_LABELS.get(r["group"], r["group"])
            r["population"] = int(r["population"] or 0)
            r["share_closed"] = (
                round(100 * r["closed"] / r["libraries_2010"], 1) if r["libraries_2010"] else None
            )
        return [{k: plain(v) for k, v in r.items()} for r in rows]

    def area_libraries(self, edition: str, code: str) -> dict[str, Any] | None:
        """'This area had N libraries in 2010 and has M now' (English static libraries)."""
        return self._remember(
            ("libraries", edition, code), lambda: self._area_libraries(edition, code)
        )

    def _area_libraries(self, edition: str, code: str) -> dict[str, Any] | None:
        if EDITIONS[edition].country_code != "E92000001":
            return None
        row = self._rows(
            "SELECT count(*) FILTER (coalesce(open_2010, false)) AS libraries_2010, "
            "count(*) FILTER (open_2023) AS libraries_2023, "
            "count(*) FILTER (open_2023 AND NOT coalesce(open_2010, false)) AS opened, "
            "count(*) FILTER (coalesce(open_2010, false) AND NOT open_2023) AS closed "
            "FROM assets JOIN asset_areas x USING (asset_id) WHERE x.edition = ? "
            f"AND x.area_code = ? AND source = 'libraries_england_2023' AND {STATIC_LIBRARY}",
            [edition, code],
        )[0]
        n, m = row["libraries_2010"], row["libraries_2023"]

        def libs(k: int) -> str:
            return f"{k} {'library' if k == 1 else 'libraries'}"

        row["sentence"] = f"This area had {libs(n)} in 2010 and has {m} now" + (
            f" ({row['closed']} closed, {row['opened']} opened)." if n or m else "."
        )
        return row

    # -- counts and rates for profiles ------------------------------------------------------
    def comparators(self, edition: str) -> dict[str, Any]:
        """Open assets per 10,000 residents by category, for each group and the nation."""
        with self._lock:
            if edition in self._comparators:
                return self._comparators[edition]
        rows = self._rows(
            """
            WITH pop AS (SELECT "group", sum(population) AS p FROM identification
                         WHERE edition = ? GROUP BY ALL
                         UNION ALL SELECT 'nation', sum(population) FROM identification
                         WHERE edition = ?),
            n AS (SELECT i."group", a.category, count(*) AS n
                  FROM assets a JOIN asset_areas x USING (asset_id)
                  JOIN identification i ON i.edition = x.edition AND i.code = x.area_code
                  WHERE x.edition = ? AND a.status = 'open' GROUP BY ALL),
            nn AS (SELECT "group", category, n FROM n
                   UNION ALL SELECT 'nation', category, sum(n) FROM n GROUP BY ALL)
            SELECT nn."group", nn.category, nn.n, pop.p
            FROM nn JOIN pop USING ("group")
            """,
            [edition, edition, edition],
        )
        out: dict[str, Any] = {}
        for r in rows:
            out.setdefault(r["category"], {})[r["group"]] = (
                round(1e4 * float(r["n"]) / float(r["p"]), 2) if r["p"] else None
            )
        with self._lock:
            self._comparators[edition] = out
        return out

    def area_counts(
        self, edition: str, code: str, population: float | None, community: list[dict]
    ) -> list[dict[str, Any]]:
        """Open assets of an area by category, per 10,000 residents, with the groups' and the
        nation's rates; community-added categories are marked incomplete."""
        counts: dict[str, int] = {}
        for r in self.in_area(edition, code):
            if r["status"] == "open":
                counts[r["category"]] = counts.get(r["category"], 0) + 1
        for r in community:
            if r["status"] != "closed" and r["category"] not in OFFICIAL_CATEGORIES:
                counts[r["category"]] = counts.get(r["category"], 0) + 1
        comp = self.comparators(edition)
        country = EDITIONS[edition].country_code
        out = []
        for category in CATEGORIES:
            official = category in OFFICIAL_CATEGORIES
            if category not in counts and not official:
                continue
            if category == "hospital" and country != "E92000001":
                continue
            if category == "gp_practice" and country not in ("E92000001", "W92000004"):
                continue
            n = counts.get(category, 0)
            rates = comp.get(category, {})
            out.append(
                {
                    "category": category,
                    "label": CATEGORIES[category],
                    "count": n,
                    "per_10k": round(1e4 * n / population, 2) if population else None,
                    "left_behind": rates.get("left_behind"),
                    "other_deprived": rates.get("other_deprived"),
                    "nation": rates.get("nation"),
                    "complete": official,
                }
            )
        return out
