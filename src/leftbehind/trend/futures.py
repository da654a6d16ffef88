"""Trajectories and the report's three futures, from the harmonised IMD series.

The APPG report sees "three possible futures" for 'left behind' neighbourhoods: they fall
further behind, they "just about keep pace" so the gap persists, or they "radically close the
gap". Here an area's future between two IMD editions is read from the change in its national
percentile (:mod:`leftbehind.trend.series`; 0 = most deprived in England, 100 = least):

* ``further_behind``: the percentile fell by more than ``points``;
* ``closing_the_gap``: it rose by more than ``points``;
* ``keeping_pace``: otherwise.

``points`` and the periods compared are data (``futures.toml``), shown with every output, and
every headline is recomputed at each threshold of ``robustness`` so a reader sees how much it
depends on the choice. Groups (left behind, other deprived, rest) are fixed at one
identification edition, so every year compares the same areas.

A floor and a ceiling bound the percentile: the most deprived areas can fall little further
and many rise a little by regression to the mean, so "further behind" is a conservative count
for areas that start in the most deprived tenth.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from leftbehind.errors import InvalidInput
from leftbehind.groups import GROUP_LABELS, GROUPS
from leftbehind.trend.series import CHANGES, EQUAL_WEIGHTS_NOTE, METHODS, YEARS

FUTURES: tuple[str, ...] = ("further_behind", "keeping_pace", "closing_the_gap")
FUTURE_LABELS: dict[str, str] = {
    "further_behind": "Fell further behind",
    "keeping_pace": "Kept pace",
    "closing_the_gap": "Closed the gap",
}
PERCENTILE_MEANING = (
    "national percentile of deprivation rank: 0 = the most deprived area in England, "
    "100 = the least deprived; the England median is 50"
)


@dataclass(frozen=True)
class FuturesSettings:
    points: float
    robustness: tuple[float, ...]
    periods: tuple[tuple[int, int], ...]
    memberships: dict[str, str]

    def rule(self, points: float | None = None) -> dict[str, str]:
        x = self.points if points is None else points
        return {
            "further_behind": f"the national percentile fell by more than {x:g} points",
            "keeping_pace": f"it changed by {x:g} points or less either way",
            "closing_the_gap": f"it rose by more than {x:g} points",
        }

    def describe(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "robustness": list(self.robustness),
            "periods": [list(p) for p in self.periods],
            "rule": self.rule(),
            "source": "leftbehind/trend/futures.toml",
        }


def parse_settings(text: str) -> FuturesSettings:
    """Settings from the TOML text of ``futures.toml``; bad values are :class:`InvalidInput`.

    >>> s = parse_settings('[futures]\\npoints = 5\\nrobustness = [5]\\nperiods = [[2015, 2025]]')
    >>> s.points, s.periods
    (5.0, ((2015, 2025),))
    """
    data = tomllib.loads(text)
    f = data.get("futures", {})
    points = float(f.get("points", 5.0))
    if not 0 <= points < 100:
        raise InvalidInput(f"futures.toml: points must be in [0, 100), not {points}")
    periods = tuple((int(a), int(b)) for a, b in f.get("periods", [[2015, 2025]]))
    for a, b in periods:
        if a not in YEARS or b not in YEARS or a >= b:
            raise InvalidInput(
                f"futures.toml: period {a}-{b} must be two editions of {YEARS}, earlier first"
            )
    robust = tuple(sorted({float(x) for x in f.get("robustness", [points])} | {points}))
    return FuturesSettings(points, robust, periods, dict(data.get("memberships", {})))


@lru_cache(maxsize=1)
def settings() -> FuturesSettings:
    text = resources.files("leftbehind.trend").joinpath("futures.toml").read_text("utf-8")
    return parse_settings(text)


def classify(change: np.ndarray | pd.Series, points: float) -> np.ndarray:
    """The future of each change in percentile points (NaN: ``None``).

    >>> classify(np.array([-7.0, -5.0, 0.0, 5.0, 5.5, np.nan]), 5.0).tolist()
    ['further_behind', 'keeping_pace', 'keeping_pace', 'keeping_pace', 'closing_the_gap', None]
    """
    c = np.asarray(change, dtype=float)
    out = np.where(
        c < -points, "further_behind", np.where(c > points, "closing_the_gap", "keeping_pace")
    )
    return np.where(np.isnan(c), None, out).astype(object)


def method_document() -> dict[str, Any]:
    return {
        "percentile": PERCENTILE_MEANING,
        "why_ranks": "IMD scores are not comparable across editions (each edition re-weights "
        "and re-scales its indicators); national ranks and percentiles are.",
        "change_codes": CHANGES,
        "methods": METHODS,
        "notes": [EQUAL_WEIGHTS_NOTE],
        "documentation": "docs/trends.md",
    }


def wide(series: pd.DataFrame) -> pd.DataFrame:
    """Long ``code, year, percentile`` to one row per code with a column per year."""
    table = series.pivot(index="code", columns="year", values="percentile")
    return table.reindex(columns=list(YEARS))


def _median(values: pd.Series) -> float | None:
    v = values.dropna()
    return round(float(v.median()), 2) if len(v) else None


def _share(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def futures_frame(series: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """One row per area of ``areas`` (``code, name, group, population, local_authority_code,
    local_authority``) with its percentile in every year (``p2004`` ...)."""
    table = wide(series)
    table.columns = [f"p{y}" for y in table.columns]
    return areas.merge(table, left_on="code", right_index=True, how="left")


def period_summary(frame: pd.DataFrame, start: int, end: int, points: float) -> dict[str, Any]:
    """Areas and residents by group and future between two editions, and each group's median
    percentile and gap to the England median at both (``frame`` holds every area of the
    series, so its medians are England's)."""
    change = frame[f"p{end}"] - frame[f"p{start}"]
    future = classify(change.to_numpy(), points)
    pop = frame["population"].fillna(0).to_numpy(dtype=float)
    # every area of the series is in the frame: its medians are England's
    england = {y: _median(frame[f"p{y}"]) for y in (start, end)}
    groups = []
    for g in GROUPS:
        mask = (frame["group"] == g).to_numpy()
        known = mask & (future != None)  # noqa: E711 (elementwise on an object array)
        total_pop = float(pop[known].sum())
        med = {y: _median(frame.loc[mask, f"p{y}"]) for y in (start, end)}
        gap = {
            y: None if med[y] is None or england[y] is None else round(med[y] - england[y], 2)
            for y in (start, end)
        }
        entry: dict[str, Any] = {
            "group": g,
            "label": GROUP_LABELS[g],
            "areas": int(mask.sum()),
            "population": int(pop[mask].sum()),
            "areas_with_data": int(known.sum()),
            "median_change": _median(change[mask]),
            "median_start": med[start],
            "median_end": med[end],
            "gap_start": gap[start],
            "gap_end": gap[end],
            "gap_change": None
            if gap[start] is None or gap[end] is None
            else round(gap[end] - gap[start], 2),
            "futures": {},
        }
        for f in FUTURES:
            sel = mask & (future == f)
            entry["futures"][f] = {
                "areas": int(sel.sum()),
                "population": int(pop[sel].sum()),
                "population_share": _share(float(pop[sel].sum()), total_pop),
            }
        groups.append(entry)
    return {"groups": groups}


def trajectories(frame: pd.DataFrame, england: dict[int, float | None]) -> list[dict[str, Any]]:
    """Median percentile of each group per edition and its gap to the England median."""
    out = []
    for g in GROUPS:
        sub = frame[frame["group"] == g]
        years = []
        for y in YEARS:
            med = _median(sub[f"p{y}"])
            base = england.get(y)
            years.append(
                {
                    "year": y,
                    "median_percentile": med,
                    "gap": None if med is None or base is None else round(med - base, 2),
                }
            )
        out.append({"group": g, "label": GROUP_LABELS[g], "areas": len(sub), "years": years})
    return out


def local_authority_trajectories(
    frame: pd.DataFrame, periods: tuple[tuple[int, int], ...]
) -> list[dict[str, Any]]:
    """Median percentile of each local authority's areas per edition, and its change."""
    rows = []
    cols = [f"p{y}" for y in YEARS]
    grouped = frame.groupby(["local_authority_code", "local_authority"], dropna=True)
    medians = grouped[cols].median()
    counts = grouped.size()
    for (code, name), row in medians.iterrows():
        rec: dict[str, Any] = {"code": code, "name": name, "areas": int(counts[(code, name)])}
        for y in YEARS:
            v = row[f"p{y}"]
            rec[f"p{y}"] = None if pd.isna(v) else round(float(v), 2)
        for a, b in periods:
            pa, pb = rec[f"p{a}"], rec[f"p{b}"]
            rec[f"change_{a}_{b}"] = None if pa is None or pb is None else round(pb - pa, 2)
        rows.append(rec)
    rows.sort(key=lambda r: r["code"])
    return rows


def _people(n: float) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} million"
    if n >= 10_000:
        return f"{round(n, -3):,.0f}"
    return f"{n:,.0f}"


def headline_sentences(doc: dict[str, Any], area_words: str) -> list[str]:
    """The headline in plain words: residents of left-behind and other deprived areas by
    future, per period."""
    out = []
    points = doc["thresholds"]["points"]
    for period in doc["periods"]:
        by = {g["group"]: g for g in period["groups"]}
        parts = []
        for g, words in (
            ("left_behind", f"'left behind' {area_words}"),
            ("other_deprived", f"other deprived {area_words}"),
        ):
            e = by[g]
            f = e["futures"]
            known = sum(f[k]["population"] for k in FUTURES)
            if not known:
                continue
            parts.append(
                f"Of the {_people(known)} people in {e['areas_with_data']:,} {words}, "
                f"{f['further_behind']['population_share']}% live where deprivation fell "
                f"further behind the rest of England, {f['keeping_pace']['population_share']}% "
                f"where it kept pace and {f['closing_the_gap']['population_share']}% where the "
                "gap closed."
            )
        if parts:
            out.append(
                f"Between the IMD {period['start']} and the IMD {period['end']} "
                f"(a change of more than {points:g} percentile points counts): " + " ".join(parts)
            )
    return out


def futures_document(
    series: pd.DataFrame,
    areas: pd.DataFrame,
    edition: str,
    geography: str,
    membership: str,
    area_words: str,
    cfg: FuturesSettings | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The three-futures document of an edition and the per-area frame it was made from.

    ``series``: ``code, year, rank, n, percentile, method`` of the edition's areas on
    ``geography`` (every area of the series is one of them); ``areas``: the
    edition's identification (``code, name, group, population, local_authority_code,
    local_authority``)."""
    cfg = cfg or settings()
    frame = futures_frame(series, areas)
    all_years = wide(series)
    england = {y: _median(all_years[y]) for y in YEARS}
    by_method = series.groupby(["year", "method"]).size().sort_index()
    coverage = {
        "areas": len(areas),
        "by_year": {
            str(y): {
                "areas_with_data": int(frame[f"p{y}"].notna().sum()),
                "by_method": {str(m): int(k) for (yy, m), k in by_method.items() if yy == y},
            }
            for y in YEARS
        },
    }
    periods = []
    for a, b in cfg.periods:
        entry = {"start": a, "end": b, **period_summary(frame, a, b, cfg.points)}
        entry["robustness"] = [
            {
                "points": x,
                "groups": {
                    g["group"]: {f: g["futures"][f]["population_share"] for f in FUTURES}
                    for g in period_summary(frame, a, b, x)["groups"]
                },
            }
            for x in cfg.robustness
        ]
        periods.append(entry)
    doc: dict[str, Any] = {
        "edition": edition,
        "geography": geography,
        "membership": membership,
        "percentile": PERCENTILE_MEANING,
        "thresholds": cfg.describe(),
        "future_labels": FUTURE_LABELS,
        "method": method_document(),
        "coverage": coverage,
        "england_median": {str(y): england[y] for y in YEARS},
        "trajectories": trajectories(frame, england),
        "periods": periods,
    }
    doc["sentences"] = headline_sentences(doc, area_words)
    return doc, frame


def area_rows(frame: pd.DataFrame, cfg: FuturesSettings | None = None) -> pd.DataFrame:
    """Per-area CSV rows: percentiles, and change and future for every period."""
    cfg = cfg or settings()
    out = frame[
        ["code", "name", "group", "population", "local_authority_code", "local_authority"]
        + [f"p{y}" for y in YEARS]
    ].copy()
    for a, b in cfg.periods:
        change = (frame[f"p{b}"] - frame[f"p{a}"]).round(2)
        out[f"change_{a}_{b}"] = change
        out[f"future_{a}_{b}"] = classify(change.to_numpy(), cfg.points)
    for y in YEARS:
        out[f"p{y}"] = out[f"p{y}"].round(2)
    out["population"] = out["population"].round().astype("Int64")
    return out
