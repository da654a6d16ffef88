"""Public funding flows by local authority: the Levelling Up Fund (rounds 1 and 2) and core
spending power (2012-2021), compared by group of authority.

Method (also in ``docs/funding.md``):

* **Local authority codes** of any vintage 2016-2024 are carried to their 2024 district
  (``lookup_ltla_ltla``: the ONS successor of every code); all comparisons are by 2024 district.
* **Levelling Up Fund**: every successful bid's value (exact pence) goes to the local
  authorities it lists (``LADs``, ``;``-separated). A bid covering several authorities is split
  in proportion to their Census 2021 usual residents (England and Wales: 2021 LSOAs summed to
  2024 districts; Scotland: 2011 intermediate zones' 2021 estimates summed to councils), in
  integer pence by largest remainder, so the authorities' amounts add up exactly to the bid.
  Northern Ireland has no population in the store: a bid covering several of its councils is
  split equally (``method = 'equal'``).
* **Core spending power** (MHCLG settlements, £ million, 2012-2021; '..' = the authority had
  been abolished): a district, unitary, metropolitan district or London borough's own spending
  power goes to its 2024 district; a county council's is shared between the 2024 districts of
  its 2019 districts in proportion to their Census 2021 households (Dorset County Council,
  abolished in 2019, covered Christchurch, now in Bournemouth, Christchurch and Poole, and the
  districts now in Dorset; its share to BCP is weighted by all of BCP's households, slightly
  overstating it). Every year's amounts add up exactly to the file's total for the year.
* **Groups** (per identification edition): an authority is ``left_behind`` if at least one of
  its areas is left behind, ``other_deprived`` if it has other deprived areas but none left
  behind, else ``rest``. Per head = money / Census 2021 residents of the group's authorities;
  per household = money / Census 2021 households. Cash terms, not adjusted for inflation.

Not covered (no open, pinned source yet): the UK Shared Prosperity Fund, the Towns Fund and
the Community Ownership Fund.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import numpy as np
import pandas as pd

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.funding.allocate import largest_remainder


@dataclass(frozen=True)
class Fund:
    id: str
    source: str
    label: str
    year: int
    lead_column: str


FUNDS: dict[str, Fund] = {
    "luf1": Fund("luf1", "levelling_up_fund_round1", "Levelling Up Fund round 1", 2021,
                 "local_authority_name_area"),
    "luf2": Fund("luf2", "levelling_up_fund_round2", "Levelling Up Fund round 2", 2023,
                 "legal_name_of_lead_applicant_organisation"),
}  # fmt: skip
CSP_ID = "core_spending_power"
CSP_LABEL = "Core spending power of English councils"
CSP_SOURCE = "core_spending_power_2012_2021"
CSP_YEARS = tuple(range(2012, 2022))
NOT_COVERED = (
    "UK Shared Prosperity Fund (UKSPF)",
    "Towns Fund",
    "Community Ownership Fund",
)
GROUP_ORDER = ("left_behind", "other_deprived", "rest")
#: Dorset County Council (abolished April 2019) is not in the 2019 county lookup: its districts.
DORSET_COUNTY = {
    "E10000009": (
        "E07000048", "E07000049", "E07000050", "E07000051", "E07000052", "E07000053",
    )
}  # fmt: skip
METHOD_TEXT = (
    "A bid covering several local authorities is split between them in proportion to their "
    "Census 2021 usual residents (Northern Ireland, with no population in the store: equally), "
    "in whole pence by largest remainder, so the authorities' amounts add up exactly to the "
    "bid. Local authority codes of 2016-2024 are carried to their 2024 district. An authority "
    "is in the 'left behind' group if at least one of its areas in the edition is left behind, "
    "'other deprived' if it has other deprived areas only, else 'the rest'. Per head and per "
    "household use Census 2021 residents and households; cash terms, not adjusted for inflation."
)

BIDS = "public_fund_bids"
SPLITS = "public_fund_las"
CSP = "core_spending_power_las"
DENOMINATORS = "public_fund_denominators"
LA_GROUPS = "public_fund_la_groups"
COMPARISON = "public_fund_comparison"

TABLE_DOCS = {
    BIDS: {
        "": "Levelling Up Fund successful bids (rounds 1 and 2) as published, value in pence",
        "fund": "luf1 or luf2",
        "bid": "bid number within the fund (1 = first row of the file)",
        "lead": "lead applicant or local authority named by the file",
        "bid_name": "name of the bid",
        "country": "nation of the bid (round 2; round 1: from the codes)",
        "amount_pence": "bid value in pence (exact)",
        "lads": "local authority codes the bid covers, ';'-separated, as published",
        "notes": "the compiler's notes",
    },
    SPLITS: {
        "": "Levelling Up Fund bids split to 2024 local authorities by Census 2021 residents",
        "fund": "luf1 or luf2",
        "bid": "bid number within the fund",
        "ltla24_code": "2024 local authority district",
        "amount_pence": "the authority's part of the bid in pence (parts add up to the bid)",
        "method": "single (one authority), population or equal (no population: NI)",
    },
    CSP: {
        "": "Core spending power by 2024 district, 2012-2021, county councils shared by "
        "Census 2021 households",
        "ltla24_code": "2024 local authority district",
        "year": "settlement year (2012-2021)",
        "amount_pence": "core spending power in pence (own plus share of the county)",
        "county_pence": "of which the share of a county council's spending power",
    },
    DENOMINATORS: {
        "": "Census 2021 usual residents and households by 2024 local authority district",
        "ltla24_code": "2024 local authority district",
        "name": "name (2024)",
        "country": "E, W, S or N",
        "population": "Census 2021 usual residents (none for Northern Ireland)",
        "households": "Census 2021 households (England and Wales)",
    },
    LA_GROUPS: {
        "": "Group of each 2024 English local authority by identification edition",
        "edition": "English identification edition",
        "ltla24_code": "2024 local authority district",
        "group": "left_behind (has a left-behind area), other_deprived (other deprived "
        "areas only) or rest",
        "left_behind_areas": "number of the authority's left-behind areas in the edition",
        "other_deprived_areas": "number of its other deprived areas",
    },
    COMPARISON: {
        "": "Public funds compared by group of authority, per head and per household",
        "edition": "English identification edition",
        "fund": "luf1, luf2 or core_spending_power",
        "year": "year of the money (the fund's round year, or the spending power year)",
        "group": "left_behind, other_deprived, rest or england (all of the edition's authorities)",
        "authorities": "number of authorities in the group",
        "amount_pence": "money to the group's authorities in pence",
        "population": "Census 2021 residents of the group's authorities",
        "households": "Census 2021 households of the group's authorities",
    },
}


# ---------------------------------------------------------------------------------- amounts


def pence_of(text: object, *, scale: int = 100, what: str = "Bid Value") -> int:
    """Exact pence from a money cell: digits with optional `£`, commas and pence.

    >>> pence_of("£1,234.50"), pence_of("20000000.00"), pence_of("3.25", scale=10**8)
    (123450, 2000000000, 325000000)
    """
    raw = str(text).strip().replace(",", "").lstrip("£").strip()
    if not re.fullmatch(r"\d+(\.\d+)?", raw):
        raise InvalidInput(f"{what} {text!r} is not an amount; write digits like 1234567.89")
    value = Decimal(raw) * scale
    if value != value.to_integral_value():
        raise InvalidInput(f"{what} {text!r} has fractions of a penny; round it to pence")
    return int(value)


# ---------------------------------------------------------------------------------- geography


def code_map(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every local authority code of 2016-2024 -> its 2024 district code."""
    cols = [r[0] for r in con.execute("DESCRIBE lookup_ltla_ltla").fetchall()]
    codes = [c for c in cols if c.endswith("_code")]
    frame = con.execute(f"SELECT {', '.join(codes)} FROM lookup_ltla_ltla").df()
    out: dict[str, str] = {}
    for col in codes:
        for old, new in zip(frame[col], frame["ltla24_code"], strict=True):
            if isinstance(old, str) and isinstance(new, str):
                out.setdefault(old, new)
    return out


def denominators(con: duckdb.DuckDBPyConnection, to24: dict[str, str]) -> pd.DataFrame:
    """Census 2021 residents and households by 2024 district (UK; NI without population)."""
    names = con.execute(
        "SELECT ltla24_code, any_value(ltla24_name) AS name FROM lookup_ltla_ltla "
        "WHERE ltla24_code IS NOT NULL GROUP BY 1"
    ).df()
    ew = con.execute(
        "SELECT l.ltla24_code, sum(p.residents) AS population FROM population21_lsoa21 p "
        "JOIN (SELECT DISTINCT lsoa21_code, ltla24_code FROM lookup_lsoa21_ward24_ltla24) l "
        "USING (lsoa21_code) GROUP BY 1"
    ).df()
    scot = con.execute(
        "SELECT l.ltla20_code AS code, sum(p.total_population) AS population "
        "FROM population21_iz11 p JOIN (SELECT DISTINCT iz11_code, ltla20_code "
        "FROM lookup_dz11_iz11_ltla20) l USING (iz11_code) GROUP BY 1"
    ).df()
    scot["ltla24_code"] = scot["code"].map(lambda c: to24.get(c, c))
    scot = scot.groupby("ltla24_code", as_index=False)["population"].sum()
    hh = con.execute("SELECT ltla21_code AS code, households FROM households21_ltla21").df()
    hh["ltla24_code"] = hh["code"].map(lambda c: to24.get(c, c))
    hh = hh.groupby("ltla24_code", as_index=False)["households"].sum()
    out = names.merge(pd.concat([ew, scot]), on="ltla24_code", how="left").merge(
        hh, on="ltla24_code", how="left"
    )
    out["country"] = out["ltla24_code"].str[0].replace({"E": "E", "W": "W", "S": "S", "N": "N"})
    out["population"] = out["population"].astype("Int64")
    out["households"] = out["households"].astype("Int64")
    return out[["ltla24_code", "name", "country", "population", "households"]].sort_values(
        "ltla24_code", ignore_index=True
    )


# ---------------------------------------------------------------------------------- bids


def bid_rows(frame: pd.DataFrame, fund: str, lead_column: str | None = None) -> pd.DataFrame:
    """Tidy bids from a frame with ``bid_name``, ``bid_value``, ``lads`` (snake-case columns)."""
    missing = {"bid_name", "bid_value", "lads"} - set(frame.columns)
    if missing:
        wanted = ", ".join(TEMPLATE_HEADER[i] for i in (1, 3, 4))
        raise InvalidInput(
            f"fund file lacks column(s) {', '.join(sorted(missing))}; it needs {wanted} "
            "(see 'leftbehind funds template')",
            parameter="file",
        )
    if frame.empty:
        raise InvalidInput("fund file has no bids; add one row per bid", parameter="file")
    lead = None
    for col in (lead_column, "lead_applicant", "local_authority_name_area",
                "legal_name_of_lead_applicant_organisation"):  # fmt: skip
        if col and col in frame.columns:
            lead = frame[col]
            break
    rows = []
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        lads = [c.strip().upper() for c in str(rec.get("lads") or "").split(";") if c.strip()]
        if not lads:
            raise InvalidInput(
                f"bid {i} ({rec.get('bid_name')!r}) lists no local authority codes in LADs; "
                "give ';'-separated codes such as E07000061;E07000062",
                parameter="file",
            )
        try:
            amount = pence_of(rec["bid_value"])
        except InvalidInput as exc:
            raise InvalidInput(f"bid {i}: {exc}", parameter="file") from None
        country = rec.get("country") or _country_of(lads)
        rows.append(
            {
                "fund": fund,
                "bid": i,
                "lead": None if lead is None else _text(lead.iloc[i - 1]),
                "bid_name": _text(rec.get("bid_name")),
                "country": _text(country),
                "amount_pence": amount,
                "lads": ";".join(lads),
                "notes": _text(rec.get("notes")),
            }
        )
    return pd.DataFrame(rows)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


COUNTRY = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}


def _country_of(codes: Iterable[str]) -> str:
    found = sorted({COUNTRY.get(c[:1], "unknown") for c in codes})
    return " and ".join(found)


def split_bids(
    bids: pd.DataFrame, to24: dict[str, str], population: dict[str, int | None]
) -> pd.DataFrame:
    """Each bid's pence split over its 2024 authorities by population (exact sums)."""
    out = []
    for rec in bids.to_dict("records"):
        targets: list[str] = []
        for code in rec["lads"].split(";"):
            new = to24.get(code)
            if new is None:
                raise InvalidInput(
                    f"{rec['fund']} bid {rec['bid']}: unknown local authority code {code!r}; use "
                    "a district code of 2016-2024 (E06/E07/E08/E09/W06/S12/N09...)",
                    parameter="file",
                )
            if new not in targets:
                targets.append(new)
        pops = [population.get(t) for t in targets]
        if len(targets) == 1:
            weights, method = np.ones(1), "single"
        elif all(p is not None and p > 0 for p in pops):
            weights, method = np.asarray(pops, dtype=float), "population"
        else:
            weights, method = np.ones(len(targets)), "equal"
        total = rec["amount_pence"]
        parts = largest_remainder((weights / weights.sum() * total)[None, :], np.array([total]))[0]
        for code, pence in zip(targets, parts.tolist(), strict=True):
            out.append(
                {"fund": rec["fund"], "bid": rec["bid"], "ltla24_code": code,
                 "amount_pence": int(pence), "method": method}
            )  # fmt: skip
    return pd.DataFrame(out, columns=["fund", "bid", "ltla24_code", "amount_pence", "method"])


# ---------------------------------------------------------------------------------- spending


def spending_power(
    con: duckdb.DuckDBPyConnection, to24: dict[str, str], households: dict[str, int | None]
) -> pd.DataFrame:
    """Core spending power by 2024 district and year in pence (county councils shared by
    households); raises if a code cannot be carried to 2024."""
    frame = con.execute(f"SELECT * FROM {CSP_SOURCE}").df()
    counties = con.execute(
        "SELECT utla19_code, ltla19_code FROM lookup_ltla19_utla19 WHERE utla19_code LIKE 'E10%'"
    ).df()
    members: dict[str, list[str]] = {k: list(v) for k, v in DORSET_COUNTY.items()}
    for county, district in zip(counties["utla19_code"], counties["ltla19_code"], strict=True):
        members.setdefault(county, []).append(district)
    rows = []
    for rec in frame.to_dict("records"):
        code = rec["ons_code"]
        is_county = str(code).startswith("E10")
        if is_county:
            if code not in members:
                raise InvalidInput(f"county council {code} has no districts in the lookups")
            targets = list(dict.fromkeys(to24[d] for d in members[code]))
        else:
            if code not in to24:
                raise InvalidInput(f"core spending power: code {code} has no 2024 successor")
            targets = [to24[code]]
        weights = np.asarray([households.get(t) or 0 for t in targets], dtype=float)
        if weights.sum() <= 0:
            weights = np.ones(len(targets))
        for year in CSP_YEARS:
            value = rec.get(f"age_{year}") or rec.get(str(year))
            if value is None or str(value).strip() in ("..", ""):
                continue
            pence = pence_of(value, scale=10**8, what="core spending power")
            parts = largest_remainder((weights / weights.sum() * pence)[None, :], np.array([pence]))
            for target, part in zip(targets, parts[0].tolist(), strict=True):
                rows.append(
                    {"ltla24_code": target, "year": year, "amount_pence": int(part),
                     "county_pence": int(part) if is_county else 0}
                )  # fmt: skip
    out = pd.DataFrame(rows)
    return out.groupby(["ltla24_code", "year"], as_index=False)[
        ["amount_pence", "county_pence"]
    ].sum()


# ---------------------------------------------------------------------------------- groups


def english_editions() -> list[str]:
    """The editions whose authorities are compared (England: the funds' groups)."""
    return [e for e, ed in EDITIONS.items() if ed.nation == "England"]


def la_groups(con: duckdb.DuckDBPyConnection, edition: str, to24: dict[str, str]) -> pd.DataFrame:
    """The group of every 2024 authority with areas in ``edition``."""
    frame = con.execute(
        "SELECT local_authority_code AS code, sum(CASE WHEN \"group\" = 'left_behind' THEN 1 "
        "ELSE 0 END) AS lb, sum(CASE WHEN \"group\" = 'other_deprived' THEN 1 ELSE 0 END) AS od "
        "FROM identification WHERE edition = ? AND local_authority_code IS NOT NULL GROUP BY 1",
        [edition],
    ).df()
    frame["ltla24_code"] = frame["code"].map(lambda c: to24.get(c, c))
    agg = frame.groupby("ltla24_code", as_index=False)[["lb", "od"]].sum()
    agg["group"] = np.where(agg["lb"] > 0, "left_behind", np.where(agg["od"] > 0,
                            "other_deprived", "rest"))  # fmt: skip
    agg.insert(0, "edition", edition)
    return agg.rename(columns={"lb": "left_behind_areas", "od": "other_deprived_areas"})[
        ["edition", "ltla24_code", "group", "left_behind_areas", "other_deprived_areas"]
    ]


def compare(
    money: pd.DataFrame, groups: pd.DataFrame, denoms: pd.DataFrame, fund: str
) -> pd.DataFrame:
    """Money (``ltla24_code, year, amount_pence``) by group of one edition, with the
    authorities, residents and households of each group (authorities with no money count)."""
    base = groups[["edition", "ltla24_code", "group"]].merge(
        denoms[["ltla24_code", "population", "households"]], on="ltla24_code", how="left"
    )
    years = sorted(money["year"].unique().tolist()) if len(money) else []
    out = []
    for year in years:
        m = money[money["year"] == year].groupby("ltla24_code")["amount_pence"].sum()
        frame = base.assign(amount_pence=base["ltla24_code"].map(m).fillna(0).astype("int64"))
        for group in (*GROUP_ORDER, "england"):
            part = frame if group == "england" else frame[frame["group"] == group]
            out.append(
                {
                    "edition": groups["edition"].iloc[0],
                    "fund": fund,
                    "year": int(year),
                    "group": group,
                    "authorities": len(part),
                    "amount_pence": int(part["amount_pence"].sum()),
                    "population": int(part["population"].fillna(0).sum()),
                    "households": int(part["households"].fillna(0).sum()),
                }
            )
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------- the stage


def build_public_funds(con: duckdb.DuckDBPyConnection) -> None:
    """Build stage: bids, their split to authorities, spending power, groups and comparisons."""
    to24 = code_map(con)
    denoms = denominators(con, to24)
    population = {
        c: (None if pd.isna(p) else int(p))
        for c, p in zip(denoms["ltla24_code"], denoms["population"], strict=True)
    }
    households = {
        c: (None if pd.isna(h) else int(h))
        for c, h in zip(denoms["ltla24_code"], denoms["households"], strict=True)
    }
    bids = pd.concat(
        [
            bid_rows(con.execute(f"SELECT * FROM {f.source}").df(), f.id, f.lead_column)
            for f in FUNDS.values()
        ],
        ignore_index=True,
    )
    splits = split_bids(bids, to24, population)
    csp = spending_power(con, to24, households)
    groups = pd.concat([la_groups(con, e, to24) for e in english_editions()], ignore_index=True)
    comparisons = []
    for edition in english_editions():
        g = groups[groups["edition"] == edition]
        for fund in FUNDS.values():
            money = splits[splits["fund"] == fund.id].assign(year=fund.year)
            comparisons.append(compare(money, g, denoms, fund.id))
        comparisons.append(compare(csp, g, denoms, CSP_ID))
    comparison = pd.concat(comparisons, ignore_index=True)
    for table, frame in (
        (BIDS, bids), (SPLITS, splits), (CSP, csp), (DENOMINATORS, denoms),
        (LA_GROUPS, groups), (COMPARISON, comparison),
    ):  # fmt: skip
        con.register("_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _frame")
        con.unregister("_frame")


# ---------------------------------------------------------------------------------- reading


def per(amount_pence: int, count: int) -> float | None:
    """Pounds per unit to the penny, halves rounded up (None when there is nothing to divide
    by).

    >>> per(500, 40), per(250, 500), per(1, 0)
    (0.13, 0.01, None)
    """
    if not count:
        return None
    exact = Decimal(int(amount_pence)) / 100 / Decimal(int(count))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def comparison_records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready comparison rows with per head and per household in pounds."""
    out = []
    for rec in frame.to_dict("records"):
        amount = int(rec["amount_pence"])
        out.append(
            {
                "year": int(rec["year"]),
                "group": rec["group"],
                "authorities": int(rec["authorities"]),
                "amount_pence": amount,
                "population": int(rec["population"]),
                "households": int(rec["households"]),
                "per_head": per(amount, int(rec["population"])),
                "per_household": per(amount, int(rec["households"])),
            }
        )
    return out


def fund_ids() -> tuple[str, ...]:
    return (*FUNDS, CSP_ID)


def check_fund(fund: str) -> str:
    if fund not in fund_ids():
        raise UnknownName(f"unknown fund {fund!r}; choose one of: {', '.join(fund_ids())}")
    return fund


def fund_label(fund: str) -> str:
    return CSP_LABEL if fund == CSP_ID else FUNDS[fund].label


# ---------------------------------------------------------------------------------- user CSVs

TEMPLATE_HEADER = ("Lead applicant", "Bid Name", "Country", "Bid Value", "LADs", "Notes")
TEMPLATE_EXAMPLE = (
    "Example Borough Council", "Town centre regeneration", "England", "£1,250,000.00",
    "E07000061;E07000062", "delete this example row",
)  # fmt: skip
MAX_USER_ROWS = 5000
MAX_USER_BYTES = 5 * 1024 * 1024
SCHEMA_TEXT = (
    "One row per award or bid. Required columns: 'Bid Name' (text), 'Bid Value' (pounds: digits "
    "with optional £, commas and pence, e.g. £1,250,000.00) and 'LADs' (the local authority "
    "district codes of 2016-2024 the award covers, ';'-separated, e.g. E07000061;E07000062). "
    "Optional: 'Lead applicant' (or 'Local Authority Name / Area' or 'Legal name of lead "
    "applicant organisation', as in the Levelling Up Fund files), 'Country', 'Notes'. UTF-8, "
    f"at most {MAX_USER_ROWS:,} rows and {MAX_USER_BYTES // 1024 // 1024} MB. An award covering "
    "several authorities is split by Census 2021 residents, as for the official funds."
)


def template_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return buffer.getvalue()


def read_user_csv(data: bytes) -> pd.DataFrame:
    """A user's fund CSV (the Levelling Up Fund layout) as snake-case columns; bad files are
    one-line :class:`InvalidInput`."""
    from leftbehind.sources.readers import snake_case

    if len(data) > MAX_USER_BYTES:
        raise InvalidInput(
            f"fund file is {len(data):,} bytes, above {MAX_USER_BYTES:,}; split it", "file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("fund file is not UTF-8 text; save it as CSV UTF-8", "file") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InvalidInput(f"fund file is not valid CSV ({exc}); fix the quoting", "file") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InvalidInput("fund file is empty; start from 'leftbehind funds template'", "file")
    header = [snake_case(h.strip()) for h in rows[0]]
    body = rows[1:]
    if len(body) > MAX_USER_ROWS:
        raise InvalidInput(f"fund file has {len(body):,} rows, above {MAX_USER_ROWS:,}", "file")
    width = len(header)
    for i, r in enumerate(body, start=2):
        if len(r) > width:
            raise InvalidInput(f"fund file line {i} has more cells than the header", "file")
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in body], columns=header)
    return frame.replace({"": None})
