"""Postcode lookups in the ONS NSPL / ONSPD CSV layout, read by column name.

Only the postcode and the codes used are read: the postcode (``pcds``, else ``pcd``/``pcd2``/
``pcd7``/``pcd8``), local authority (``laua``), ward (``osward`` or ``ward``), LSOA (``lsoa21``
and/or ``lsoa11``) and country (``ctry``). Plain or gzipped CSV. Postcodes are matched on a
compact key (upper case, no spaces), so ``sr11aa``, ``SR1  1AA`` and ``SR1 1AA`` agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from leftbehind.errors import InvalidInput

# The postcode format: outward code (area letters, district digit, optional letter/digit)
# then inward code (digit and two letters). Covers the special GIR 0AA.
POSTCODE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\d[A-Z]{2}$")

_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2", "pcd7", "pcd8", "postcode")
_CODE_COLUMNS = {
    "ltla": ("laua", "lad", "oslaua"),
    "ward": ("osward", "ward"),
    "lsoa21": ("lsoa21", "lsoa21cd"),
    "lsoa11": ("lsoa11", "lsoa11cd"),
    "country": ("ctry", "ctry25cd", "ctrycd"),
}
LOOKUP_COLUMNS = ["postcode_key", "postcode", "ltla", "ward", "lsoa21", "lsoa11", "country"]


def compact(value: object) -> str:
    """Upper case with every non-alphanumeric character removed ('' for blanks)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return re.sub(r"[^A-Za-z0-9]", "", str(value)).upper()


def normalise_postcode(value: object) -> str | None:
    """The canonical form ('SR1 1AA') of a UK postcode, or None if it is not one."""
    key = compact(value)
    if not POSTCODE.match(key):
        return None
    return f"{key[:-3]} {key[-3:]}"


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_postcode` (None where malformed or blank)."""
    key = values.astype("string").str.replace(r"[^A-Za-z0-9]", "", regex=True).str.upper()
    ok = key.str.fullmatch(POSTCODE.pattern).fillna(False).astype(bool)
    out = (key.str[:-3] + " " + key.str[-3:]).where(ok, None)
    return out.astype(object).where(ok, None)


def _columns(path: Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        rel = con.sql(
            f"SELECT * FROM read_csv({_lit(path)}, all_varchar=true, header=true) LIMIT 0"
        )
    except duckdb.Error as exc:
        raise InvalidInput(
            f"postcode lookup {path.name} could not be read as CSV ({str(exc).splitlines()[0]}); "
            "give an NSPL or ONSPD CSV (plain or .csv.gz)"
        ) from None
    return list(rel.columns)


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _select_sql(path: Path, con: duckdb.DuckDBPyConnection) -> str:
    cols = {c.lower(): c for c in _columns(path, con)}
    pc = next((cols[c] for c in _POSTCODE_COLUMNS if c in cols), None)
    if pc is None:
        raise InvalidInput(
            f"postcode lookup {path.name} has no postcode column (pcds, pcd, pcd2, pcd7, pcd8); "
            "give an NSPL or ONSPD CSV"
        )
    parts = [
        f"upper(regexp_replace(\"{pc}\", '[^A-Za-z0-9]', '', 'g')) AS postcode_key",
        f'"{pc}" AS postcode',
    ]
    found = 0
    for name, options in _CODE_COLUMNS.items():
        col = next((cols[c] for c in options if c in cols), None)
        if col is None:
            parts.append(f"NULL::VARCHAR AS {name}")
        else:
            found += name != "country"
            # NSPL marks 'no code' with pseudo codes such as E99999999 or blanks.
            parts.append(
                f"CASE WHEN trim(\"{col}\") = '' OR \"{col}\" LIKE '_99999999' THEN NULL "
                f'ELSE trim("{col}") END AS {name}'
            )
    if not found:
        raise InvalidInput(
            f"postcode lookup {path.name} has none of the columns laua, osward/ward, lsoa21, "
            "lsoa11; give an NSPL or ONSPD CSV"
        )
    return f"SELECT {', '.join(parts)} FROM read_csv({_lit(path)}, all_varchar=true, header=true)"


#: Characters DuckDB's file readers take as a pattern; a path holding them is never read as one.
_PATTERN = re.compile(r"[*?\[\]{}]")


def lookup_files(paths: Sequence[Path] | Path) -> list[Path]:
    """The lookup files named: each path is a CSV (plain or ``.csv.gz``) or a folder of them,
    such as the ``Data/multi_csv`` folder of an NSPL download (its ``*.csv`` and ``*.csv.gz``
    files, sorted by name; not its subfolders). Names are taken literally: a name holding
    ``* ? [ ] { }`` is refused rather than read as a pattern matching other files."""
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Path] = []
    for path in (Path(p) for p in paths):
        if not path.exists():
            raise InvalidInput(
                f"postcode lookup {path} does not exist; give the path to an NSPL or ONSPD CSV "
                "or a folder of them"
            )
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir()
                if p.is_file() and p.name.lower().endswith((".csv", ".csv.gz"))
            )  # fmt: skip
            if not found:
                raise InvalidInput(
                    f"postcode folder {path} has no .csv or .csv.gz files; give an NSPL or ONSPD "
                    "CSV, or its Data/multi_csv folder"
                )
        else:
            found = [path]
        for file in found:
            if _PATTERN.search(str(file)):
                raise InvalidInput(
                    f"postcode lookup {file}: its path holds one of * ? [ ] {{ }}, which the CSV "
                    "reader would take as a pattern; rename the file or its folder"
                )
        out.extend(found)
    return out


def read_lookup(paths: Sequence[Path] | Path, only: Iterable[str] | None = None) -> pd.DataFrame:
    """Read one or more lookups (files or folders: :func:`lookup_files`) into ``LOOKUP_COLUMNS``
    (one row per postcode; earlier files win).

    ``only``: compact postcode keys to keep (the rest of a 2.6-million-row file is skipped).
    """
    paths = lookup_files(paths)
    con = duckdb.connect()
    try:
        selects = [
            f"SELECT *, {i} AS file_order FROM ({_select_sql(p, con)})" for i, p in enumerate(paths)
        ]
        union = " UNION ALL ".join(selects)
        where = ""
        if only is not None:
            keys = pd.DataFrame({"k": sorted({compact(k) for k in only if compact(k)})})
            con.register("wanted_keys", keys)
            where = "WHERE postcode_key IN (SELECT k FROM wanted_keys)"
        sql = (
            f"SELECT {', '.join(LOOKUP_COLUMNS)} FROM ({union}) {where} "
            "QUALIFY row_number() OVER (PARTITION BY postcode_key ORDER BY file_order) = 1"
        )
        try:
            frame = con.execute(sql).df()
        except duckdb.Error as exc:
            raise InvalidInput(
                f"postcode lookup could not be read ({str(exc).splitlines()[0]}); "
                "give NSPL or ONSPD CSV files"
            ) from None
    finally:
        con.close()
    frame = frame.astype(object).where(frame.notna(), None)
    return frame[LOOKUP_COLUMNS].reset_index(drop=True)


#: The evidence store's postcode table (August 2024 ONS NSPL), used when no lookup is given.
STORE_TABLE = "postcodes24"
STORE_LOOKUP_NAME = "the evidence store's ONS postcode lookup (NSPL, August 2024)"


def store_has_lookup(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [STORE_TABLE]
        ).fetchall()[0][0]
    )


def read_store_lookup(con: duckdb.DuckDBPyConnection, only: Iterable[str]) -> pd.DataFrame:
    """The store's postcodes (``postcodes24``) in ``LOOKUP_COLUMNS``, for the compact keys
    ``only`` (read-only; a point lookup per key batch)."""
    keys = pd.DataFrame({"k": sorted({compact(k) for k in only if compact(k)})})
    con.register("wanted_postcodes", keys)
    try:
        frame = con.execute(
            f"SELECT p.postcode_key, NULL::VARCHAR AS postcode, p.ltla24_code AS ltla, "
            f"p.ward24_code AS ward, p.lsoa21_code AS lsoa21, NULL::VARCHAR AS lsoa11, "
            f"NULL::VARCHAR AS country FROM {STORE_TABLE} p "
            "JOIN wanted_postcodes w ON w.k = p.postcode_key"
        ).df()
    finally:
        con.unregister("wanted_postcodes")
    frame = frame.astype(object).where(frame.notna(), None)
    return frame[LOOKUP_COLUMNS].reset_index(drop=True)
