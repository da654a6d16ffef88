"""The sources registry: one row per pinned upstream file (``registry.csv`` in this package).

Facts copied from the upstream manifest: URL pinned to a commit, sha256, size; plus the licence,
attribution and a one-line description of each file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from leftbehind.errors import UnknownName

POSTCODE_PREFIX = "postcodes24_"
#: The postcode lookup's code -> [name, Welsh name] files (the other ``postcodes24_*`` files hold
#: one postcode area each).
POSTCODE_NAME_FILES = {
    "postcodes24_lads": "ltla24",
    "postcodes24_lsoa": "lsoa21",
    "postcodes24_wards": "ward24",
}


#: CSV files published without a header row: their column names (NHS ODS's standard
#: 27-field practice file, epraccur).
HEADERLESS_CSV = {
    "gp_practices_epraccur_2023_02": (
        "organisation_code",
        "name",
        "national_grouping",
        "high_level_health_geography",
        "address_line_1",
        "address_line_2",
        "address_line_3",
        "address_line_4",
        "address_line_5",
        "postcode",
        "open_date",
        "close_date",
        "status_code",
        "organisation_sub_type_code",
        "commissioner",
        "join_provider_purchaser_date",
        "left_provider_purchaser_date",
        "contact_telephone_number",
        "null_18",
        "null_19",
        "null_20",
        "amended_record_indicator",
        "null_22",
        "provider_purchaser",
        "null_24",
        "prescribing_setting",
        "null_26",
    ),
}
#: ``sf`` objects of points (one [lon, lat] pair per row), read to ``lon``/``lat`` columns.
POINT_SOURCES = frozenset({"points_hospitals22"})


@dataclass(frozen=True)
class Source:
    id: str
    repository: str
    commit: str
    path: str
    url: str
    mirror_path: str
    sha256: str
    bytes: int
    licence: str
    attribution: str
    description: str

    @property
    def reader(self) -> str:
        """How the file is parsed: ``rdata`` for ``sf`` boundary objects, ``pyreadr`` for plain
        R data frames, ``rdata_points`` for ``sf`` point objects, ``csv``, ``csv_headerless`` for
        CSV files without a header row (names in :data:`HEADERLESS_CSV`), ``postcodes_json``
        for one postcode area of the August 2024 postcode lookup and ``names_json`` for its
        code -> [name, Welsh name] files."""
        if self.id.startswith("boundaries_"):
            return "rdata"
        if self.id in POINT_SOURCES:
            return "rdata_points"
        if self.id in HEADERLESS_CSV:
            return "csv_headerless"
        if self.id in POSTCODE_NAME_FILES:
            return "names_json"
        if self.id.startswith(POSTCODE_PREFIX):
            return "postcodes_json"
        if self.path.endswith(".csv"):
            return "csv"
        return "pyreadr"

    @property
    def table(self) -> str:
        """The store table the file is loaded into: its id, except that the per-area files of
        the postcode lookup make one table (``postcodes24``) and its name files another
        (``postcode_names24``)."""
        if self.id in POSTCODE_NAME_FILES:
            return "postcode_names24"
        if self.id.startswith(POSTCODE_PREFIX):
            return "postcodes24"
        return self.id


@lru_cache(maxsize=1)
def load_registry() -> tuple[Source, ...]:
    text = resources.files("leftbehind.sources").joinpath("registry.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(Source(**{**row, "bytes": int(row["bytes"])}) for row in rows)


def source_by_id(source_id: str) -> Source:
    for source in load_registry():
        if source.id == source_id:
            return source
    valid = ", ".join(s.id for s in load_registry())
    raise UnknownName(f"unknown source '{source_id}'; valid sources: {valid}")
