"""Realistic 360Giving fixtures written by the funding tests (both layouts)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

FLAT_HEADER = [
    "Identifier", "Title", "Amount Awarded", "Currency", "Award Date",
    "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Postal Code",
    "Beneficiary Location:0:Geographic Code", "Beneficiary Location:0:Geographic Code Type",
    "Beneficiary Location:1:Geographic Code", "Funding Org:Identifier", "Funding Org:Name",
]  # fmt: skip

# row 2.. in the spreadsheet; comments give what each row tests
FLAT_ROWS = [
    ["360G-T-1", "LSOA 2021 beneficiary", "1000", "GBP", "2019-05-01", "GB-CHC-1", "Org A",
     " sr11aa ", "E01008703", "LSOA", "", "GB-F-1", "Funder One"],
    ["360G-T-2", "ward beneficiary", "£2,500.50", "GBP", "01/06/2018", "GB-CHC-2", "Org B",
     "", "E05001158", "WD", "", "GB-F-1", "Funder One"],
    ["360G-T-3", "LA beneficiary", "3000", "GBP", "2017-01-02", "GB-CHC-3", "Org C", "",
     "E08000024", "MD", "", "GB-F-2", "Funder Two"],
    ["360G-T-4", "region beneficiary, postcode used", "400", "GBP", "2020-02-03", "GB-CHC-4",
     "Org D", "dt1  1aa", "E12000009", "RGN", "", "GB-F-2", "Funder Two"],
    ["360G-T-5", "duplicate id", "99", "GBP", "2020-02-03", "GB-CHC-5", "Org E", "SR1 1AA",
     "", "", "", "GB-F-2", "Funder Two"],
    ["360G-T-1", "duplicate of row 2", "1000", "GBP", "2019-05-01", "GB-CHC-1", "Org A",
     "SR1 1AA", "", "", "", "GB-F-1", "Funder One"],
    ["", "missing id", "10", "GBP", "2019-05-01", "GB-CHC-6", "Org F", "SR1 1AA", "", "", "",
     "GB-F-1", "Funder One"],
    ["360G-T-8", "missing amount", "", "GBP", "2019-05-01", "GB-CHC-7", "Org G", "SR1 1AA", "",
     "", "", "GB-F-1", "Funder One"],
    ["360G-T-9", "bad date", "10", "GBP", "next tuesday", "GB-CHC-8", "Org H", "SR1 1AA", "",
     "", "", "GB-F-1", "Funder One"],
    ["360G-T-10", "US dollars", "500", "USD", "2019-05-01", "US-EIN-1", "Org I", "SR1 1AA", "",
     "", "", "GB-F-1", "Funder One"],
    ["360G-T-11", "malformed postcode", "70", "GBP", "2019-05-01", "GB-CHC-9", "Org J", "7044",
     "", "", "", "GB-F-1", "Funder One"],
    ["360G-T-12", "unknown code", "80", "GBP", "2019-05-01", "GB-CHC-10", "Org K", "",
     "E01999999", "LSOA", "", "GB-F-1", "Funder One"],
    ["360G-T-13", "London district ending in a letter", "90", "GBP", "2019-05-01", "GB-CHC-11",
     "Org L", "ec1a1bb", "", "", "", "GB-F-1", "Funder One"],
    ["360G-T-14", "second beneficiary is finer", "15", "GBP", "2019-05-01", "GB-CHC-12",
     "Org M", "", "E08000024", "MD", "E01008703", "GB-F-1", "Funder One"],
]  # fmt: skip

JSON_GRANTS = [
    {"id": "360G-J-1", "title": "LSOA 2011 code", "amountAwarded": 100, "currency": "GBP",
     "awardDate": "2016-03-01T00:00:00+00:00",
     "beneficiaryLocation": [{"geoCode": "E01020000", "geoCodeType": "LSOA"}],
     "recipientOrganization": [{"id": "GB-COH-1", "name": "J1", "postalCode": "DT1 1AA"}],
     "fundingOrganization": [{"id": "GB-F-3", "name": "Funder Three"}]},
    {"id": "360G-J-2", "title": "swapped code and type", "amountAwarded": 200.5,
     "currency": "GBP", "awardDate": "2020-04-01",
     "beneficiaryLocation": [{"geoCode": "MD", "geoCodeType": "E08000024"}],
     "recipientOrganization": [{"id": "GB-COH-2", "name": "J2"}],
     "fundingOrganization": [{"id": "GB-F-3", "name": "Funder Three"}]},
    {"id": "360G-J-3", "title": "recipient location", "amountAwarded": 300, "currency": "GBP",
     "awardDate": "2020-04-01",
     "recipientOrganization": [{"id": "GB-COH-3", "name": "J3", "postalCode": "SR1 1AA",
                                "location": [{"geoCode": "E05001158", "geoCodeType": "WD"}]}],
     "fundingOrganization": [{"id": "GB-F-3", "name": "Funder Three"}]},
    {"id": "360G-J-4", "title": "nothing to locate by", "amountAwarded": 400, "currency": "GBP",
     "awardDate": "2020-04-01", "recipientOrganization": [{"id": "GB-COH-4", "name": "J4"}],
     "fundingOrganization": [{"id": "GB-F-3", "name": "Funder Three"}]},
    {"id": "360G-J-5", "title": "bad amount", "amountAwarded": "lots", "currency": "GBP",
     "awardDate": "2020-04-01", "recipientOrganization": [{"id": "GB-COH-5", "name": "J5"}],
     "fundingOrganization": [{"id": "GB-F-3", "name": "Funder Three"}]},
]  # fmt: skip

LOOKUP_HEADER = ["pcd", "pcds", "laua", "osward", "lsoa21", "ctry"]
LOOKUP_ROWS = [
    ["SR1 1AA", "SR1 1AA", "E08000024", "E05001158", "E01008703", "E92000001"],
    ["DT1 1AA", "DT1 1AA", "E06000059", "E05012345", "E01020000", "E92000001"],
    ["CF101AA", "CF10 1AA", "W06000015", "W05000001", "W01001700", "W92000004"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "grants"
    sheet.append(header)
    for row in rows:
        sheet.append([None if v == "" else v for v in row])
    book.save(path)
    return path


def write_json(path: Path, grants: list[dict]) -> Path:
    path.write_text(json.dumps({"grants": grants}), encoding="utf-8")
    return path


def write_all(folder: Path) -> dict[str, Path]:
    return {
        "csv": write_csv(folder / "flat.csv", FLAT_HEADER, FLAT_ROWS),
        "json": write_json(folder / "package.json", JSON_GRANTS),
        "lookup": write_csv(folder / "lookup.csv", LOOKUP_HEADER, LOOKUP_ROWS),
    }
