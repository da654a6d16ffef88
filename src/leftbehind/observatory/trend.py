"""Change over time in the observatory: the three futures and each area's trend.

Build stage :func:`build_trend_views` (after ``build_views``) prepares, for every edition that
``trend/futures.toml`` compares on a harmonised series (``[memberships]``), the views
``futures`` (the three-futures document), ``futures.csv`` (one row per area),
``trend_local_authorities`` and ``trend_local_authorities.csv``. :class:`Trends` serves them
and each area's trend from the ``trend_series`` table, read once into memory (a lookup per
request).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput, StoreMissing
from leftbehind.export import frame_csv
from leftbehind.groups import GROUP_LABELS
from leftbehind.observatory import views as v
from leftbehind.observatory.payload import Payload
from leftbehind.trend import charts
from leftbehind.trend import futures as fut
from leftbehind.trend import outcomes as out_
from leftbehind.trend.series import CHANGES_TABLE, METHODS, RELEASES, SERIES_TABLE, YEARS

VIEW_KEYS = (
    "futures", "futures.csv", "trend_local_authorities", "trend_local_authorities.csv",
    "outcomes",
)  # fmt: skip
AREA_CSV_COLUMNS = [
    "code", "name", "edition", "year", "imd", "rank", "n", "percentile", "method",
    "group", "group_median", "england_median",
]  # fmt: skip
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
#: Editions compared on a harmonised series (``[memberships]`` of ``trend/futures.toml``).
TREND_EDITIONS: tuple[str, ...] = tuple(e for e in fut.settings().memberships if e in EDITIONS)
GEOGRAPHY_WORDS = {"lsoa21": "2021 LSOAs", "ward17": "2017 wards (best fit of 2011 LSOAs)"}


def _membership(edition: str) -> str:
    return (
        f"Groups fixed as identified in {EDITIONS[edition].title}: the same areas are compared "
        "in every edition."
    )


def edition_trend_views(
    con: duckdb.DuckDBPyConnection, edition: str, geography: str
) -> dict[str, Payload]:
    """The trend views of one edition."""
    ed = EDITIONS[edition]
    # the series of the edition's own areas (every area of the series is one of them)
    series = con.execute(
        f"SELECT code, year, rank, n, percentile, method FROM {SERIES_TABLE} "
        "WHERE geography = ? AND code IN (SELECT code FROM identification WHERE edition = ?)",
        [geography, edition],
    ).df()
    areas = con.execute(
        'SELECT code, name, "group", population, local_authority_code, local_authority '
        "FROM identification WHERE edition = ? ORDER BY code",
        [edition],
    ).df()
    doc, frame = fut.futures_document(
        series, areas, edition, geography, _membership(edition), ed.area_words
    )
    doc["geography_words"] = GEOGRAPHY_WORDS.get(geography, geography)
    rows = fut.area_rows(frame)
    las = fut.local_authority_trajectories(frame, fut.settings().periods)
    la_columns = list(las[0]) if las else ["code"]
    return {
        "futures": Payload.json(doc),
        "futures.csv": Payload.make(frame_csv(rows), CSV_MEDIA_TYPE),
        "trend_local_authorities": Payload.json(las),
        "trend_local_authorities.csv": Payload.make(
            frame_csv(pd.DataFrame(las, columns=la_columns)), CSV_MEDIA_TYPE
        ),
    }


def outcomes_document(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    """Comparators of the outcomes beside deprivation for one edition: residents-weighted
    means over 'left behind', other deprived and all areas."""
    ed = EDITIONS[edition]
    # GROUPING SETS: one row per group and one for all areas (group NULL -> 'nation')
    lonely = con.execute(
        f"""SELECT coalesce(i."group", 'nation') AS grp,
                   sum(o.value * i.population) / sum(i.population) AS value, count(*) AS areas
            FROM {out_.LONELINESS_TABLE} o
            JOIN identification i ON i.edition = o.edition AND i.code = o.code
            WHERE o.edition = ? AND i.population > 0
            GROUP BY GROUPING SETS ((i."group"), ())""",
        [edition],
    ).fetchall()
    measure = out_.LONELINESS_MEASURES.get(ed.nation)
    loneliness = None
    if measure is not None and lonely:
        loneliness = {
            "nation": ed.nation,
            **measure,
            "comparators": {g: round(val, 3) for g, val, _ in lonely if g != "rest"},
            "note": out_.NOT_COMPARABLE,
        }
    health = None
    if ed.nation == "England":
        rows = con.execute(
            f"""SELECT coalesce(i."group", 'nation') AS grp, h.measure, h.year,
                       sum(h.value * i.population) / sum(i.population) AS value
                FROM {out_.HEALTH_LA_TABLE} a
                JOIN identification i ON i.edition = a.edition AND i.code = a.code
                JOIN {out_.HEALTH_TABLE} h ON h.ltla21_code = a.ltla21_code
                WHERE a.edition = ? AND i.population > 0 AND h.value IS NOT NULL
                GROUP BY GROUPING SETS ((i."group", h.measure, h.year), (h.measure, h.year))
                ORDER BY 2, 3, 1""",
            [edition],
        ).fetchall()
        comps: dict[str, dict[str, dict[str, float]]] = {}
        for g, m, year, val in rows:
            if g != "rest":
                comps.setdefault(m, {}).setdefault(g, {})[str(year)] = round(val, 2)
        health = {
            "measures": out_.HEALTH_MEASURES,
            "comparators": comps,
            "note": out_.HEALTH_NOTE,
            "source": "ONS Health Index for England (via humaniverse/healthyr)",
        }
    return {
        "edition": edition,
        "loneliness": loneliness,
        "loneliness_note": out_.NORTHERN_IRELAND_NOTE if ed.nation == "Northern Ireland" else None,
        "health": health,
    }


def build_trend_views(con: duckdb.DuckDBPyConnection) -> None:
    """Build stage: the trend views of every edition with a series, and every edition's
    outcomes comparators (``observatory_views``)."""
    v._create(con)
    for edition, geography in fut.settings().memberships.items():
        if edition in EDITIONS:
            v._store(con, edition, edition_trend_views(con, edition, geography))
    for edition in EDITIONS:
        v._store(con, edition, {"outcomes": Payload.json(outcomes_document(con, edition))})


def boundary_sentences(changes: list[tuple[str, str, str]], first_year: int) -> list[str]:
    """Plain sentences on how a 2021 LSOA's boundaries changed (``step, change, from``)."""
    out = []
    for step, change, source in changes:
        if step == "2011-2021":
            if change == "S":
                out.append(
                    f"This LSOA was split from {source} in 2021: for IMD {first_year}-2019 it "
                    "is given that 2011 LSOA's rank."
                )
            elif change == "M":
                out.append(
                    f"This LSOA was formed in 2021 by merging {source}: for IMD "
                    f"{first_year}-2019 it is given their population-weighted mean rank."
                )
            elif change == "X":
                out.append(
                    f"This LSOA was redrawn in 2021 from parts of {source}: for IMD "
                    f"{first_year}-2019 it is given a weighted mean of their ranks (best fit)."
                )
        else:
            word = {"S": "was split from", "M": "was formed by merging", "X": "was redrawn from"}
            out.append(
                f"Its 2011 LSOA {word.get(change, 'changed from')} {source} (2001 LSOAs) in "
                "2011: for IMD 2004-2010 the ranks are carried by the same rule."
            )
    return out


@dataclass(frozen=True)
class _Series:
    """The harmonised series of one geography in memory: columns as lists, and each code's
    slice of them."""

    index: dict[str, tuple[int, int]]
    year: list[int]
    rank: list[float]
    n: list[int]
    percentile: list[float]
    method: list[str]

    def rows(self, code: str) -> list[tuple[int, float, int, float, str]]:
        a, b = self.index.get(code, (0, 0))
        return [
            (self.year[i], self.rank[i], self.n[i], self.percentile[i], self.method[i])
            for i in range(a, b)
        ]


class Trends:
    """The three futures and per-area trends, for the CLI and the web."""

    def __init__(self, obs: Any):
        """``obs``: the :class:`~leftbehind.observatory.service.Observatory` (not imported:
        the service creates this object on first use)."""
        self.obs = obs
        self._lock = threading.Lock()
        self._series: dict[str, _Series] = {}
        self._changes: dict[str, list[tuple[str, str, str]]] | None = None
        self._outcomes: dict[str, Any] | None = None

    # -- editions ---------------------------------------------------------------------------
    def geography(self, edition: str) -> str:
        memberships = fut.settings().memberships
        if edition not in memberships:
            raise InvalidInput(
                f"edition {edition} has no harmonised IMD series (England only); use one of "
                + ", ".join(e for e in memberships if e in self.obs.edition_ids()),
                parameter="edition",
            )
        return memberships[edition]

    def futures(self, edition: str | None) -> tuple[dict[str, Any], Payload]:
        eid = self.obs.resolve_edition(edition)
        self.geography(eid)
        payload = self.obs.view(eid, "futures")
        return v.view_data(payload), payload

    def download(self, edition: str | None, key: str) -> tuple[str, Payload]:
        eid = self.obs.resolve_edition(edition)
        self.geography(eid)
        return eid, self.obs.view(eid, key)

    def local_authorities(self, edition: str | None) -> tuple[str, Payload]:
        return self.download(edition, "trend_local_authorities")

    # -- areas ------------------------------------------------------------------------------
    def _load(self, geography: str) -> _Series:
        hit = self._series.get(geography)
        if hit is not None:
            return hit
        con = self.obs.connection()
        try:
            tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
            if SERIES_TABLE not in tables:
                raise StoreMissing(
                    "the evidence store has no harmonised IMD series; rebuild it with "
                    "'leftbehind build'"
                )
            cols = con.execute(
                f"SELECT code, year, rank, n, percentile, method FROM {SERIES_TABLE} "
                "WHERE geography = ? ORDER BY code, year",
                [geography],
            ).fetchnumpy()
            if self._changes is None and geography == "lsoa21":
                changes: dict[str, list[tuple[str, str, str]]] = {}
                for code, step, change, source in con.execute(
                    f"SELECT lsoa21_code, step, change, from_codes FROM {CHANGES_TABLE} "
                    "ORDER BY lsoa21_code, step DESC"
                ).fetchall():
                    changes.setdefault(code, []).append((step, change, source))
                self._changes = changes
        finally:
            con.close()
        # one row per edition, sorted by code: each code's rows are one slice of the columns
        codes = np.asarray(cols["code"]).astype(str)
        firsts, starts = np.unique(codes, return_index=True)
        ends = np.append(starts[1:], len(codes))
        series = _Series(
            index={c: (int(a), int(b)) for c, a, b in zip(firsts, starts, ends, strict=True)},
            year=np.asarray(cols["year"]).tolist(),
            rank=np.asarray(cols["rank"]).tolist(),
            n=np.asarray(cols["n"]).tolist(),
            percentile=np.asarray(cols["percentile"]).tolist(),
            method=np.asarray(cols["method"]).astype(str).tolist(),
        )
        with self._lock:
            return self._series.setdefault(geography, series)

    def warm(self) -> None:
        for geography in set(fut.settings().memberships.values()):
            self._load(geography)

    def area(self, edition: str | None, code: str) -> dict[str, Any]:
        """An area's national percentile in every IMD edition with its group's median and the
        England median, its future in each period, and how its boundaries changed."""
        data, rec = self.obs.area(edition, code)
        geography = self.geography(data.id)
        series = self._load(geography).rows(rec["code"])
        doc, _ = self.futures(data.id)
        group = rec["group"]
        traj = {t["group"]: {y["year"]: y["median_percentile"] for y in t["years"]}
                for t in doc["trajectories"]}  # fmt: skip
        england = {int(k): x for k, x in doc["england_median"].items()}
        by_year = {row[0]: row for row in series}
        titles = {r.year: r.title for r in RELEASES}
        points = []
        for year in YEARS:
            row = by_year.get(year)
            points.append(
                {
                    "year": year,
                    "imd": titles[year],
                    "rank": None if row is None else round(row[1], 1),
                    "n": None if row is None else row[2],
                    "percentile": None if row is None else round(row[3], 1),
                    "method": None if row is None else row[4],
                    "group_median": traj.get(group, {}).get(year),
                    "england_median": england.get(year),
                }
            )
        cfg = fut.settings()
        periods = []
        for a, b in cfg.periods:
            pa, pb = by_year.get(a), by_year.get(b)
            change = None if pa is None or pb is None else round(pb[3] - pa[3], 1)
            future = None if change is None else str(fut.classify([change], cfg.points)[0])
            periods.append(
                {
                    "start": a,
                    "end": b,
                    "change": change,
                    "future": future,
                    "future_label": fut.FUTURE_LABELS.get(future or "", "No data"),
                }
            )
        methods = sorted({p["method"] for p in points if p["method"]})
        first = next((p["year"] for p in points if p["percentile"] is not None), None)
        changes = (self._changes or {}).get(rec["code"], []) if geography == "lsoa21" else []
        return {
            "code": rec["code"],
            "name": rec["name"],
            "edition": data.id,
            "geography": geography,
            "group": group,
            "group_label": GROUP_LABELS.get(group, group),
            "membership": doc["membership"],
            "percentile": fut.PERCENTILE_MEANING,
            "series": points,
            "periods": periods,
            "thresholds": doc["thresholds"],
            "methods": {m: METHODS[m] for m in methods},
            "coverage": f"{sum(p['percentile'] is not None for p in points)} of {len(YEARS)} "
            f"IMD editions ({', '.join(str(y) for y in YEARS)}) on {GEOGRAPHY_WORDS[geography]}",
            "boundary_changes": boundary_sentences(changes, first or YEARS[0]),
            "documentation": "docs/trends.md",
        }

    def area_rows(self, trend: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"code": trend["code"], "name": trend["name"], "edition": trend["edition"],
             "group": trend["group"], **p}
            for p in trend["series"]
        ]  # fmt: skip

    def area_for_page(self, edition: str, code: str) -> dict[str, Any] | None:
        """The area page's trend section (chart, table, notes), or None without a series."""
        if edition not in fut.settings().memberships:
            return None
        trend = self.area(edition, code)
        if all(p["percentile"] is None for p in trend["series"]):
            return None
        label = {
            "left_behind": "'Left behind'",
            "other_deprived": "Other deprived",
            "rest": "Other",
        }.get(trend["group"])
        trend["chart_svg"] = charts.trend_svg(
            trend["name"] or trend["code"], trend["series"], label
        )
        return trend

    def summary_for_page(self, edition: str) -> dict[str, Any] | None:
        """The summary page's three-futures section, or None without a series."""
        if edition not in fut.settings().memberships:
            return None
        doc, _ = self.futures(edition)
        doc = dict(doc)
        doc["charts"] = [
            charts.futures_svg(p, doc["future_labels"], uid=f"futures-{p['start']}-{p['end']}")
            for p in doc["periods"]
        ]
        return doc

    # -- outcomes beside deprivation ----------------------------------------------------------
    def _load_outcomes(self) -> dict[str, Any]:
        if self._outcomes is not None:
            return self._outcomes
        con = self.obs.connection()
        try:
            lonely = {
                (e, c): (value, rank, n)
                for e, c, value, rank, n in con.execute(
                    f"SELECT edition, code, value, rank, n FROM {out_.LONELINESS_TABLE}"
                ).fetchall()
            }
            areas = {
                (e, c): la
                for e, c, la in con.execute(
                    f"SELECT edition, code, ltla21_code FROM {out_.HEALTH_LA_TABLE}"
                ).fetchall()
            }
            health: dict[str, dict[str, dict[str, float]]] = {}
            for la, year, measure, value in con.execute(
                f"SELECT ltla21_code, year, measure, value FROM {out_.HEALTH_TABLE}"
            ).fetchall():
                health.setdefault(la, {}).setdefault(measure, {})[str(year)] = value
            names = dict(
                con.execute(
                    "SELECT DISTINCT ltla22_code, ltla22_name FROM lookup_lsoa11_lsoa21_ltla22"
                ).fetchall()
            )
        finally:
            con.close()
        with self._lock:
            if self._outcomes is None:
                self._outcomes = {
                    "loneliness": lonely, "areas": areas, "health": health, "names": names,
                }  # fmt: skip
        return self._outcomes

    def outcomes(self, edition: str | None, code: str) -> dict[str, Any]:
        """Loneliness (the nation's own measure) and the ONS Health Index of the area's
        district 2015-2021, with comparators."""
        data, rec = self.obs.area(edition, code)
        doc = v.view_data(self.obs.view(data.id, "outcomes"))
        store = self._load_outcomes()
        key = (data.id, rec["code"])
        loneliness = None
        if doc["loneliness"] is not None:
            hit = store["loneliness"].get(key)
            loneliness = {
                **doc["loneliness"],
                "value": None if hit is None else round(hit[0], 3),
                "rank": None if hit is None else hit[1],
                "n": None if hit is None else hit[2],
            }
        health = None
        la = store["areas"].get(key)
        if doc["health"] is not None and la is not None:
            values = store["health"].get(la, {})
            measures = []
            for m, label in doc["health"]["measures"].items():
                comps = doc["health"]["comparators"].get(m, {})
                years = sorted(set(values.get(m, {})) | set(comps.get("nation", {})))
                measures.append(
                    {
                        "measure": m,
                        "label": label,
                        "years": [
                            {
                                "year": int(y),
                                "value": values.get(m, {}).get(y),
                                "left_behind": comps.get("left_behind", {}).get(y),
                                "other_deprived": comps.get("other_deprived", {}).get(y),
                                "nation": comps.get("nation", {}).get(y),
                            }
                            for y in years
                        ],
                    }
                )
            health = {
                "local_authority_code": la,
                "local_authority": store["names"].get(la),
                "measures": measures,
                "note": doc["health"]["note"],
                "source": doc["health"]["source"],
            }
        return {
            "code": rec["code"],
            "name": rec["name"],
            "edition": data.id,
            "loneliness": loneliness,
            "loneliness_note": doc.get("loneliness_note"),
            "health": health,
        }

    def outcomes_for_page(self, edition: str, code: str) -> dict[str, Any] | None:
        got = self.outcomes(edition, code)
        if got["loneliness"] is None and got["health"] is None and not got["loneliness_note"]:
            return None
        return got
