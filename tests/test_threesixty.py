from __future__ import annotations

import datetime as dt

import pytest

from funding_fixtures import FLAT_HEADER, FLAT_ROWS, JSON_GRANTS, write_csv, write_json, write_xlsx
from leftbehind.errors import InvalidInput
from leftbehind.funding.threesixty import COLUMNS, geo_code, read_grants


def test_flat_csv_normalised(tmp_path):
    frame = read_grants(write_csv(tmp_path / "g.csv", FLAT_HEADER, FLAT_ROWS))
    assert list(frame.columns) == COLUMNS
    assert len(frame) == len(FLAT_ROWS)
    first = frame.iloc[0]
    assert first["row_number"] == 2  # header is row 1
    assert first["identifier"] == "360G-T-1"
    assert first["recipient_postcode"] == " sr11aa "
    assert first["funder_name"] == "Funder One"
    assert first["beneficiary_locations"] == [("E01008703", "LSOA")]
    # two numbered beneficiary locations are both kept, in order
    assert frame.iloc[-1]["beneficiary_locations"] == [("E08000024", "MD"), ("E01008703", "")]
    assert frame.loc[frame["title"] == "missing id", "identifier"].item() is None


def test_xlsx_matches_csv(tmp_path):
    rows = [list(r) for r in FLAT_ROWS]
    rows[0][4] = dt.datetime(2019, 5, 1)
    rows[0][2] = 1000
    frame = read_grants(write_xlsx(tmp_path / "g.xlsx", FLAT_HEADER, rows))
    assert len(frame) == len(FLAT_ROWS)
    assert frame.iloc[0]["award_date"] == dt.datetime(2019, 5, 1)
    assert frame.iloc[0]["amount"] == 1000
    assert frame.iloc[3]["beneficiary_locations"] == [("E12000009", "RGN")]


def test_unnumbered_beneficiary_and_grantnav_recipient_columns(tmp_path):
    header = ["Identifier", "Amount Awarded", "Beneficiary Location:Geographic Code",
              "Beneficiary Location:Geographic Code Type", "Recipient Ward Geographic Code",
              "Recipient District Geographic Code"]  # fmt: skip
    frame = read_grants(
        write_csv(tmp_path / "g.csv", header, [["a", "1", "E09000001", "LONB", "E05000001", ""]])
    )
    assert frame.iloc[0]["beneficiary_locations"] == [("E09000001", "LONB")]
    assert frame.iloc[0]["recipient_locations"] == [("E05000001", "")]


def test_json_package(tmp_path):
    frame = read_grants(write_json(tmp_path / "g.json", JSON_GRANTS))
    assert frame["row_number"].tolist() == [1, 2, 3, 4, 5]
    assert frame.iloc[0]["beneficiary_locations"] == [("E01020000", "LSOA")]
    # a file that swapped geoCode and geoCodeType still yields the code
    assert frame.iloc[1]["beneficiary_locations"] == [("E08000024", "MD")]
    assert frame.iloc[2]["recipient_locations"] == [("E05001158", "WD")]
    assert frame.iloc[2]["recipient_postcode"] == "SR1 1AA"
    assert frame.iloc[0]["funder_id"] == "GB-F-3"


def test_geo_code():
    assert geo_code(" e01000001 ", "LSOA") == ("E01000001", "LSOA")
    assert geo_code("MD", "E08000024") == ("E08000024", "MD")
    assert geo_code(None, None) is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("g.json", "{not json", "not valid JSON"),
        ("g.json", '{"other": []}', "no 'grants' array"),
        ("g.csv", "Title,Amount Awarded\nx,1\n", "no 'Identifier' column"),
        ("g.txt", "x", "unknown type"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        read_grants(path)


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        read_grants(tmp_path / "none.csv")


def test_real_samples_read(samples_dir):
    for path in sorted((samples_dir / "grants").iterdir()):
        frame = read_grants(path)
        assert len(frame) > 400, path.name
        assert frame["identifier"].notna().all(), path.name
