"""Where grant money lands, per head: by comparator group, funder, year and local authority.

Grants located to a neighbourhood (LSOA, ward, MSOA) are placed into the edition's areas
through the store's lookups, splitting by Census 2021 population where a code covers several
areas; grants located only to a local authority are spread over its neighbourhoods by
population only when imported with ``--apportion`` (flagged ``apportioned``). Non-GBP grants
without a rate are not summed. Everything else is reported as not placed, with counts and money.
"""

from __future__ import annotations

import pandas as pd

from leftbehind.errors import InvalidInput

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


def placed_grants(con, geography: str, area_codes: list[str] | None = None) -> pd.DataFrame:
    """One row per (grant, edition area) with the share ``w`` of the grant placed there."""
    _require_grants(con)
    tables = _tables(con)
    member = _member_sql(tables)
    to_area, direct_geo = _to_area_sql(geography, tables)
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
            FROM grants WHERE amount_gbp IS NOT NULL AND location_method <> 'unlocated'),
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
        JOIN grants gr USING (identifier)
        WHERE x.w > 0 {in_areas.format(col="x.area")}
        """
        return con.execute(sql).df()
    finally:
        con.unregister("edition_areas")


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
) -> pd.DataFrame:
    """The ``identify()`` frame of the edition with ``grants`` and ``amount_gbp`` per area.

    ``grants`` counts grants, a grant split over several areas counting by its share; neither is
    rounded. ``areas``: the ``identify()`` frame (computed when not given).
    """
    geography, areas = _edition_areas(con, edition, areas)
    placed = _filter_years(
        placed_grants(con, geography, areas["code"].tolist()), year_from, year_to
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
) -> pd.DataFrame:
    """Per area of the edition: ``code, grants, amount_gbp, amount_per_head`` (0 where none).

    ``grants`` counts grants, a grant split over several areas counting by its share.
    ``areas``: the ``identify()`` frame (computed when not given).
    """
    out = area_grants(con, edition, year_from, year_to, areas)
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


def check_years(year_from: int | None, year_to: int | None) -> None:
    """A year range must run forwards."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InvalidInput(
            f"--from {year_from} is after --to {year_to}; give a first year <= the last year",
            parameter="from",
        )


def summary(
    con,
    edition: str,
    year_from: int | None = None,
    year_to: int | None = None,
    areas: pd.DataFrame | None = None,
) -> dict:
    """The per-head report: groups, by funder, by year, by local authority, and what is unplaced."""
    from leftbehind.editions import EDITIONS

    check_years(year_from, year_to)

    geography, areas = _edition_areas(con, edition, areas)
    nation = EDITIONS[edition].nation
    placed = _filter_years(
        placed_grants(con, geography, areas["code"].tolist()), year_from, year_to
    )
    groups = _group_rows(placed, areas, nation)
    by_funder = []
    for funder, part in placed.groupby(placed["funder_name"].fillna("(unknown funder)")):
        for row in _group_rows(part, areas, nation):
            by_funder.append({"funder": funder, **row})
    by_year = []
    for year, part in placed.groupby("award_year"):
        for row in _group_rows(part, areas, nation):
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

    where = []
    params: list = []
    if year_from is not None:
        where.append("award_year >= ?")
        params.append(year_from)
    if year_to is not None:
        where.append("award_year <= ?")
        params.append(year_to)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    totals = con.execute(
        f"""SELECT count(*), coalesce(sum(amount_gbp), 0),
                   count(*) FILTER (WHERE location_method = 'unlocated'),
                   coalesce(sum(amount_gbp) FILTER (WHERE location_method = 'unlocated'), 0),
                   count(*) FILTER (WHERE location_geography IN ('ltla', 'utla')
                                    AND NOT apportioned),
                   coalesce(sum(amount_gbp) FILTER (WHERE location_geography IN ('ltla', 'utla')
                                                    AND NOT apportioned), 0),
                   count(*) FILTER (WHERE amount_gbp IS NULL),
                   count(*) FILTER (WHERE apportioned)
            FROM grants {clause}""",
        params,
    ).fetchall()[0]
    placed_ids = placed["identifier"].nunique()
    placed_amount = float(placed["amount_gbp"].sum())
    return {
        "edition": edition,
        "from": year_from,
        "to": year_to,
        "groups": groups,
        "by_funder": by_funder,
        "by_year": by_year,
        "by_local_authority": by_la.to_dict("records"),
        "coverage": {
            "grants": int(totals[0]),
            "amount_gbp": round(float(totals[1]), 2),
            "placed_grants": int(placed_ids),
            "placed_amount_gbp": round(placed_amount, 2),
            "unlocated_grants": int(totals[2]),
            "unlocated_amount_gbp": round(float(totals[3]), 2),
            "local_authority_only_grants": int(totals[4]),
            "local_authority_only_amount_gbp": round(float(totals[5]), 2),
            "apportioned_grants": int(totals[7]),
            "not_gbp_grants": int(totals[6]),
            "outside_edition_grants": int(
                totals[0] - placed_ids - totals[2] - totals[4] - totals[6]
            ),
        },
    }
