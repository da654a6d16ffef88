"""The indicator framework: the report's nine dimensions of disadvantage, as data.

``indicators.csv`` (next to this module) has one row per indicator and edition. Columns:

* ``id``, ``edition``, ``dimension`` (one of :data:`DIMENSIONS` or ``supporting``), ``label``
  (plain words), ``unit`` (:data:`UNITS`), ``direction`` (``higher_is_worse`` or
  ``higher_is_better``), ``year``, ``source`` (the citation shown to users).
* ``method`` says how a value for a group of small areas is made, always as
  ``sum(numerator) / sum(denominator)`` over the small areas (see ``values.py``):

  - ``rate``: numerator ``source_table.source_column`` (a count), denominator the population in
    the age band ``ages:A-B`` / ``ages:A+`` / ``ages:all`` from ``denominator_table``;
  - ``mean``: a population-weighted mean of a score, share or distance: numerator
    ``value x weight``, denominator ``weight`` (the ``ages:`` population);
  - ``decile_share``: share of residents living in small areas in the most deprived decile
    (``source_column == 1``);
  - ``census``: a Census 2021 long table: numerator ``n`` where ``column=value[|value]`` (or
    ``column!=value``), denominator the table's ``total_households`` / ``total_residents``;
  - ``grants``: grant money per head from the funding module; 'no data yet' until grants are
    imported.
* ``geography``: where the source is published (``lsoa11``, ``lsoa21``, ``ward17``);
  ward-level sources are spread to their LSOAs so every aggregate is population-weighted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from leftbehind.editions import EDITIONS as DECLARED
from leftbehind.errors import InvalidInput, UnknownName

CSV_PATH = Path(__file__).with_name("indicators.csv")

COLUMNS = [
    "id",
    "edition",
    "dimension",
    "label",
    "unit",
    "direction",
    "method",
    "numerator",
    "denominator",
    "source_table",
    "source_column",
    "denominator_table",
    "geography",
    "year",
    "source",
]


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    report_heading: str
    number: int


#: The report's nine dimensions, in the report's order, with plain labels.
DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "skills", "Skills and qualifications", "Fewer opportunities to secure skilled employment", 1
    ),
    Dimension("poverty", "Money and poverty", "Higher rates of poverty", 2),
    Dimension("education", "School and learning", "Lower educational attainment", 3),
    Dimension("economy", "Work and the local economy", "Less vibrant local economies", 4),
    Dimension("health", "Health", "Worse population health", 5),
    Dimension("disability", "Disability and long-term illness", "Higher rates of disability", 6),
    Dimension("social_fabric", "Community life and places to meet", "Weaker social fabric", 7),
    Dimension("connectivity", "Getting around and reaching services", "Limited connectivity", 8),
    Dimension("funding", "Funding and investment", "Less funding and investment", 9),
)
DIMENSION_IDS = tuple(d.id for d in DIMENSIONS)
SUPPORTING = Dimension("supporting", "Crime, housing and environment", "Supporting indicators", 10)

#: The frameworks of ``indicators.csv`` (its ``edition`` column): one per distinct
#: ``Edition.profile.framework`` of the declared editions.
EDITIONS = tuple(
    dict.fromkeys(e.profile.framework for e in DECLARED.values() if e.profile is not None)
)
#: Frameworks that must map indicators to all nine dimensions (``profile.nine_dimensions``).
NINE_DIMENSION_FRAMEWORKS = tuple(
    dict.fromkeys(
        e.profile.framework
        for e in DECLARED.values()
        if e.profile is not None and e.profile.nine_dimensions
    )
)
#: Declared edition id -> the framework its profiles use.
EDITION_FRAMEWORKS = {e.id: e.profile.framework for e in DECLARED.values() if e.profile}
UNITS = {"share", "index", "ratio_100", "score", "km", "count", "per_1000", "gbp_per_head"}
DIRECTIONS = {"higher_is_worse", "higher_is_better"}
METHODS = {"rate", "mean", "decile_share", "census", "grants"}
#: How a value published for another geography reaches each small area: SQL listing
#: (small, other) pairs; a small area takes the mean of the values of the areas it is linked to
#: (one area when the other geography contains it; several where 2011 LSOAs were split in 2021).
#: Keyed by (small-area geography, source geography). Ward values (``ward17``) go through
#: ``lookup_lsoa11_ward17`` (best fit) in ``values.py``.
LINKS: dict[tuple[str, str], str] = {
    ("lsoa11", "msoa11"): "SELECT lsoa11_code AS small, msoa11_code AS other "
    "FROM lookup_lsoa11_msoa11",
    ("lsoa11", "lsoa21"): "SELECT lsoa11_code AS small, lsoa21_code AS other "
    "FROM lookup_lsoa11_lsoa21_ltla22",
    ("dz11", "iz11"): "SELECT dz11_code AS small, iz11_code AS other FROM lookup_dz11_iz11_ltla20",
    # NIMDM 2017 is published for the 2001 SOAs, which Northern Ireland kept unchanged in 2011.
    ("soa11", "soa01"): "SELECT soa01_code AS small, soa01_code AS other "
    "FROM imd2017_northern_ireland_soa01",
}
#: Where sources are published: the profiled editions' small areas and geographies, and the
#: geographies :data:`LINKS` carries to small areas.
GEOGRAPHIES = {
    area
    for e in DECLARED.values()
    if e.profile is not None
    for area in (e.profile.small_area, e.geography)
} | {other for _, other in LINKS}

_AGES = re.compile(r"^ages:(all|\d+\+|\d+-\d+)$")
_CENSUS = re.compile(r"^[a-z_]+(=|!=).+$")


def dimension(dim_id: str) -> Dimension:
    for dim in (*DIMENSIONS, SUPPORTING):
        if dim.id == dim_id:
            return dim
    raise UnknownName(f"unknown dimension {dim_id!r}; valid: {', '.join(DIMENSION_IDS)}")


def validate(table: pd.DataFrame) -> None:
    """Raise :class:`InvalidInput` naming the first problem in an indicator table."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InvalidInput(f"indicator table lacks columns {missing}; expected {COLUMNS}")
    dupes = table.loc[table.duplicated(["id"]), "id"].tolist()
    if dupes:
        raise InvalidInput(f"indicator ids repeat: {dupes}; make every id unique")
    for row in table.itertuples(index=False):
        where = f"indicator {row.id!r}"
        for col in ("id", "label", "source", "source_table", "source_column"):
            if not str(getattr(row, col) or "").strip():
                raise InvalidInput(f"{where} has an empty {col}; fill it in indicators.csv")
        checks = (
            ("edition", EDITIONS),
            ("dimension", (*DIMENSION_IDS, SUPPORTING.id)),
            ("unit", UNITS),
            ("direction", DIRECTIONS),
            ("method", METHODS),
            ("geography", GEOGRAPHIES),
        )
        for col, valid in checks:
            if getattr(row, col) not in valid:
                raise InvalidInput(
                    f"{where} has {col}={getattr(row, col)!r}; valid: {', '.join(sorted(valid))}"
                )
        if row.method in {"rate", "mean", "decile_share"} and not _AGES.match(row.denominator):
            raise InvalidInput(
                f"{where} needs a denominator like 'ages:all', 'ages:0-15' or 'ages:60+', "
                f"not {row.denominator!r}"
            )
        if row.method == "census" and (
            not _CENSUS.match(row.numerator)
            or row.denominator not in {"total_households", "total_residents"}
        ):
            raise InvalidInput(
                f"{where}: census numerator must be 'column=value' or 'column!=value' and the "
                "denominator total_households or total_residents"
            )
        if row.method == "rate" and row.unit != "share":
            raise InvalidInput(f"{where}: a rate's unit must be 'share', not {row.unit!r}")
    for edition in NINE_DIMENSION_FRAMEWORKS:
        dims = set(table.loc[table["edition"] == edition, "dimension"])
        absent = [d for d in DIMENSION_IDS if d not in dims]
        if absent:
            raise InvalidInput(f"edition {edition} maps no indicator to dimensions {absent}")


@lru_cache(maxsize=4)
def _load(path: str) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    validate(table)
    return table


def load(path: Path | None = None) -> pd.DataFrame:
    """The validated indicator table (all editions); a copy the caller may change."""
    return _load(str(path or CSV_PATH)).copy()


def for_edition(edition: str, path: Path | None = None) -> pd.DataFrame:
    """The indicators of one edition (its declared ``profile.framework``), in framework order
    (nine dimensions, then supporting)."""
    if edition not in EDITION_FRAMEWORKS:
        raise UnknownName(
            f"no indicator framework for edition {edition!r}; profiles cover "
            f"{', '.join(EDITION_FRAMEWORKS)}"
        )
    table = load(path)
    table = table[table["edition"] == EDITION_FRAMEWORKS[edition]].copy()
    order = {d: i for i, d in enumerate((*DIMENSION_IDS, SUPPORTING.id))}
    table["_order"] = table["dimension"].map(order)
    return table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def grants_row(edition: str, path: Path | None = None) -> dict:
    """The edition's dimension-9 indicator (method ``grants``) as a dict."""
    table = for_edition(edition, path)
    return table[table["method"] == "grants"].iloc[0].to_dict()


def parse_ages(spec: str) -> tuple[int, int | None] | None:
    """``ages:all`` -> None; ``ages:0-15`` -> (0, 15); ``ages:60+`` -> (60, None)."""
    body = spec.split(":", 1)[1]
    if body == "all":
        return None
    if body.endswith("+"):
        return int(body[:-1]), None
    low, high = body.split("-")
    return int(low), int(high)
