"""Import 360Giving files into the community database (tables ``grants``, ``grant_rejects``,
``grant_imports``, ``grant_updates``; see :mod:`leftbehind.community.grants`).

The evidence store is only read (its codes and postcode lookup locate the grants), so an import
runs while ``leftbehind serve`` runs. One transaction per import (all files or none); grants
are deduplicated by ``Identifier`` so re-importing a file changes nothing. Rows that cannot be
imported (missing identifier or amount, unparseable date, duplicate identifier) are rejected;
rows imported but not located (unknown codes, malformed or unknown postcodes) and non-GBP grants
(kept, not summed into GBP unless a rate is given) are reported too. Every report names the
file, row number and reason and is also written to a rejects CSV.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from leftbehind.atomic import atomic_path
from leftbehind.community import grants as gdb
from leftbehind.community.db import Community
from leftbehind.errors import InvalidInput
from leftbehind.export import frame_csv
from leftbehind.funding import locate as loc
from leftbehind.funding.postcodes import (
    compact,
    normalise_postcode,
    read_lookup,
    read_store_lookup,
    store_has_lookup,
)
from leftbehind.funding.threesixty import DEFAULT_LIMITS, REQUIRED, ReadLimits, read_grants
from leftbehind.store.housekeeping import remove_stale_temporaries

#: The columns of a prepared grant (the community database's ``grants`` without ``import_id``).
GRANT_COLUMNS = [c for c in gdb.GRANT_FIELDS if c != "import_id"]
REJECT_COLUMNS = ["source_file", "source_sha256", "row_number", "identifier", "action", "reason"]
# action values in grant_rejects
REJECTED = "rejected"
UNLOCATED = "imported_unlocated"
NOT_SUMMED = "imported_not_summed"
CHANGED = "changed_not_applied"
UPDATED = "updated"


@dataclass
class ImportResult:
    files: list[str]
    rows: int = 0
    inserted: int = 0
    already_present: int = 0
    rejected: int = 0
    changed: int = 0
    updated: int = 0
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
            "changed": self.changed,
            "updated": self.updated,
            "located": self.located,
            "unlocated": self.unlocated,
            "by_method": self.by_method,
            "by_file": self.by_file,
            "rejects_file": str(self.rejects_path) if self.rejects_path else None,
        }


#: The largest amount accepted for one grant (ten billion, in the grant's currency): far above
#: any real grant, far below float trouble when thousands are summed.
MAX_AMOUNT = 10_000_000_000
#: Award years accepted (360Giving data starts in the 1990s).
FIRST_YEAR, LAST_YEAR = 1990, 2100
# ASCII digits only, optional £, thousands separated by commas in threes, optional pence.
_AMOUNT = re.compile(r"^£?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$", re.ASCII)
_CURRENCY = re.compile(r"^[A-Z]{3}$", re.ASCII)


def check_amount(value: object) -> tuple[float | None, str | None]:
    """(amount, None) for a valid Amount Awarded, else (None, the reason).

    Accepted: a number, or text of ASCII digits with an optional ``£``, commas between
    thousands and pence (``1234``, ``£1,234.50``); finite, positive (at least a penny) and
    at most :data:`MAX_AMOUNT`.

    >>> check_amount("£1,234.50"), check_amount("1_000")[1]
    ((1234.5, None), "'1_000' is not an amount (digits with optional £, commas and pence)")
    """
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return None, "missing"
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None, f"{value} is above the ceiling of {MAX_AMOUNT:,}"
        shown = f"{value}"
    else:
        text = re.sub(r"\s", "", str(value))
        shown = f"'{value}'"
        if not _AMOUNT.match(text):
            return None, f"{shown} is not an amount (digits with optional £, commas and pence)"
        number = float(text.lstrip("£").replace(",", ""))
    if not math.isfinite(number):
        return None, f"{shown} is not a finite number"
    if number < 0.01:
        return None, f"{shown} is not positive (at least a penny)"
    if number > MAX_AMOUNT:
        return None, f"{shown} is above the ceiling of {MAX_AMOUNT:,} for one grant"
    return number, None


def parse_amount(value: object) -> float | None:
    """A valid amount (see :func:`check_amount`), or None."""
    return check_amount(value)[0]


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
# ISO 8601: a date, optionally a time (hours, minutes, seconds, fraction) and an offset.
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    re.ASCII,
)


def check_date(value: object) -> tuple[dt.date | None, str | None]:
    """(date, None) for a valid Award Date, else (None, the reason).

    Accepted: a date or datetime, ISO 8601 text (``2020-01-31``, ``2020-01-31T10:00:00Z``;
    nothing after it, a valid time), ``DD/MM/YYYY``, or an Excel serial day number; the year
    from :data:`FIRST_YEAR` to :data:`LAST_YEAR`.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "missing"
    date: dt.date | None = None
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return None, f"{value} is not a date"
        if 10000 <= value <= 80000:  # Excel serial number (days since 1899-12-30)
            date = dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        else:
            return None, f"{value} is not a date (use YYYY-MM-DD)"
    else:
        text = str(value).strip()
        try:
            if m := _DMY.match(text):
                day, month, year = (int(g) for g in m.groups())
                date = dt.date(year, month, day)
            elif _ISO.match(text):
                date = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            return None, f"'{value}' is not a valid date or time"
        if date is None:
            return None, f"'{value}' is not a date (use YYYY-MM-DD)"
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        return None, f"year {date.year} is outside {FIRST_YEAR}-{LAST_YEAR}"
    return date, None


def parse_date(value: object) -> dt.date | None:
    """A valid date (see :func:`check_date`), or None."""
    return check_date(value)[0]


def check_rates(rates: Mapping[str, float] | None) -> dict[str, float]:
    """Exchange rates to GBP by currency code, each a finite positive number."""
    out = {}
    for currency, rate in (rates or {}).items():
        code = str(currency).strip().upper()
        if not _CURRENCY.match(code):
            raise InvalidInput(
                f"exchange rate currency {currency!r} is not a 3-letter code; write e.g. "
                "--rate USD=0.79"
            )
        try:
            value = float(rate)
        except (TypeError, ValueError, OverflowError):
            value = math.nan
        if not (math.isfinite(value) and 0 < value <= 1e6):
            raise InvalidInput(
                f"exchange rate for {code} is {rate}; give a finite positive number (at most "
                "1,000,000), e.g. --rate USD=0.79"
            )
        out[code] = value
    return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_WEB = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def web_address(value: object) -> str | None:
    """An http(s) address fit to link to (at most 2,000 characters), else None.

    >>> web_address(" https://example.org/g/1 "), web_address("javascript:alert(1)")
    ('https://example.org/g/1', None)
    """
    if value is None or not isinstance(value, str):
        return None
    text = value.strip()
    return text if len(text) <= 2000 and _WEB.match(text) else None


def check_file(frame: pd.DataFrame, path: Path) -> None:
    """File-level errors: no grants at all, or a required column blank in every row."""
    if frame.empty:
        raise InvalidInput(
            f"{path.name} has no grants (only a header, or empty); nothing was imported; give "
            "a 360Giving file with grants"
        )
    for name, title in REQUIRED.items():
        if frame[name].map(lambda v: v is None or (isinstance(v, str) and not v.strip())).all():
            raise InvalidInput(
                f"{path.name} has no usable '{title}' column (missing or blank in every grant); "
                "nothing was imported; give a 360Giving file with "
                f"{', '.join(repr(t) for t in REQUIRED.values())}"
            )


def _codes_text(pairs) -> str | None:
    return ";".join(code for code, _ in pairs) or None


def prepare(
    paths: Sequence[Path],
    postcodes: Sequence[Path] | None = None,
    ref: loc.GeoReference | None = None,
    apportion: bool = False,
    rates: Mapping[str, float] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    store: duckdb.DuckDBPyConnection | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, validate and locate the files: (grant rows in ``GRANT_COLUMNS``, rejects).

    Postcodes are looked up in ``postcodes`` (NSPL/ONSPD CSVs) when given, else in the store's
    own postcode table (``store``, when it has one)."""
    rates = check_rates(rates)
    frames = []
    rejects: list[dict] = []
    seen: dict[str, tuple[str, int]] = {}
    for path in paths:
        path = Path(path)
        frame = read_grants(path, limits)
        check_file(frame, path)
        sha = file_sha256(path)
        keep = []
        ids, amounts, dates, currencies = [], [], [], []
        for rec in frame[
            ["row_number", "identifier", "amount", "award_date", "currency"]
        ].itertuples(index=False):
            row = rec.row_number
            ident = None if rec.identifier is None else str(rec.identifier).strip() or None
            amount, amount_problem = check_amount(rec.amount)
            date, date_problem = check_date(rec.award_date)
            currency = "GBP" if rec.currency is None else str(rec.currency).strip().upper()
            currency = currency or "GBP"
            reasons = []
            if ident is None:
                reasons.append("missing Identifier")
            if amount_problem == "missing":
                reasons.append("missing Amount Awarded")
            elif amount_problem:
                reasons.append(f"Amount Awarded {amount_problem}")
            if date_problem == "missing":
                reasons.append("missing Award Date")
            elif date_problem:
                reasons.append(f"Award Date {date_problem}")
            if not _CURRENCY.match(currency):
                reasons.append(f"Currency '{rec.currency}' is not a 3-letter code (e.g. GBP)")
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
            ids.append(ident)
            amounts.append(amount)
            dates.append(date)
            currencies.append(currency)
        frame = frame.assign(
            identifier=ids, amount=amounts, award_date=dates, currency=currencies,
            source_file=path.name, source_sha256=sha,
        )  # fmt: skip
        frames.append(frame[keep])
    grants = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if grants.empty:
        return pd.DataFrame(columns=GRANT_COLUMNS), pd.DataFrame(rejects, columns=REJECT_COLUMNS)

    lookup = None
    wanted = {
        compact(pc) for pc in grants["recipient_postcode"] if normalise_postcode(pc) is not None
    }
    if postcodes:
        lookup = read_lookup(list(postcodes), only=wanted)
    elif store is not None and store_has_lookup(store):
        lookup = read_store_lookup(store, wanted)
    located = loc.locate(grants, lookup, ref)
    grants = grants.join(located)
    grants["recipient_postcode"] = grants["recipient_postcode_normalised"]
    grants["award_year"] = [d.year for d in grants["award_date"]]
    rate = grants["currency"].map(lambda c: 1.0 if c == "GBP" else rates.get(c))
    grants["amount_gbp_pence"] = [
        None if r is None or (isinstance(r, float) and math.isnan(r)) else round(a * r * 100)
        for a, r in zip(grants["amount"], rate, strict=True)
    ]
    grants["url"] = grants["url"].map(web_address)
    grants["data_source"] = grants["data_source"].map(web_address)
    grants["beneficiary_codes"] = grants["beneficiary_locations"].map(_codes_text)
    grants["recipient_location_codes"] = grants["recipient_locations"].map(_codes_text)
    grants["apportioned"] = apportion & grants["location_geography"].isin(loc.LA_GEOGRAPHIES)
    for text_col in (
        "title", "funder_id", "funder_name", "funder_type", "recipient_id", "recipient_name"
    ):  # fmt: skip
        grants[text_col] = grants[text_col].map(lambda v: None if v is None else str(v).strip())

    for rec in grants.itertuples(index=False):
        if rec.location_method == "unlocated":
            rejects.append(
                _reject(rec.source_file, rec.source_sha256, rec.row_number, rec.identifier,
                        UNLOCATED, f"not located: {rec.location_note}")
            )  # fmt: skip
        if pd.isna(rec.amount_gbp_pence):
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


#: What a re-import compares: a grant whose identifier is already stored with other values.
COMPARED = ("amount", "currency", "award_date", "funder_id", "recipient_id", "title")


def _same(before: object, after: object) -> bool:
    if isinstance(before, pd.Timestamp):
        before = before.date()
    if isinstance(after, pd.Timestamp):
        after = after.date()
    if pd.isna(before) and pd.isna(after):
        return True
    if isinstance(before, float) or isinstance(after, float):
        try:
            return math.isclose(float(before), float(after), rel_tol=0, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return before == after


def _changed(community: Community, grants: pd.DataFrame) -> dict[str, str]:
    """Identifier -> what differs, for grants already stored with other values."""
    if grants.empty:
        return {}
    old = gdb.stored(community, grants["identifier"], COMPARED)
    if old.empty:
        return {}
    new = grants.set_index("identifier")
    out = {}
    for rec in old.itertuples(index=False):
        diffs = []
        for column in COMPARED:
            before, after = getattr(rec, column), new.at[rec.identifier, column]
            if not _same(before, after):
                diffs.append(f"{column} {before} -> {after}")
        if diffs:
            out[rec.identifier] = "; ".join(diffs)
    return out


def import_grants(
    community: Community,
    store: duckdb.DuckDBPyConnection | None,
    paths: Sequence[Path] | Path,
    postcodes: Sequence[Path] | Path | None = None,
    apportion: bool = False,
    rates: Mapping[str, float] | None = None,
    rejects_path: Path | None = None,
    update: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    via: str = "cli",
) -> ImportResult:
    """Import 360Giving files into the community database, atomically.

    ``store``: the evidence store (read-only is enough) whose codes and postcode lookup
    locate the grants (None: accept every well-formed code, no postcode lookup unless
    ``postcodes``). A grant already stored under its identifier with other values
    (:data:`COMPARED`) is reported (``changed``) and kept as it was, unless ``update`` (then
    replaced and logged in ``grant_updates``). The rejects CSV is written beside its target
    before the transaction and renamed onto it after the commit, so a failure leaves neither
    the database nor the file changed.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    if isinstance(postcodes, str | Path):
        postcodes = [postcodes]
    paths = [Path(p) for p in paths]
    if rejects_path is not None and Path(rejects_path).is_dir():
        raise InvalidInput(
            f"rejects file {rejects_path} is a directory; give a file path, e.g. "
            f"{Path(rejects_path) / 'rejects.csv'}"
        )
    ref = loc.GeoReference.from_store(store) if store is not None else None
    grants, rejects = prepare(paths, postcodes, ref, apportion, rates, limits, store=store)
    result = ImportResult(files=[p.name for p in paths])
    changed = _changed(community, grants)
    if changed:
        action = UPDATED if update else CHANGED
        outcome = "; updated" if update else "; kept the stored grant (use --update to apply)"
        extra = [
            _reject(
                rec.source_file,
                rec.source_sha256,
                rec.row_number,
                rec.identifier,
                action,
                f"already imported with other values: {changed[rec.identifier]}{outcome}",
            )
            for rec in grants.itertuples(index=False)
            if rec.identifier in changed
        ]
        rejects = pd.concat([rejects, pd.DataFrame(extra, columns=REJECT_COLUMNS)])
        rejects = rejects.reset_index(drop=True)
    files = []
    for path in paths:
        sha = file_sha256(path)
        rows = int((grants["source_sha256"] == sha).sum()) + int(
            ((rejects["source_sha256"] == sha) & (rejects["action"] == REJECTED)).sum()
        )
        files.append(gdb.ImportedFile(path.name, sha, rows))
    with contextlib.ExitStack() as stack:
        if rejects_path is not None:
            # what a killed import left beside its rejects file (named by its dead pid)
            remove_stale_temporaries(Path(rejects_path).parent)
            tmp = stack.enter_context(atomic_path(Path(rejects_path)))
            tmp.write_text(frame_csv(rejects), encoding="utf-8")
        result.inserted = gdb.write_import(
            community, files, grants, rejects, changed if update else {}, via=via
        )
    if rejects_path is not None:
        result.rejects_path = Path(rejects_path)
    result.changed = len(changed)
    result.updated = len(changed) if update else 0
    result.rows = len(grants) + int((rejects["action"] == REJECTED).sum())
    result.already_present = len(grants) - result.inserted - result.updated
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
    return result


def move_legacy(community: Community, store_path: Path) -> gdb.Moved:
    """Move the grants of an evidence store built before grants moved to the community
    database into it (once; later calls find nothing to do). A missing store has none."""
    if not Path(store_path).exists():
        return gdb.Moved()
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        return gdb.move_from_store(community, con)
    finally:
        con.close()
