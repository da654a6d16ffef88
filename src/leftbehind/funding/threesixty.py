"""Read grants in the 360Giving Data Standard into one normalised frame.

Two layouts: the flat spreadsheet (CSV or XLSX) that funders and GrantNav publish, with column
titles such as ``Identifier``, ``Amount Awarded``, ``Recipient Org:Postal Code`` and
``Beneficiary Location:0:Geographic Code``; and the JSON package (``{"grants": [...]}``).
Values are kept raw here (strings, numbers, dates as found); ``grants_store`` validates them.

Readers are bounded (:class:`ReadLimits`): file size, rows, columns, cell length, a spreadsheet's
uncompressed size and JSON nesting; a file beyond a limit, a file with no grants or no usable
required column, and a truncated file are file-level errors (:class:`InvalidInput`) naming
the file and what to do.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from leftbehind.errors import InvalidInput

GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")

COLUMNS = [
    "row_number",
    "identifier",
    "title",
    "amount",
    "currency",
    "award_date",
    "funder_id",
    "funder_name",
    "funder_type",
    "recipient_id",
    "recipient_name",
    "recipient_postcode",
    "beneficiary_locations",
    "recipient_locations",
    "url",
    "data_source",
]

# flat column title (normalised: lower case, no spaces) -> field
_FLAT_FIELDS = {
    "identifier": "identifier",
    "title": "title",
    "amountawarded": "amount",
    "currency": "currency",
    "awarddate": "award_date",
    "fundingorg:identifier": "funder_id",
    "fundingorg:0:identifier": "funder_id",
    "fundingorg:name": "funder_name",
    "fundingorg:0:name": "funder_name",
    "fundingorg:organisationtype": "funder_type",
    "fundingorg:0:organisationtype": "funder_type",
    "fundingorg:orgtype": "funder_type",
    "fundingorg:0:orgtype": "funder_type",
    "url": "url",
    "datasource": "data_source",
    "recipientorg:identifier": "recipient_id",
    "recipientorg:0:identifier": "recipient_id",
    "recipientorg:name": "recipient_name",
    "recipientorg:0:name": "recipient_name",
    "recipientorg:postalcode": "recipient_postcode",
    "recipientorg:0:postalcode": "recipient_postcode",
}
# GrantNav's export adds the recipient's ward and district looked up from its postcode.
_GRANTNAV_RECIPIENT_CODES = ("recipientwardgeographiccode", "recipientdistrictgeographiccode")
_JSON_RECIPIENT_CODES = ("recipientWardNameGeoCode", "recipientDistrictGeoCode")

_BENEFICIARY = re.compile(r"^beneficiarylocation:(?:(\d+):)?geographiccode(type)?$")
_RECIPIENT_LOC = re.compile(r"^recipientorg:(?:0:)?location:(?:(\d+):)?geographiccode(type)?$")


#: What every grant needs (field -> the 360Giving column title).
REQUIRED = {"identifier": "Identifier", "amount": "Amount Awarded", "award_date": "Award Date"}


@dataclass(frozen=True)
class ReadLimits:
    """Resource limits of one grants file (``grants import --max-file-mb/--max-rows`` raise the
    first two)."""

    max_bytes: int = 200 * 1024 * 1024
    max_rows: int = 500_000
    max_columns: int = 2_000
    max_cell_chars: int = 10_000
    #: A spreadsheet is a zip: its parts may expand to at most this much (zip bombs).
    max_uncompressed_bytes: int = 1024 * 1024 * 1024

    def too_many_columns(self, name: str) -> InvalidInput:
        return InvalidInput(
            f"{name} has more than {self.max_columns:,} columns, the limit per file; give a "
            "360Giving flat file (GrantNav export)"
        )

    def too_many_rows(self, name: str) -> InvalidInput:
        return InvalidInput(
            f"{name} has more than {self.max_rows:,} rows, the limit per file; split it or "
            "raise the limit with --max-rows"
        )


DEFAULT_LIMITS = ReadLimits()


def _norm_title(title: Any) -> str:
    return re.sub(r"\s+", "", str(title or "")).lower()


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def geo_code(code: Any, code_type: Any = None) -> tuple[str, str] | None:
    """A (code, declared type) pair if either field holds a GSS code (some files swap them)."""
    code_s = "" if _blank(code) else str(code).strip().upper()
    type_s = "" if _blank(code_type) else str(code_type).strip()
    if GSS_CODE.match(code_s):
        return code_s, type_s
    if GSS_CODE.match(type_s.upper()):
        return type_s.upper(), code_s
    if code_s:
        return code_s, type_s  # not a GSS code: kept so the locator can report it
    return None


def read_grants(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """Read a 360Giving file (.json, .csv, .xlsx) into the normalised frame (``COLUMNS``)."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"grants file {path} does not exist; give the path to a 360Giving file")
    if not path.is_file():
        raise InvalidInput(f"grants file {path} is not a file; give the path to a 360Giving file")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise InvalidInput(
            f"{path.name} is {size / 2**20:,.1f} MB, above the limit of "
            f"{limits.max_bytes / 2**20:,.0f} MB per file; split it or raise the limit with "
            "--max-file-mb"
        )
    suffix = path.suffix.lower()
    if suffix == ".json":
        records = _read_json(path, limits)
    elif suffix in {".xlsx", ".xlsm"}:
        records = _read_flat(_xlsx_rows(path, limits), path, limits)
    elif suffix == ".csv":
        records = _read_flat(_csv_rows(path, limits), path, limits)
    else:
        raise InvalidInput(
            f"grants file {path.name} has an unknown type; give a 360Giving .json, .csv or .xlsx"
        )
    frame = pd.DataFrame(records, columns=COLUMNS, dtype=object)
    frame["row_number"] = frame["row_number"].astype("int64")
    return frame


# ---------------------------------------------------------------- JSON packages


def _first(items: Any) -> dict:
    if isinstance(items, list):
        return items[0] if items and isinstance(items[0], dict) else {}
    return items if isinstance(items, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _read_json(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{path.name} is not valid JSON ({exc}); give a 360Giving package with a 'grants' array"
        ) from None
    except RecursionError:
        raise InvalidInput(
            f"{path.name} is nested too deeply to be a 360Giving package (JSON depth limit); "
            "give a package with a 'grants' array"
        ) from None
    grants = data.get("grants") if isinstance(data, dict) else data
    if not isinstance(grants, list):
        raise InvalidInput(f"{path.name} has no 'grants' array; give a 360Giving JSON package")
    if len(grants) > limits.max_rows:
        raise limits.too_many_rows(path.name)
    records = []
    for number, grant in enumerate(grants, start=1):
        if not isinstance(grant, dict):
            grant = {}
        funder = _first(grant.get("fundingOrganization"))
        recipient = _first(grant.get("recipientOrganization"))
        beneficiary = []
        for loc in _list(grant.get("beneficiaryLocation")):
            if isinstance(loc, dict) and (
                pair := geo_code(loc.get("geoCode"), loc.get("geoCodeType"))
            ):
                beneficiary.append(pair)
        recipient_locs = []
        for loc in _list(recipient.get("location")):
            if isinstance(loc, dict) and (
                pair := geo_code(loc.get("geoCode"), loc.get("geoCodeType"))
            ):
                recipient_locs.append(pair)
        additional = (
            grant.get("additional_data") if isinstance(grant.get("additional_data"), dict) else {}
        )
        for key in _JSON_RECIPIENT_CODES:
            value = grant.get(key, additional.get(key))
            if pair := geo_code(value):
                recipient_locs.append(pair)
        records.append(
            {
                "row_number": number,
                "identifier": grant.get("id"),
                "title": grant.get("title"),
                "amount": grant.get("amountAwarded"),
                "currency": grant.get("currency"),
                "award_date": grant.get("awardDate"),
                "funder_id": funder.get("id"),
                "funder_name": funder.get("name"),
                "funder_type": funder.get("organisationType") or funder.get("orgType"),
                "recipient_id": recipient.get("id"),
                "recipient_name": recipient.get("name"),
                "recipient_postcode": recipient.get("postalCode"),
                "beneficiary_locations": beneficiary,
                "recipient_locations": recipient_locs,
                "url": grant.get("url"),
                "data_source": grant.get("dataSource"),
            }
        )
    return records


# ---------------------------------------------------------------- flat layout


def _xlsx_rows(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(
            f"{path.name} could not be read as a spreadsheet ({type(exc).__name__}: it is not a "
            "complete .xlsx file); save it again as .xlsx or export it as CSV"
        ) from None
    if expanded > limits.max_uncompressed_bytes:
        raise InvalidInput(
            f"{path.name} expands to {expanded / 2**20:,.0f} MB, above the limit of "
            f"{limits.max_uncompressed_bytes / 2**20:,.0f} MB for a spreadsheet; export it as "
            "CSV or split it"
        )
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InvalidInput(
            f"{path.name} could not be read as a spreadsheet ({type(exc).__name__}); "
            "save it again as .xlsx or export it as CSV"
        ) from None
    try:
        for sheet in book.worksheets:
            # Streamed (read-only mode); rows and columns counted as they come.
            if (sheet.max_column or 0) > limits.max_columns:
                raise limits.too_many_columns(path.name)
            rows = sheet.iter_rows(values_only=True)
            try:
                header = next(rows, None)
                if header and any(_norm_title(h) == "identifier" for h in header):
                    out = [header]
                    for row in rows:
                        if len(out) > limits.max_rows:
                            raise limits.too_many_rows(path.name)
                        if len(row) > limits.max_columns:
                            raise limits.too_many_columns(path.name)
                        out.append(row)
                    return out
            finally:
                rows.close()  # the sheet's XML stream
        raise InvalidInput(
            f"{path.name} has no sheet with an 'Identifier' column; "
            "give a 360Giving flat spreadsheet"
        )
    except InvalidInput:
        raise
    except Exception as exc:  # a damaged sheet inside a valid zip
        raise InvalidInput(
            f"{path.name} has a damaged sheet ({type(exc).__name__}); save it again as .xlsx "
            "or export it as CSV"
        ) from None
    finally:
        book.close()


def _csv_rows(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows = []
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for row in reader:
            if len(rows) > limits.max_rows:
                raise limits.too_many_rows(path.name)
            rows.append(row)
    except csv.Error as exc:
        raise InvalidInput(
            f"{path.name} is not a readable CSV file at line {reader.line_num} ({exc}); "
            "check it is a complete 360Giving CSV export (not truncated or binary)"
        ) from None
    if len(rows) > 1 and text and not text.endswith(("\n", "\r")) and len(rows[-1]) < len(rows[0]):
        raise InvalidInput(
            f"{path.name} ends in the middle of row {len(rows)} ({len(rows[-1])} of "
            f"{len(rows[0])} columns): the file is truncated; download or export it again"
        )
    return rows


def _read_flat(rows: list, path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[dict]:
    if not rows:
        raise InvalidInput(f"{path.name} is empty; give a 360Giving file with a header row")
    for number, row in enumerate(rows, start=1):
        if len(row) > limits.max_columns:
            raise limits.too_many_columns(path.name)
        for index, value in enumerate(row):
            if isinstance(value, str) and len(value) > limits.max_cell_chars:
                raise InvalidInput(
                    f"{path.name} row {number} column {index + 1} has {len(value):,} characters, "
                    f"above the limit of {limits.max_cell_chars:,} per cell; is it a 360Giving "
                    "file?"
                )
    header = [_norm_title(h) for h in rows[0]]
    if "identifier" not in header:
        raise InvalidInput(
            f"{path.name} has no 'Identifier' column; give a 360Giving flat file "
            "(GrantNav export or the funder's own spreadsheet)"
        )
    fields: dict[int, str] = {}
    beneficiary: dict[str, dict[str, int]] = {}
    recipient: dict[str, dict[str, int]] = {}
    extra_recipient: list[int] = []
    for index, title in enumerate(header):
        if title in _FLAT_FIELDS and _FLAT_FIELDS[title] not in fields.values():
            fields[index] = _FLAT_FIELDS[title]
        elif m := _BENEFICIARY.match(title):
            beneficiary.setdefault(m.group(1) or "0", {})["type" if m.group(2) else "code"] = index
        elif m := _RECIPIENT_LOC.match(title):
            recipient.setdefault(m.group(1) or "0", {})["type" if m.group(2) else "code"] = index
        elif title in _GRANTNAV_RECIPIENT_CODES:
            extra_recipient.append(index)
    width = len(header)
    records = []
    for number, row in enumerate(rows[1:], start=2):
        row = list(row) + [None] * (width - len(row))
        if all(_blank(v) for v in row):
            continue
        record: dict[str, Any] = {c: None for c in COLUMNS}
        record["row_number"] = number
        for index, field in fields.items():
            value = row[index]
            record[field] = None if _blank(value) else value
        record["beneficiary_locations"] = _pairs(row, beneficiary)
        locs = _pairs(row, recipient)
        for index in extra_recipient:
            if pair := geo_code(row[index]):
                locs.append(pair)
        record["recipient_locations"] = locs
        records.append(record)
    return records


def _pairs(row: list, groups: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    out = []
    for key in sorted(groups, key=int):
        cols = groups[key]
        code = row[cols["code"]] if "code" in cols else None
        kind = row[cols["type"]] if "type" in cols else None
        if pair := geo_code(code, kind if "code" in cols else None):
            out.append(pair)
    return out
