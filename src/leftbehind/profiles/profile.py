"""Profiles of an LSOA, ward, local authority, region or custom list of small areas.

``profile(con, query, edition)`` returns a JSON-ready dict::

    {"code", "name", "type", "edition", "group",
     "dimensions": [{"id", "label", "indicators": [{"id", "label", "value", "unit", "percentile",
                     "comparators": {"left_behind", "other_deprived", "nation"}, "source"}]}],
     "summary"}

plus extra keys (``supporting``, ``groups_by_edition``, ``group_shares``, ``population`` ...).
``value`` is a share as a fraction (0.25 = 25%) when ``unit`` is ``share``. ``percentile`` is
the national percentile of the value among areas of the same type (100 = highest value);
``need_percentile`` turns it so that 100 always means the most disadvantaged.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from leftbehind.errors import UnknownName, some_of
from leftbehind.i18n import gettext as _
from leftbehind.profiles import framework, values
from leftbehind.search import NameIndex, normalise  # noqa: F401 (normalise re-exported)

#: A GSS code (E05000028) or a Northern Ireland super output area code (95GG02S2).
CODE_RE = re.compile(r"^(?:[A-Za-z]\d{8}|95[A-Za-z]{2}\d{2}[A-Za-z]\d)$")
#: Order in which geographies are searched for a code or a name.
TYPE_ORDER = (
    "ward17",
    "ward24",
    "msoa11",
    "iz11",
    "soa11",
    "lsoa11",
    "lsoa21",
    "dz11",
    "ltla19",
    "ltla24",
    "ltla20",
    "lgd14",
    "region",
)


class AmbiguousName(UnknownName):
    """A name matches several areas; ``candidates`` lists them (code, name, type, la)."""

    def __init__(self, message: str, candidates: list[dict]):
        super().__init__(message)
        self.candidates = candidates


@dataclass
class Area:
    code: str
    name: str
    type: str
    rows: np.ndarray  # base rows (small areas) making the area
    la_code: str = ""
    la_name: str = ""
    members: tuple[str, ...] = ()


def _name_index(data: values.EditionData) -> NameIndex:
    """The edition's areas of every geography in :mod:`leftbehind.search`'s one name index
    (kind: the geography, context: the local authority)."""
    index = getattr(data, "_name_index", None)
    if index is None:
        entries = []
        for unit_type in TYPE_ORDER:
            units = data.units.get(unit_type)
            if units is None:
                continue
            for code, name, la in zip(units.codes, units.names, units.la_names, strict=True):
                entries.append((str(code), str(name), str(la or ""), unit_type))
        index = data._name_index = NameIndex.of(entries)
    return index


def _position(data: values.EditionData, item: dict) -> tuple[str, int]:
    units = data.units[item["kind"]]
    return item["kind"], int(units.codes.get_loc(item["code"]))


def _unit_area(data: values.EditionData, unit_type: str, i: int) -> Area:
    units = data.units[unit_type]
    return Area(
        code=str(units.codes[i]),
        name=str(units.names[i]),
        type=unit_type,
        rows=units.matrix.getrow(i).indices,
        la_code=str(units.la_codes[i]),
        la_name=str(units.la_names[i]),
    )


def _find_code(data: values.EditionData, code: str) -> tuple[str, int] | None:
    for unit_type in TYPE_ORDER:
        units = data.units.get(unit_type)
        if units is not None and code in units.codes:
            return unit_type, units.position(code)
    return None


def _other_editions(con: duckdb.DuckDBPyConnection, code: str, edition: str) -> list[str]:
    found = []
    for other in values.BASE:
        if other != edition and _find_code(values.edition_data(con, other), code) is not None:
            found.append(other)
    return found


def _code_elsewhere(con: duckdb.DuckDBPyConnection, code: str) -> str | None:
    """The geography type of a code the store knows outside the profile editions, if any."""
    try:
        row = con.execute("select type from areas where code = ? limit 1", [code]).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def _nations_wording() -> str:
    """'England's' (the declared ``nation_wording`` of the profiled editions' nations)."""
    from leftbehind.editions import get_edition

    words = dict.fromkeys(get_edition(e).nation_wording for e in values.BASE)
    return " and ".join(words)


def _unknown_code(
    con: duckdb.DuckDBPyConnection, data: values.EditionData, code: str
) -> UnknownName:
    others = _other_editions(con, code, data.edition)
    if others:
        return UnknownName(
            f"{code} is not an area of edition {data.edition}; it is covered by "
            f"{', '.join(others)}: use --edition {others[0]}"
        )
    elsewhere = _code_elsewhere(con, code)
    if elsewhere:
        return UnknownName(
            f"{code} is a {elsewhere} area, which profiles do not cover; profiles cover "
            f"{_nations_wording()} {', '.join(values.BASE)} editions"
        )
    pool = [str(c) for t in TYPE_ORDER if t in data.units for c in data.units[t].codes]
    close = difflib.get_close_matches(code, pool, n=5, cutoff=0.75)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    return UnknownName(f"no area with code {code} in edition {data.edition}{hint}")


def resolve(con: duckdb.DuckDBPyConnection, query: str, edition: str) -> Area:
    """Find the area a user means: a code, a name, or a comma/space separated list of codes."""
    data = values.edition_data(con, edition)
    text = (query or "").strip()
    if not text:
        raise UnknownName("give an area code or name, e.g. E05000028 or 'Becontree'")
    parts = [p for p in re.split(r"[,\s;]+", text) if p]
    # A list with any code in it is a custom neighbourhood: its unknown entries are named, never
    # dropped. (Names such as 'Kingston upon Hull, City of' hold no code-like words.)
    if len(parts) > 1 and any(CODE_RE.match(p) for p in parts):
        return custom_area(con, [p.upper() for p in parts], edition)
    if CODE_RE.match(text):
        code = text.upper()
        hit = _find_code(data, code)
        if hit is None:
            raise _unknown_code(con, data, code)
        return _unit_area(data, *hit)
    index = _name_index(data)
    hits = index.exact(text)
    if len(hits) == 1:
        return _unit_area(data, *_position(data, hits[0]))
    if len(hits) > 1:
        candidates = [
            {
                "code": h["code"],
                "name": h["name"],
                "type": h["kind"],
                "local_authority": h["context"],
            }
            for h in hits
        ]
        listed = "; ".join(
            f"{c['code']} {c['name']} ({values.TYPE_WORDS.get(c['type'], c['type'])}"
            + (f", {c['local_authority']})" if c["local_authority"] else ")")
            for c in candidates[:10]
        )
        more = f"; and {len(candidates) - 10} more" if len(candidates) > 10 else ""
        raise AmbiguousName(
            f"'{text}' matches {len(candidates)} areas: {listed}{more}; give the code instead",
            candidates,
        )
    names = [
        f"{m['name']} ({m['code']}" + (f", {m['context']})" if m["context"] else ")")
        for m in index.search(text, limit=5)
    ]
    hint = f"; did you mean: {'; '.join(names)}" if names else ""
    raise UnknownName(f"no area called '{text}' in edition {edition}{hint}")


def custom_area(
    con: duckdb.DuckDBPyConnection, codes: list[str], edition: str, name: str | None = None
) -> Area:
    """A user's own neighbourhood: the union of small areas or wards, every code checked."""
    data = values.edition_data(con, edition)
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    if not wanted:
        raise UnknownName("a custom area needs at least one area code")
    rows: list[np.ndarray] = []
    unknown = []
    for code in wanted:
        hit = _find_code(data, code)
        if hit is None:
            unknown.append(code)
        else:
            rows.append(data.units[hit[0]].matrix.getrow(hit[1]).indices)
    if unknown:
        raise UnknownName(
            f"{len(unknown):,} code(s) are not areas of edition {edition}: {some_of(unknown)}; "
            "fix or remove them (nothing was dropped)"
        )
    merged = np.unique(np.concatenate(rows)) if rows else np.array([], int)
    return Area(
        code="custom",
        name=name or f"Custom area of {len(wanted)} areas",
        type="custom",
        rows=merged,
        members=tuple(wanted),
    )


# ---------------------------------------------------------------------------------------------


def _num(value: float) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _rounded(value: float, unit: str) -> float | None:
    value = _num(value)
    if value is None:
        return None
    return round(value, 4 if unit == "share" else 3)


def group_info(data: values.EditionData, area: Area) -> tuple[str | None, dict[str, float]]:
    """The area's group in the edition and the population share in each group."""
    if area.type == values.EDITION_GEOGRAPHY[data.edition] or area.type.startswith("lsoa"):
        groups = {g for g in data.group[area.rows] if g}
        if len(groups) == 1 and area.type != "custom":
            group = groups.pop()
            return group, {group: 1.0}
    pop = data.population[area.rows]
    total = float(pop.sum())
    shares = {}
    for g in values.GROUPS:
        shares[g] = round(float(pop[data.group[area.rows] == g].sum()) / total, 4) if total else 0.0
    nonzero = [g for g, s in shares.items() if s > 0]
    group = nonzero[0] if len(nonzero) == 1 else "mixed"
    return group, shares


def groups_by_edition(
    con: duckdb.DuckDBPyConnection, area: Area, nation: str | None = None
) -> dict[str, str | None]:
    """The area's group in every profiled edition (of ``nation`` when given)."""
    from leftbehind.editions import get_edition

    out: dict[str, str | None] = {}
    for edition in values.BASE:
        if nation is not None and get_edition(edition).nation != nation:
            continue
        data = values.edition_data(con, edition)
        if area.type == "custom":
            codes = area.members
            try:
                other = custom_area(con, list(codes), edition)
            except UnknownName:
                out[edition] = None
                continue
        else:
            hit = _find_code(data, area.code)
            if hit is None:
                out[edition] = None
                continue
            other = _unit_area(data, *hit)
        out[edition] = group_info(data, other)[0]
    return out


_SOURCE_YEAR = re.compile(r"^(.*), (\d{4})$")


def source_words(source: str) -> str:
    """A source's name in the current language, its year kept: 'Welsh Index of Multiple
    Deprivation 2019 (Welsh Government), 2019' -> 'Mynegai ... (Llywodraeth Cymru), 2019'."""
    match = _SOURCE_YEAR.match(source or "")
    if match:
        return f"{_(match[1])}, {match[2]}"
    return _(source) if source else source


def _meta(data: values.EditionData) -> list[dict]:
    meta = getattr(data, "_meta", None)
    if meta is None:
        meta = []
        for _index, row in data.indicators.iterrows():
            meta.append(
                {
                    "id": row["id"],
                    "label": row["label"],
                    "unit": row["unit"],
                    "direction": row["direction"],
                    "dimension": row["dimension"],
                    "source": f"{row['source']}, {row['year']}" if row["year"] else row["source"],
                    "source_table": row["source_table"],
                    "year": row["year"],
                }
            )
        data._meta = meta
    return meta


def _comparator_percentiles(data: values.EditionData, reference_type: str) -> dict[str, np.ndarray]:
    cache = data.__dict__.setdefault("_comp_pct", {})
    if reference_type not in cache:
        cache[reference_type] = {
            name: data.percentile(reference_type, data.comparators[name])
            for name in values.COMPARATORS
        }
    return cache[reference_type]


def _indicator_dicts(data: values.EditionData, area: Area, reference_type: str) -> dict[str, dict]:
    vals = data.aggregate(area.rows)
    pct = data.percentile(reference_type, vals)
    comp_pct = _comparator_percentiles(data, reference_type)
    out = {}
    for j, meta in enumerate(_meta(data)):
        unit = meta["unit"]
        comps = {name: _rounded(data.comparators[name][j], unit) for name in values.COMPARATORS}
        p = _num(pct[j])
        need = None if p is None else (p if meta["direction"] == "higher_is_worse" else 100 - p)
        out[meta["id"]] = {
            "id": meta["id"],
            "label": meta["label"],
            "value": _rounded(vals[j], unit),
            "unit": unit,
            "direction": meta["direction"],
            "percentile": None if p is None else round(p, 1),
            "need_percentile": None if need is None else round(need, 1),
            "comparators": comps,
            "comparator_percentiles": {
                name: _num(round(float(comp_pct[name][j]), 1)) for name in values.COMPARATORS
            },
            "source": source_words(meta["source"]),
            "source_table": meta["source_table"],
            "year": meta["year"],
            "dimension": meta["dimension"],
        }
    return out


def _funding(con: duckdb.DuckDBPyConnection, data: values.EditionData, area: Area) -> dict:
    """Dimension 9: grants per head when grants are imported, otherwise 'no data yet'."""
    from leftbehind.profiles import funding_link

    row = getattr(data, "_grants_row", None)
    if row is None:
        row = data._grants_row = framework.grants_row(data.edition)
    indicator = {
        "id": row["id"],
        "label": row["label"],
        "value": None,
        "unit": row["unit"],
        "direction": row["direction"],
        "percentile": None,
        "need_percentile": None,
        "comparators": {name: None for name in values.COMPARATORS},
        "source": row["source"],
        "status": "no_data",
    }
    result = funding_link.grants_per_head(con, data, area.rows)
    if result is None:
        return {
            "status": "no_data",
            "note": _(
                "No data yet. Importing 360Giving grant files into the store "
                "('leftbehind grants import FILE --postcodes NSPL.csv') would show grant money "
                "per person here."
            ),
            "indicators": [indicator],
        }
    value, comps, pct = result
    indicator.update(
        value=_num(value),
        comparators={k: _num(v) for k, v in comps.items()},
        percentile=_num(pct),
        need_percentile=None if _num(pct) is None else 100 - pct,
        status="ok",
    )
    return {"status": "ok", "indicators": [indicator]}


def profile_area(con: duckdb.DuckDBPyConnection, area: Area, edition: str) -> dict:
    """The profile of a resolved area (see the module docstring for the shape)."""
    from leftbehind.editions import get_edition
    from leftbehind.profiles.summary_text import summarise

    data = values.edition_data(con, edition)
    nation = get_edition(edition).nation
    reference_type = area.type if area.type in data.units else values.EDITION_GEOGRAPHY[edition]
    indicators = _indicator_dicts(data, area, reference_type)
    by_dim: dict[str, list[dict]] = {}
    for item in indicators.values():
        by_dim.setdefault(item["dimension"], []).append(item)
    dimensions = []
    for dim in framework.DIMENSIONS:
        entry = {"id": dim.id, "label": dim.label, "report_heading": dim.report_heading}
        if dim.id == "funding":
            entry.update(_funding(con, data, area))
        else:
            items = by_dim.get(dim.id, [])
            entry["indicators"] = items
            numeric = [i for i in items if i["value"] is not None]
            entry["status"] = "ok" if numeric else "no_data"
            if not items:
                entry["note"] = _("No data for {nation} yet.").format(nation=_(nation))
        entry["need_percentile"] = _mean([i.get("need_percentile") for i in entry["indicators"]])
        entry["comparator_need_percentiles"] = {
            name: _mean(
                [
                    _need(i["comparator_percentiles"].get(name), i["direction"])
                    for i in entry["indicators"]
                    if "comparator_percentiles" in i
                ]
            )
            for name in values.COMPARATORS
        }
        dimensions.append(entry)
    group, shares = group_info(data, area)
    result = {
        "code": area.code,
        "name": area.name,
        "type": area.type,
        "type_label": values.TYPE_WORDS.get(area.type, area.type),
        "edition": edition,
        "group": group,
        "group_shares": shares,
        "groups_by_edition": groups_by_edition(con, area, nation),
        "local_authority": {"code": area.la_code, "name": area.la_name} if area.la_code else None,
        "nation": nation,
        "population": (
            round(float(data.population[area.rows].sum())) if data.has_population else None
        ),
        "small_areas": len(area.rows),
        "percentile_among": values.TYPE_WORDS.get(reference_type, reference_type),
        "members": list(area.members) or None,
        "dimensions": dimensions,
        "supporting": by_dim.get("supporting", []),
    }
    sentences = summarise(result)
    result["summary"] = " ".join(s["text"] for s in sentences)
    result["summary_sentences"] = sentences
    return result


def _need(pct: float | None, direction: str) -> float | None:
    if pct is None:
        return None
    return pct if direction == "higher_is_worse" else 100 - pct


def _mean(items: list[float | None]) -> float | None:
    nums = [x for x in items if x is not None]
    return round(sum(nums) / len(nums), 1) if nums else None


def profile(
    con: duckdb.DuckDBPyConnection,
    query: str | list[str],
    edition: str | None = None,
    name: str | None = None,
) -> dict:
    """Profile an area given by code, name, or a list of codes (a custom neighbourhood).
    ``name``: the custom area's name, or the name to call a single area by (its name in the
    reader's language, such as the Welsh MSOA name)."""
    if edition is None:
        from leftbehind.settings import get_settings

        edition = get_settings().edition
    if isinstance(query, list | tuple):
        area = custom_area(con, list(query), edition, name=name)
    else:
        area = resolve(con, query, edition)
        if name:
            area = dataclasses.replace(area, name=name)
    result = profile_area(con, area, edition)
    result["robustness"] = area_robustness(con, edition, result["code"])
    return result


def area_robustness(con: duckdb.DuckDBPyConnection, edition: str, code: str) -> dict | None:
    """How sure the classification is ('left behind in 97 of 100 plausible ways of measuring'),
    from the robustness results stored by the build; ``None`` where there are none for the
    area (other geographies, custom lists, editions without an uncertainty analysis).

    Reads :func:`robustness_by_area` (one query per store and edition), so a warm call makes no
    DuckDB query."""
    by_area = robustness_by_area(con, edition)
    return None if by_area is None else by_area.get(code)


_ROBUSTNESS: dict[tuple, Mapping[str, dict] | None] = {}
_ROBUSTNESS_LOCK = threading.Lock()
values.register_cache(_ROBUSTNESS)


def robustness_by_area(con: duckdb.DuckDBPyConnection, edition: str) -> Mapping[str, dict] | None:
    """Area code -> :func:`leftbehind.robustness.results.robustness_for_area` of ``edition``
    at the defaults, read once per store (path and build fingerprint) and edition and cached;
    ``None`` when the store has no robustness results or the edition no analysis."""
    key = (*values._cached_store_key(con), edition)
    try:
        return _ROBUSTNESS[key]
    except KeyError:
        pass
    with _ROBUSTNESS_LOCK:
        if key not in _ROBUSTNESS:
            _ROBUSTNESS[key] = _load_robustness(con, edition)
        return _ROBUSTNESS[key]


def _load_robustness(con: duckdb.DuckDBPyConnection, edition: str) -> Mapping[str, dict] | None:
    from leftbehind.errors import InvalidInput
    from leftbehind.robustness.results import RESULTS_TABLE, AreaRobustness, run_robustness

    stored = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [RESULTS_TABLE]
    ).fetchone()[0]
    if not stored:
        return None
    try:
        return AreaRobustness(run_robustness(con, edition))
    except (UnknownName, InvalidInput):
        return None


def profiles_for_type(con: duckdb.DuckDBPyConnection, unit_type: str, edition: str) -> list[dict]:
    """Profiles for every area of one geography (e.g. all 7,433 wards)."""
    data = values.edition_data(con, edition)
    if unit_type not in data.units:
        raise UnknownName(
            f"edition {edition} has geographies {', '.join(data.units)}, not {unit_type}"
        )
    units = data.units[unit_type]
    return [
        profile_area(con, _unit_area(data, unit_type, i), edition) for i in range(len(units.codes))
    ]


def indicator_frame(result: dict) -> pd.DataFrame:
    """A profile's indicators as a flat table (for Markdown/CSV output)."""
    rows = []
    for dim in result["dimensions"]:
        for ind in dim["indicators"]:
            rows.append(
                {
                    "dimension": dim["label"],
                    **{k: ind.get(k) for k in ("id", "label", "value", "unit", "percentile")},
                    **{f"{k}": v for k, v in ind["comparators"].items()},
                    "source": ind["source"],
                }
            )
    return pd.DataFrame(rows)
