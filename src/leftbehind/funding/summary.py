"""Where grant money lands, per head: by comparator group, funder, year and local authority.

Grants located to a neighbourhood (LSOA, ward, MSOA) are placed into the edition's areas
through the store's lookups, splitting by Census 2021 population where a code covers several
areas; grants located only to a local authority are spread over its neighbourhoods by
population only when imported with ``--apportion`` (flagged ``apportioned``). Non-GBP grants
without a rate are not summed. Everything else is reported as not placed, with counts and money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from leftbehind.errors import InvalidInput
from leftbehind.funding.reconcile import reconcile

GROUPS = ("left_behind", "other_deprived")


def _tables(con) -> set[str]:
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def _require_grants(con) -> None:
    if "grants" not in _tables(con):
        raise InvalidInput(
            "no grants in the store; import 360Giving files first with "
            "'leftbehind grants import FILE'"
        )


def _member_sql(tables: set[str]) -> str:
    """(geo, code, l21): which LSOA21s make up each LSOA11, ward, MSOA and local authority."""
    parts = [
        "SELECT 'lsoa21' AS geo, lsoa21_code AS code, lsoa21_code AS l21 FROM population21_lsoa21"
    ]
    l11 = "lookup_lsoa11_lsoa21_ltla22"
    if l11 in tables:
        parts += [
            f"SELECT 'lsoa11', lsoa11_code, lsoa21_code FROM {l11}",
            f"SELECT 'la', ltla22_code, lsoa21_code FROM {l11}",
        ]
        if "lookup_lsoa11_ward17" in tables:
            parts.append(
                f"SELECT 'ward', w.ward17_code, m.lsoa21_code FROM lookup_lsoa11_ward17 w "
                f"JOIN {l11} m ON m.lsoa11_code = w.lsoa11_code"
            )
        if "lookup_lsoa11_msoa11" in tables:
            parts.append(
                f"SELECT 'msoa', s.msoa11_code, m.lsoa21_code FROM lookup_lsoa11_msoa11 s "
                f"JOIN {l11} m ON m.lsoa11_code = s.lsoa11_code"
            )
        if "lookup_lsoa11_ltla19" in tables:
            parts.append(
                f"SELECT 'la', f.ltla19_code, m.lsoa21_code FROM lookup_lsoa11_ltla19 f "
                f"JOIN {l11} m ON m.lsoa11_code = f.lsoa11_code"
            )
            if "lookup_ltla19_utla19" in tables:
                parts.append(
                    f"SELECT 'la', u.utla19_code, m.lsoa21_code FROM lookup_ltla19_utla19 u "
                    "JOIN lookup_lsoa11_ltla19 f ON f.ltla19_code = u.ltla19_code "
                    f"JOIN {l11} m ON m.lsoa11_code = f.lsoa11_code"
                )
    if "lookup_lsoa21_ward24_ltla24" in tables:
        parts += [
            "SELECT 'ward', ward24_code, lsoa21_code FROM lookup_lsoa21_ward24_ltla24",
            "SELECT 'la', ltla24_code, lsoa21_code FROM lookup_lsoa21_ward24_ltla24",
        ]
    return " UNION ALL ".join(parts)


def _to_area_sql(geography: str, tables: set[str]) -> tuple[str, str]:
    """(SQL of l21 -> area with weight w, direct geo key) for the edition's geography."""
    if geography == "lsoa21":
        return (
            "SELECT lsoa21_code AS l21, lsoa21_code AS area, 1.0 AS w FROM population21_lsoa21",
            "lsoa21",
        )
    via = {"ward17": ("lookup_lsoa11_ward17", "ward17_code", "ward"),
           "msoa11": ("lookup_lsoa11_msoa11", "msoa11_code", "msoa"),
           "lsoa11": (None, "lsoa11_code", "lsoa11")}  # fmt: skip
    if geography not in via or "lookup_lsoa11_lsoa21_ltla22" not in tables:
        return "SELECT NULL::VARCHAR AS l21, NULL::VARCHAR AS area, 0.0 AS w WHERE false", {
            "iz11": "iz11", "soa11": "small_area"
        }.get(geography, geography)  # fmt: skip
    table, col, direct = via[geography]
    join = f"JOIN {table} t ON t.lsoa11_code = m.lsoa11_code" if table else ""
    area_col = f"t.{col}" if table else "m.lsoa11_code"
    pop = "population19_lsoa11" if "population19_lsoa11" in tables else None
    weight = (
        "coalesce(p.total_population, 0)::DOUBLE / nullif(sum(coalesce(p.total_population, 0)) "
        "OVER (PARTITION BY m.lsoa21_code), 0)"
        if pop
        else "1.0 / count(*) OVER (PARTITION BY m.lsoa21_code)"
    )
    pjoin = f"LEFT JOIN {pop} p ON p.lsoa11_code = m.lsoa11_code" if pop else ""
    sql = (
        f"SELECT m.lsoa21_code AS l21, {area_col} AS area, {weight} AS w "
        f"FROM (SELECT DISTINCT lsoa11_code, lsoa21_code FROM lookup_lsoa11_lsoa21_ltla22) m "
        f"{join} {pjoin}"
    )
    return sql, direct


#: What the placement reads of each grant.
PLACEMENT_COLUMNS = [
    "identifier", "amount_gbp", "location_code", "location_geography", "location_method",
    "apportioned", "funder_name", "award_year",
]  # fmt: skip


def grants_relation(grants: pd.DataFrame) -> pd.DataFrame:
    """The columns the placement SQL reads, typed for DuckDB (missing money is NULL)."""
    out = pd.DataFrame(
        {
            "identifier": grants["identifier"].astype(str),
            "amount_gbp": pd.array(grants["amount_gbp"], dtype="Float64"),
            "location_code": grants["location_code"].astype(object),
            "location_geography": grants["location_geography"].astype(object),
            "location_method": grants["location_method"].astype(str),
            "apportioned": grants["apportioned"].astype(bool),
            "funder_name": grants["funder_name"].astype(object),
            "award_year": pd.array(grants["award_year"], dtype="Int64"),
        }
    )
    return out.where(out.notna(), None) if len(out) else out


def stored_grants(con) -> pd.DataFrame:
    """The grants of a legacy store (a ``grants`` table or view on ``con``), for tests and old
    callers; new code passes the community database's grants (``community.grants.load``)."""
    _require_grants(con)
    frame = con.execute("SELECT * FROM grants").df()
    if "amount_gbp" not in frame and "amount_gbp_pence" in frame:
        frame["amount_gbp"] = frame["amount_gbp_pence"] / 100
    return frame


def placed_grants(
    con,
    geography: str,
    area_codes: list[str] | None = None,
    grants: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (grant, edition area) with the share ``w`` of the grant placed there.

    ``con``: the evidence store (read-only is enough) for its lookups and populations;
    ``grants``: the grants to place (default: a ``grants`` relation on ``con``)."""
    if grants is None:
        grants = stored_grants(con)
    tables = _tables(con)
    member = _member_sql(tables)
    to_area, direct_geo = _to_area_sql(geography, tables)
    con.register("grants_in", grants_relation(grants))
    con.register("edition_areas", pd.DataFrame({"area": list(area_codes or [])}))
    in_areas = "AND {col} IN (SELECT area FROM edition_areas)" if area_codes else ""
    try:
        sql = f"""
        WITH pop21 AS (
            SELECT lsoa21_code AS l21, residents::DOUBLE AS pop FROM population21_lsoa21),
        member AS (SELECT DISTINCT geo, code, l21 FROM ({member})),
        weights AS (
            SELECT m.geo, m.code, m.l21,
                   coalesce(p.pop, 0) / nullif(sum(coalesce(p.pop, 0))
                       OVER (PARTITION BY m.geo, m.code), 0) AS w
            FROM member m LEFT JOIN pop21 p USING (l21)),
        g AS (
            SELECT identifier, amount_gbp, location_code AS code,
                   CASE WHEN location_geography IN ('ltla', 'utla') AND apportioned THEN 'la'
                        WHEN location_geography IN ('ltla', 'utla') THEN NULL
                        ELSE location_geography END AS geo
            FROM grants_in WHERE amount_gbp IS NOT NULL AND location_method <> 'unlocated'),
        direct AS (
            SELECT g.identifier, g.code AS area, 1.0 AS w FROM g
            WHERE g.geo = '{direct_geo}' {in_areas.format(col="g.code")}),
        via AS (
            SELECT g.identifier, a.area, sum(wt.w * a.w) AS w
            FROM g JOIN weights wt ON wt.geo = g.geo AND wt.code = g.code
            JOIN ({to_area}) a ON a.l21 = wt.l21
            WHERE g.identifier NOT IN (SELECT identifier FROM direct)
            GROUP BY ALL)
        SELECT x.identifier, x.area AS code, x.w, gr.amount_gbp * x.w AS amount_gbp,
               gr.funder_name, gr.award_year, gr.apportioned
        FROM (SELECT * FROM direct UNION ALL SELECT * FROM via) x
        JOIN grants_in gr USING (identifier)
        WHERE x.w > 0 {in_areas.format(col="x.area")}
        """
        return con.execute(sql).df()
    finally:
        con.unregister("edition_areas")
        con.unregister("grants_in")


@dataclass(frozen=True)
class Reach:
    """Where a code of each geography reaches in one edition geography, from the store alone
    (computed once per edition while serving: the store is read-only): ``shares`` (geo, code,
    area, w: the population share of the code in the area), ``people`` (geo, code, pop: the
    Census 2021 residents the code covers) and the geography matched directly."""

    geography: str
    direct_geo: str
    shares: pd.DataFrame
    people: pd.DataFrame


def reach(con, geography: str) -> Reach:
    """The :class:`Reach` of ``geography`` (the SQL of :func:`placed_grants`, for every code)."""
    tables = _tables(con)
    to_area, direct_geo = _to_area_sql(geography, tables)
    base = f"""
        WITH pop21 AS (
            SELECT lsoa21_code AS l21, residents::DOUBLE AS pop FROM population21_lsoa21),
        member AS (SELECT DISTINCT geo, code, l21 FROM ({_member_sql(tables)}))"""
    shares = con.execute(
        f"""{base},
        weights AS (
            SELECT m.geo, m.code, m.l21,
                   coalesce(p.pop, 0) / nullif(sum(coalesce(p.pop, 0))
                       OVER (PARTITION BY m.geo, m.code), 0) AS w
            FROM member m LEFT JOIN pop21 p USING (l21))
        SELECT wt.geo, wt.code, a.area, sum(wt.w * a.w) AS w
        FROM weights wt JOIN ({to_area}) a ON a.l21 = wt.l21
        GROUP BY ALL HAVING sum(wt.w * a.w) > 0"""
    ).df()
    people = con.execute(
        f"""{base}
        SELECT m.geo, m.code, sum(coalesce(p.pop, 0)) AS pop
        FROM member m LEFT JOIN pop21 p USING (l21) GROUP BY ALL"""
    ).df()
    return Reach(geography, direct_geo, shares, people)


def _placeable(grants: pd.DataFrame) -> pd.DataFrame:
    """Located GBP grants with the geography key the lookups use (``la`` when apportioned)."""
    g = grants[grants["amount_gbp"].notna() & (grants["location_method"] != "unlocated")]
    la = g["location_geography"].isin(["ltla", "utla"])
    geo = g["location_geography"].where(~la, None)
    geo = geo.where(~(la & g["apportioned"].astype(bool)), "la")
    return pd.DataFrame({"identifier": g["identifier"].astype(str).to_numpy(),
                         "geo": geo.to_numpy(), "code": g["location_code"].to_numpy()})  # fmt: skip


def place_with(
    where: Reach, grants: pd.DataFrame, area_codes: list[str]
) -> tuple[pd.DataFrame, set[str]]:
    """:func:`placed_grants` and :func:`unpopulated_grants` from a precomputed :class:`Reach`
    (pandas joins only: milliseconds per thousand grants)."""
    g = _placeable(grants)
    codes = set(area_codes)
    direct = g[(g["geo"] == where.direct_geo) & g["code"].isin(codes)]
    direct = pd.DataFrame({"identifier": direct["identifier"], "code": direct["code"], "w": 1.0})
    rest = g[~g["identifier"].isin(set(direct["identifier"]))]
    via = rest.merge(where.shares, on=["geo", "code"], how="inner")
    via = via[via["area"].isin(codes)]
    via = via.groupby(["identifier", "area"], as_index=False)["w"].sum()
    via = via.rename(columns={"area": "code"})
    placed = pd.concat([direct, via], ignore_index=True)
    placed = placed[placed["w"] > 0]
    attrs = grants.assign(identifier=grants["identifier"].astype(str)).set_index("identifier")
    attrs = attrs[["amount_gbp", "funder_name", "award_year", "apportioned"]]
    placed = placed.join(attrs, on="identifier")
    placed["amount_gbp"] = placed["amount_gbp"].astype(float) * placed["w"]
    located = grants[grants["location_method"] != "unlocated"]
    lg = pd.DataFrame({
        "identifier": located["identifier"].astype(str),
        "geo": located["location_geography"].where(
            ~located["location_geography"].isin(["ltla", "utla"]), "la"),
        "code": located["location_code"],
    })  # fmt: skip
    nobody = lg.merge(where.people, on=["geo", "code"], how="inner")
    return placed.reset_index(drop=True), set(nobody.loc[nobody["pop"] == 0, "identifier"])


def unpopulated_grants(con, grants: pd.DataFrame) -> set[str]:
    """Identifiers of located grants whose code covers no resident (every LSOA in it has no
    Census 2021 population), so no share of them can be placed by population."""
    tables = _tables(con)
    con.register("grants_in", grants_relation(grants))
    try:
        rows = con.execute(
            f"""
            WITH pop21 AS (
                SELECT lsoa21_code AS l21, residents::DOUBLE AS pop FROM population21_lsoa21),
            member AS (SELECT DISTINCT geo, code, l21 FROM ({_member_sql(tables)})),
            reach AS (
                SELECT m.geo, m.code, sum(coalesce(p.pop, 0)) AS pop
                FROM member m LEFT JOIN pop21 p USING (l21) GROUP BY ALL)
            SELECT g.identifier FROM grants_in g
            JOIN reach r ON r.code = g.location_code AND r.geo = CASE
                WHEN g.location_geography IN ('ltla', 'utla') THEN 'la'
                ELSE g.location_geography END
            WHERE g.location_method <> 'unlocated' AND r.pop = 0
            """
        ).fetchall()
    finally:
        con.unregister("grants_in")
    return {r[0] for r in rows}


def _edition_areas(con, edition: str, areas: pd.DataFrame | None) -> tuple[str, pd.DataFrame]:
    from leftbehind.editions import get_edition

    geography = get_edition(edition).geography
    if areas is None:
        from leftbehind.identify import identify

        areas = identify(con, edition)
    return geography, areas


def _filter_years(placed: pd.DataFrame, year_from: int | None, year_to: int | None) -> pd.DataFrame:
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InvalidInput(f"--from {year_from} is after --to {year_to}; give --from <= --to")
    keep = pd.Series(True, index=placed.index)
    if year_from is not None:
        keep &= placed["award_year"] >= year_from
    if year_to is not None:
        keep &= placed["award_year"] <= year_to
    return placed[keep]


def _per_area(placed: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """``areas`` with the ``grants`` (sum of shares) and ``amount_gbp`` placed in each."""
    sums = placed.groupby("code").agg(grants=("w", "sum"), amount_gbp=("amount_gbp", "sum"))
    return areas.merge(sums, left_on="code", right_index=True, how="left").fillna(
        {"grants": 0.0, "amount_gbp": 0.0}
    )


def area_grants(
    con,
    edition: str,
    year_from: int | None = None,
    year_to: int | None = None,
    areas: pd.DataFrame | None = None,
    grants: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``identify()`` frame of the edition with ``grants`` and ``amount_gbp`` per area.

    ``grants`` counts grants, a grant split over several areas counting by its share; neither is
    rounded. ``areas``: the ``identify()`` frame (computed when not given).
    """
    geography, areas = _edition_areas(con, edition, areas)
    placed = _filter_years(
        placed_grants(con, geography, areas["code"].tolist(), grants), year_from, year_to
    )
    return _per_area(placed, areas)


def per_head(amount: float, population: float) -> float | None:
    """Money per person: summed money over summed population; ``None`` without population.

    >>> per_head(250.0, 100.0), per_head(5.0, 0.0)
    (2.5, None)
    """
    return amount / population if population > 0 else None


def group_totals(per_area: pd.DataFrame) -> dict[str, dict]:
    """Totals for ``left_behind``, ``other_deprived`` and ``nation`` (every edition area).

    ``per_area``: one row per edition area with ``group, population, grants, amount_gbp`` (as
    :func:`area_grants`). Each entry has ``areas, population, grants, amount_gbp, per_head``,
    unrounded; ``per_head`` is the group's summed money over its summed population, the one
    definition used by the grants summary and by the profiles' dimension 9.
    """
    parts = {g: per_area[per_area["group"] == g] for g in GROUPS}
    parts["nation"] = per_area
    out = {}
    for name, part in parts.items():
        population = float(part["population"].sum())
        amount = float(part["amount_gbp"].sum())
        out[name] = {
            "areas": len(part),
            "population": population,
            "grants": float(part["grants"].sum()),
            "amount_gbp": amount,
            "per_head": per_head(amount, population),
        }
    return out


def grant_totals(
    con,
    edition: str,
    year_from: int | None = None,
    year_to: int | None = None,
    areas: pd.DataFrame | None = None,
    grants: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per area of the edition: ``code, grants, amount_gbp, amount_per_head`` (0 where none).

    ``grants`` counts grants, a grant split over several areas counting by its share.
    ``areas``: the ``identify()`` frame (computed when not given).
    """
    out = area_grants(con, edition, year_from, year_to, areas, grants)
    pop = out["population"].astype("float64")
    out["amount_per_head"] = (out["amount_gbp"] / pop.where(pop > 0)).round(4)
    out["grants"] = out["grants"].round(4)
    out["amount_gbp"] = out["amount_gbp"].round(2)
    return out[["code", "grants", "amount_gbp", "amount_per_head"]].reset_index(drop=True)


def _group_rows(placed: pd.DataFrame, areas: pd.DataFrame, nation: str) -> list[dict]:
    """Rounded per-head rows for left_behind, other_deprived and the whole nation."""
    rows = []
    for name, t in group_totals(_per_area(placed, areas)).items():
        population = t["population"]
        rows.append(
            {
                "group": nation if name == "nation" else name,
                "areas": t["areas"],
                "population": int(population),
                "grants": round(t["grants"], 2),
                "amount_gbp": round(t["amount_gbp"], 2),
                "per_head": None if t["per_head"] is None else round(t["per_head"], 2),
                "grants_per_1000": round(1000 * t["grants"] / population, 3)
                if population
                else None,
            }
        )
    return rows


def _keyed_group_rows(
    placed: pd.DataFrame, areas: pd.DataFrame, nation: str
) -> list[tuple[Any, list[dict]]]:
    """:func:`_group_rows` for every value of ``placed['_key']`` at once (sorted by key): the
    groups' areas and population do not depend on the key, only the money does."""
    if placed.empty:
        return []
    group_of = areas.set_index("code")["group"]
    part = placed.assign(_group=placed["code"].map(group_of))
    sums = part.groupby(["_key", "_group"])[["w", "amount_gbp"]].sum()
    totals = part.groupby("_key")[["w", "amount_gbp"]].sum()
    sizes = {
        g: (
            int((areas["group"] == g).sum()),
            float(areas.loc[areas["group"] == g, "population"].sum()),
        )
        for g in GROUPS
    }
    sizes["nation"] = (len(areas), float(areas["population"].sum()))  # fmt: skip
    out = []
    for key in totals.index:
        rows = []
        for name in (*GROUPS, "nation"):
            if name == "nation":
                grants, amount = totals.loc[key, "w"], totals.loc[key, "amount_gbp"]
            elif (key, name) in sums.index:
                grants, amount = sums.loc[(key, name), "w"], sums.loc[(key, name), "amount_gbp"]
            else:
                grants, amount = 0.0, 0.0
            count, population = sizes[name]
            rows.append(
                {
                    "group": nation if name == "nation" else name,
                    "areas": count,
                    "population": int(population),
                    "grants": round(float(grants), 2),
                    "amount_gbp": round(float(amount), 2),
                    "per_head": None if population <= 0 else round(float(amount) / population, 2),
                    "grants_per_1000": round(1000 * float(grants) / population, 3)
                    if population
                    else None,
                }
            )
        out.append((key, rows))
    return out


def check_years(year_from: int | None, year_to: int | None) -> None:
    """A year range must run forwards."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InvalidInput(
            f"--from {year_from} is after --to {year_to}; give a first year <= the last year",
            parameter="from",
        )


# -- filters -----------------------------------------------------------------------------------
#: The report's filter: grants of £1m or less (APPG 2023, from GrantNav).
REPORT_MAX_GRANT = 1_000_000
MAX_FILTER_TEXT = 200


@dataclass(frozen=True)
class GrantFilters:
    """Which grants a summary or list covers: award years, the largest grant (GBP), a funder
    (by identifier, or by name: case-insensitive, a part of the name is enough) and a funder
    type (where the data states it)."""

    year_from: int | None = None
    year_to: int | None = None
    max_grant: float | None = None
    funder: str | None = None
    funder_type: str | None = None

    def __post_init__(self) -> None:
        check_years(self.year_from, self.year_to)
        if self.max_grant is not None and not (
            math.isfinite(self.max_grant) and self.max_grant > 0
        ):
            raise InvalidInput(
                f"--max-grant {self.max_grant} is not a positive amount in pounds; give e.g. "
                "--max-grant 1000000 (the report's £1m)",
                parameter="max_grant",
            )
        for name in ("funder", "funder_type"):
            value = getattr(self, name)
            if value is not None:
                text = value.strip()
                if not text or len(text) > MAX_FILTER_TEXT:
                    raise InvalidInput(
                        f"--{name.replace('_', '-')} must be 1 to {MAX_FILTER_TEXT} characters "
                        "(a funder's name, part of it, or its 360Giving identifier)",
                        parameter=name,
                    )
                object.__setattr__(self, name, text)

    @property
    def key(self) -> tuple:
        return (self.year_from, self.year_to, self.max_grant,
                self.funder and self.funder.casefold(),
                self.funder_type and self.funder_type.casefold())  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.year_from, "to": self.year_to, "max_grant": self.max_grant,
            "funder": self.funder, "funder_type": self.funder_type,
        }  # fmt: skip

    def applied(self) -> list[str]:
        """Each filter in force, in plain words (shown with every figure)."""
        out = []
        if self.year_from is not None or self.year_to is not None:
            out.append(f"awarded {self.year_from or 'any year'} to {self.year_to or 'any year'}")
        if self.max_grant is not None:
            report = " (as the report did)" if self.max_grant == REPORT_MAX_GRANT else ""
            out.append(f"grants of at most £{self.max_grant:,.2f} each{report}")
        if self.funder is not None:
            out.append(f"funder matching '{self.funder}' (identifier, or name containing it)")
        if self.funder_type is not None:
            out.append(f"funder type '{self.funder_type}'")
        return out

    def mask(self, grants: pd.DataFrame) -> pd.Series:
        keep = pd.Series(True, index=grants.index)
        years = pd.to_numeric(grants["award_year"], errors="coerce")
        if self.year_from is not None:
            keep &= years >= self.year_from
        if self.year_to is not None:
            keep &= years <= self.year_to
        if self.max_grant is not None:
            limit = round(self.max_grant * 100)
            pence = pd.to_numeric(grants["amount_gbp_pence"], errors="coerce")
            keep &= pence.isna() | (pence <= limit)
        if self.funder is not None:
            query = self.funder.casefold()
            ids = grants["funder_id"].fillna("").astype(str).str.casefold()
            names = grants["funder_name"].fillna("").astype(str).str.casefold()
            keep &= (ids == query) | names.str.contains(query, regex=False)
        if self.funder_type is not None:
            kinds = grants["funder_type"].fillna("").astype(str).str.casefold()
            keep &= kinds == self.funder_type.casefold()
        return keep


NO_FILTERS = GrantFilters()


# -- placement (once per grants version and edition), then summaries per filter ---------------
@dataclass
class Placement:
    """Where every grant lands in one edition: the expensive part of a summary, computed once
    per version of the grants and reused by every filter."""

    edition: str
    nation: str
    areas: pd.DataFrame
    grants: pd.DataFrame
    #: one row per (grant, edition area with a share): identifier, code, w, amount_gbp, ...
    shares: pd.DataFrame
    no_population: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return self.grants.empty


def place(
    con,
    grants: pd.DataFrame,
    edition: str,
    areas: pd.DataFrame | None = None,
    where: Reach | None = None,
) -> Placement:
    """Place ``grants`` (``community.grants.load`` frame) in ``edition``'s areas using the
    store behind ``con`` (read-only); ``where``: the edition geography's :class:`Reach`, when
    already computed (the site keeps it)."""
    from leftbehind.editions import EDITIONS

    geography, areas = _edition_areas(con, edition, areas)
    if grants.empty:
        shares = pd.DataFrame(columns=["identifier", "code", "w", "amount_gbp", "funder_name",
                                       "award_year", "apportioned"])  # fmt: skip
        unpopulated: set[str] = set()
    else:
        where = where if where is not None else reach(con, geography)
        shares, unpopulated = place_with(where, grants, areas["code"].tolist())
    return Placement(edition, EDITIONS[edition].nation, areas, grants, shares, unpopulated)


def summarise(placement: Placement, filters: GrantFilters = NO_FILTERS) -> dict:
    """The per-head report for the grants ``filters`` select: groups, by funder, by year, by
    local authority, coverage, and the money reconciliation (``reconciliation``: every penny
    imported, placed or not, by reason)."""

    areas, nation = placement.areas, placement.nation
    grants = placement.grants[filters.mask(placement.grants)]
    chosen = set(grants["identifier"])
    shares = placement.shares[placement.shares["identifier"].isin(chosen)]
    populated = set(areas.loc[areas["population"].fillna(0) > 0, "code"])
    in_pop = shares["code"].isin(populated)
    placed = shares[in_pop]
    groups = _group_rows(placed, areas, nation)
    funder_ids = (
        grants.dropna(subset=["funder_name"]).groupby("funder_name")["funder_id"].first()
        if len(grants)
        else pd.Series(dtype=object)
    )
    by_funder = []
    funders = placed["funder_name"].astype(object).where(placed["funder_name"].notna(), None)
    for funder, rows in _keyed_group_rows(
        placed.assign(_key=funders.fillna("(unknown funder)")), areas, nation
    ):
        fid = funder_ids.get(funder)
        for row in rows:
            by_funder.append({"funder": funder, "funder_id": None if pd.isna(fid) else fid, **row})
    by_year = []
    for year, rows in _keyed_group_rows(placed.assign(_key=placed["award_year"]), areas, nation):
        for row in rows:
            by_year.append({"year": int(year), **row})
    la = _per_area(placed, areas)
    by_la = (
        la.groupby(["local_authority_code", "local_authority"], dropna=False)
        .agg(
            population=("population", "sum"),
            grants=("grants", "sum"),
            amount_gbp=("amount_gbp", "sum"),
        )
        .reset_index()
    )
    by_la["per_head"] = (
        by_la["amount_gbp"] / by_la["population"].where(by_la["population"] > 0)
    ).round(2)
    by_la["grants"] = by_la["grants"].round(2)
    by_la["amount_gbp"] = by_la["amount_gbp"].round(2)

    share_in = placed.groupby("identifier")["w"].sum()
    share_empty = shares[~in_pop].groupby("identifier")["w"].sum()
    nation_letter = {"England": "E", "Wales": "W", "Scotland": "S",
                     "Northern Ireland": "N"}.get(nation, "")  # fmt: skip
    money = reconcile(grants, share_in, share_empty, placement.no_population, nation_letter)

    gbp = grants["amount_gbp_pence"].notna()
    unlocated = grants["location_method"] == "unlocated"
    la_only = grants["location_geography"].isin(["ltla", "utla"]) & ~grants["apportioned"].astype(
        bool
    )
    pence = pd.to_numeric(grants["amount_gbp_pence"], errors="coerce").fillna(0)
    outside = {r["reason"]: r for r in money["located_outside"]["reasons"]}

    def out_count(key: str) -> int:
        return int(outside[key]["grants"]) if key in outside else 0

    coverage = {
        "grants": len(grants),
        "amount_gbp": money["total"]["amount_gbp"],
        "placed_grants": int(placed["identifier"].nunique()),
        "placed_amount_gbp": money["placed"]["amount_gbp"],
        "unlocated_grants": int(unlocated.sum()),
        "unlocated_amount_gbp": round(int(pence[unlocated].sum()) / 100, 2),
        "local_authority_only_grants": int(la_only.sum()),
        "local_authority_only_amount_gbp": round(int(pence[la_only & gbp].sum()) / 100, 2),
        "apportioned_grants": int(grants["apportioned"].astype(bool).sum()),
        "not_gbp_grants": int((~gbp).sum()),
        "other_nation_grants": out_count("other_nation"),
        "not_covered_grants": out_count("not_covered"),
        "no_population_grants": out_count("no_population"),
    }
    return {
        "edition": placement.edition,
        "from": filters.year_from,
        "to": filters.year_to,
        "filters": filters.as_dict(),
        "filters_applied": filters.applied(),
        "groups": groups,
        "by_funder": by_funder,
        "by_year": by_year,
        "by_local_authority": by_la.to_dict("records"),
        "coverage": coverage,
        "reconciliation": money,
        "funder_types": sorted({str(t) for t in placement.grants["funder_type"].dropna()}),
    }


def summary(
    con,
    edition: str,
    year_from: int | None = None,
    year_to: int | None = None,
    areas: pd.DataFrame | None = None,
    grants: pd.DataFrame | None = None,
    filters: GrantFilters | None = None,
) -> dict:
    """The per-head report (:func:`summarise`) of ``grants`` (default: a ``grants`` relation
    on ``con``) in ``edition``; ``year_from``/``year_to`` are shorthand for ``filters``."""
    if filters is None:
        filters = GrantFilters(year_from=year_from, year_to=year_to)
    if grants is None:
        grants = stored_grants(con)
    return summarise(place(con, grants, edition, areas), filters)


# -- individual grants, paginated ------------------------------------------------------------
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
LIST_FIELDS = [
    "identifier", "title", "funder_id", "funder_name", "funder_type", "recipient_name",
    "award_date", "amount", "currency", "amount_gbp", "location_method", "location_code",
    "url", "data_source",
]  # fmt: skip


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def grant_list(
    placement: Placement,
    filters: GrantFilters = NO_FILTERS,
    area: str | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict:
    """Individual grants (newest first), a page at a time: those ``filters`` select, and with
    ``area`` only those with a share in that edition area (with the money placed there).
    Each carries ``link``: the publisher's page of the grant, else the file's data source."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(
            f"page_size {page_size} is outside 1-{MAX_PAGE_SIZE}", parameter="page_size"
        )
    if page < 1:
        raise InvalidInput(f"page {page} is below 1", parameter="page")
    grants = placement.grants[filters.mask(placement.grants)]
    share = None
    if area is not None:
        share = placement.shares[placement.shares["code"] == area].groupby("identifier")["w"].sum()
        grants = grants[grants["identifier"].isin(share.index)]
    grants = grants.sort_values(["award_date", "identifier"], ascending=[False, True])
    total = len(grants)
    pages = max(1, math.ceil(total / page_size))
    rows = grants.iloc[(page - 1) * page_size : page * page_size]
    out = []
    for rec in rows.to_dict("records"):
        item = {k: (None if _missing(rec.get(k)) else rec.get(k)) for k in LIST_FIELDS}
        item["award_date"] = str(rec["award_date"])[:10] if rec.get("award_date") else None
        item["link"] = item["url"] or item["data_source"]
        if share is not None:
            w = float(share.get(rec["identifier"], 0.0))
            item["share"] = round(w, 6)
            item["amount_in_area_gbp"] = (
                None if rec.get("amount_gbp") is None else round(rec["amount_gbp"] * w, 2)
            )
        out.append(item)
    return {
        "edition": placement.edition,
        "area": area,
        "filters": filters.as_dict(),
        "filters_applied": filters.applied(),
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": pages,
        "grants": out,
    }
