"""Import 360Giving files into the store: tables ``grants``, ``grant_rejects``, ``grant_imports``.

One transaction per import (all files or none); grants are deduplicated by ``Identifier`` so
re-importing a file changes nothing. Rows that cannot be imported (missing identifier or
amount, unparseable date, duplicate identifier) are rejected; rows imported but not located
(unknown codes, malformed or unknown postcodes) and non-GBP grants (kept, not summed into GBP
unless a rate is given) are reported too. Every report names the file, row number and reason
and is also written to a rejects CSV.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from leftbehind.errors import InvalidInput
from leftbehind.funding import locate as loc
from leftbehind.funding.postcodes import compact, normalise_postcode, read_lookup
from leftbehind.funding.threesixty import read_grants

GRANTS_DDL = """
CREATE TABLE IF NOT EXISTS grants (
    identifier VARCHAR PRIMARY KEY,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    title VARCHAR,
    funder_id VARCHAR,
    funder_name VARCHAR,
    recipient_id VARCHAR,
    recipient_name VARCHAR,
    recipient_postcode VARCHAR,
    award_date DATE NOT NULL,
    award_year INTEGER NOT NULL,
    amount DOUBLE NOT NULL,
    currency VARCHAR NOT NULL,
    amount_gbp DOUBLE,
    beneficiary_codes VARCHAR,
    recipient_location_codes VARCHAR,
    location_method VARCHAR NOT NULL,
    location_geography VARCHAR,
    location_code VARCHAR,
    lsoa21_code VARCHAR,
    lsoa11_code VARCHAR,
    ward_code VARCHAR,
    ltla_code VARCHAR,
    country VARCHAR,
    location_note VARCHAR,
    apportioned BOOLEAN NOT NULL
)
"""
REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS grant_rejects (
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    identifier VARCHAR,
    action VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    PRIMARY KEY (source_sha256, row_number, action)
)
"""
IMPORTS_DDL = """
CREATE TABLE IF NOT EXISTS grant_imports (
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR PRIMARY KEY,
    rows INTEGER NOT NULL,
    first_imported_at TIMESTAMP NOT NULL
)
"""
GRANT_COLUMNS = [
    "identifier", "source_file", "source_sha256", "row_number", "title", "funder_id",
    "funder_name", "recipient_id", "recipient_name", "recipient_postcode", "award_date",
    "award_year", "amount", "currency", "amount_gbp", "beneficiary_codes",
    "recipient_location_codes", "location_method", "location_geography", "location_code",
    "lsoa21_code", "lsoa11_code", "ward_code", "ltla_code", "country", "location_note",
    "apportioned",
]  # fmt: skip
REJECT_COLUMNS = ["source_file", "source_sha256", "row_number", "identifier", "action", "reason"]
# action values in grant_rejects
REJECTED = "rejected"
UNLOCATED = "imported_unlocated"
NOT_SUMMED = "imported_not_summed"


@dataclass
class ImportResult:
    files: list[str]
    rows: int = 0
    inserted: int = 0
    already_present: int = 0
    rejected: int = 0
    located: int = 0
    unlocated: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    by_file: dict[str, dict[str, int]] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    rejects_path: Path | None = None

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "rows": self.rows,
            "inserted": self.inserted,
            "already_present": self.already_present,
            "rejected": self.rejected,
            "located": self.located,
            "unlocated": self.unlocated,
            "by_method": self.by_method,
            "by_file": self.by_file,
            "rejects_file": str(self.rejects_path) if self.rejects_path else None,
        }


def parse_amount(value: object) -> float | None:
    """A number from 1234, 1234.5, '£1,234.50' or ' 1234 '; None when missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    text = re.sub(r"[£,\s]", "", str(value))
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) or math.isinf(number) else number


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_date(value: object) -> dt.date | None:
    """A date from a datetime, an ISO string (with or without time), DD/MM/YYYY or an Excel
    serial day number; None when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        if 10000 <= value <= 80000:  # Excel serial number (days since 1899-12-30)
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        return None
    text = str(value).strip()
    if not text:
        return None
    if m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in (GRANTS_DDL, REJECTS_DDL, IMPORTS_DDL):
        con.execute(ddl)


def _codes_text(pairs) -> str | None:
    return ";".join(code for code, _ in pairs) or None


def prepare(
    paths: Sequence[Path],
    postcodes: Sequence[Path] | None = None,
    ref: loc.GeoReference | None = None,
    apportion: bool = False,
    rates: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, validate and locate the files: (grant rows in ``GRANT_COLUMNS``, rejects)."""
    rates = {k.upper(): float(v) for k, v in (rates or {}).items()}
    for currency, rate in rates.items():
        if not rate > 0:
            raise InvalidInput(f"exchange rate for {currency} is {rate}; give a positive number")
    frames = []
    rejects: list[dict] = []
    seen: dict[str, tuple[str, int]] = {}
    for path in paths:
        path = Path(path)
        frame = read_grants(path)
        sha = file_sha256(path)
        keep = []
        ids, amounts, dates, currencies = [], [], [], []
        for rec in frame[
            ["row_number", "identifier", "amount", "award_date", "currency"]
        ].itertuples(index=False):
            row = rec.row_number
            ident = None if rec.identifier is None else str(rec.identifier).strip() or None
            amount = parse_amount(rec.amount)
            date = parse_date(rec.award_date)
            reasons = []
            if ident is None:
                reasons.append("missing Identifier")
            if amount is None:
                reasons.append(
                    "missing Amount Awarded"
                    if rec.amount is None or not compact(rec.amount)
                    else f"Amount Awarded '{rec.amount}' is not a number"
                )
            if date is None:
                reasons.append(
                    "missing Award Date"
                    if rec.award_date is None or not str(rec.award_date).strip()
                    else f"Award Date '{rec.award_date}' is not a date (use YYYY-MM-DD)"
                )
            if ident is not None and not reasons and ident in seen:
                first_file, first_row = seen[ident]
                reasons.append(
                    f"duplicate Identifier {ident} (first at {first_file} row {first_row})"
                )
            keep.append(not reasons)
            if reasons:
                rejects.append(_reject(path.name, sha, row, ident, REJECTED, "; ".join(reasons)))
            else:
                seen[ident] = (path.name, row)
            currency = str(rec.currency).strip().upper() if rec.currency is not None else "GBP"
            ids.append(ident)
            amounts.append(amount)
            dates.append(date)
            currencies.append(currency or "GBP")
        frame = frame.assign(
            identifier=ids, amount=amounts, award_date=dates, currency=currencies,
            source_file=path.name, source_sha256=sha,
        )  # fmt: skip
        frames.append(frame[keep])
    grants = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if grants.empty:
        return pd.DataFrame(columns=GRANT_COLUMNS), pd.DataFrame(rejects, columns=REJECT_COLUMNS)

    lookup = None
    if postcodes:
        wanted = {
            compact(pc) for pc in grants["recipient_postcode"] if normalise_postcode(pc) is not None
        }
        lookup = read_lookup(list(postcodes), only=wanted)
    located = loc.locate(grants, lookup, ref)
    grants = grants.join(located)
    grants["recipient_postcode"] = grants["recipient_postcode_normalised"]
    grants["award_year"] = [d.year for d in grants["award_date"]]
    rate = grants["currency"].map(lambda c: 1.0 if c == "GBP" else rates.get(c))
    grants["amount_gbp"] = [
        None if r is None or (isinstance(r, float) and math.isnan(r)) else round(a * r, 2)
        for a, r in zip(grants["amount"], rate, strict=True)
    ]
    grants["beneficiary_codes"] = grants["beneficiary_locations"].map(_codes_text)
    grants["recipient_location_codes"] = grants["recipient_locations"].map(_codes_text)
    grants["apportioned"] = apportion & grants["location_geography"].isin(loc.LA_GEOGRAPHIES)
    for text_col in ("title", "funder_id", "funder_name", "recipient_id", "recipient_name"):
        grants[text_col] = grants[text_col].map(lambda v: None if v is None else str(v).strip())

    for rec in grants.itertuples(index=False):
        if rec.location_method == "unlocated":
            rejects.append(
                _reject(rec.source_file, rec.source_sha256, rec.row_number, rec.identifier,
                        UNLOCATED, f"not located: {rec.location_note}")
            )  # fmt: skip
        if pd.isna(rec.amount_gbp):
            rejects.append(
                _reject(rec.source_file, rec.source_sha256, rec.row_number, rec.identifier,
                        NOT_SUMMED, f"currency {rec.currency}: kept, not summed into GBP "
                        f"totals (give a rate with --rate {rec.currency}=RATE)")
            )  # fmt: skip
    return grants[GRANT_COLUMNS].reset_index(drop=True), pd.DataFrame(
        rejects, columns=REJECT_COLUMNS
    )


def _reject(file: str, sha: str, row: int, ident, action: str, reason: str) -> dict:
    return {
        "source_file": file,
        "source_sha256": sha,
        "row_number": int(row),
        "identifier": ident,
        "action": action,
        "reason": reason,
    }


def import_grants(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path] | Path,
    postcodes: Sequence[Path] | Path | None = None,
    apportion: bool = False,
    rates: Mapping[str, float] | None = None,
    rejects_path: Path | None = None,
) -> ImportResult:
    """Import 360Giving files into the store behind ``con`` (opened read-write), atomically."""
    if isinstance(paths, str | Path):
        paths = [paths]
    if isinstance(postcodes, str | Path):
        postcodes = [postcodes]
    paths = [Path(p) for p in paths]
    ref = loc.GeoReference.from_store(con)
    grants, rejects = prepare(paths, postcodes, ref, apportion, rates)
    result = ImportResult(files=[p.name for p in paths])
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_tables(con)
        existing = con.execute("SELECT count(*) FROM grants").fetchall()[0][0]
        con.register("new_grants", grants)
        con.execute(
            f"INSERT INTO grants SELECT {', '.join(GRANT_COLUMNS)} FROM new_grants n "
            "WHERE NOT EXISTS (SELECT 1 FROM grants g WHERE g.identifier = n.identifier)"
        )
        result.inserted = con.execute("SELECT count(*) FROM grants").fetchall()[0][0] - existing
        con.register("new_rejects", rejects)
        con.execute(
            f"INSERT INTO grant_rejects SELECT {', '.join(REJECT_COLUMNS)} FROM new_rejects n "
            "WHERE NOT EXISTS (SELECT 1 FROM grant_rejects r WHERE r.source_sha256 = "
            "n.source_sha256 AND r.row_number = n.row_number AND r.action = n.action)"
        )
        for path in paths:
            sha = file_sha256(path)
            rows = int((grants["source_sha256"] == sha).sum()) + int(
                ((rejects["source_sha256"] == sha) & (rejects["action"] == REJECTED)).sum()
            )
            con.execute(
                "INSERT INTO grant_imports SELECT ?, ?, ?, now()::TIMESTAMP WHERE NOT EXISTS "
                "(SELECT 1 FROM grant_imports WHERE source_sha256 = ?)",
                [path.name, sha, rows, sha],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for view in ("new_grants", "new_rejects"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(view)
    result.rows = len(grants) + int((rejects["action"] == REJECTED).sum())
    result.already_present = len(grants) - result.inserted
    result.rejected = int((rejects["action"] == REJECTED).sum())
    result.located = int((grants["location_method"] != "unlocated").sum())
    result.unlocated = int((grants["location_method"] == "unlocated").sum())
    result.by_method = {k: int(v) for k, v in grants["location_method"].value_counts().items()}
    for name in result.files:
        part = grants[grants["source_file"] == name]
        result.by_file[name] = {
            "grants": len(part),
            "located": int((part["location_method"] != "unlocated").sum()),
            "rejected": int(
                ((rejects["source_file"] == name) & (rejects["action"] == REJECTED)).sum()
            ),
        }
    result.rejects = rejects
    if rejects_path is not None:
        from leftbehind.atomic import write_text_atomic

        buffer = io.StringIO()
        rejects.to_csv(buffer, index=False)
        write_text_atomic(Path(rejects_path), buffer.getvalue())
        result.rejects_path = Path(rejects_path)
    return result
