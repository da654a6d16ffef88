from __future__ import annotations

import pandas as pd

from funding_fixtures import LOOKUP_HEADER, LOOKUP_ROWS, write_csv
from leftbehind.funding.locate import GeoReference, classify, locate
from leftbehind.funding.postcodes import read_lookup

REF = GeoReference(
    lsoa21={"E01008703", "E01035000", "E01035001"},
    lsoa11={"E01008703", "E01020000"},
    ward={"E05001158"},
    la={"E08000024"},
    lsoa11_to_21={"E01008703": ["E01008703"], "E01020000": ["E01035000", "E01035001"]},
    lsoa21_to_11={"E01008703": ["E01008703"]},
)


def _grants(rows):
    return pd.DataFrame(
        rows, columns=["beneficiary_locations", "recipient_locations", "recipient_postcode"]
    )


def _lookup(tmp_path):
    return read_lookup(write_csv(tmp_path / "l.csv", LOOKUP_HEADER, LOOKUP_ROWS))


def test_order_beneficiary_then_recipient_location_then_postcode(tmp_path):
    grants = _grants(
        [
            ([("E05001158", "WD")], [("E08000024", "")], "SR1 1AA"),
            ([], [("E05001158", "WD")], "SR1 1AA"),
            ([], [], "sr11aa"),
            ([("E12000001", "RGN")], [], "SR1 1AA"),
        ]
    )
    out = locate(grants, _lookup(tmp_path), REF)
    assert out["location_method"].tolist() == [
        "beneficiary", "recipient_location", "recipient_postcode", "recipient_postcode"
    ]  # fmt: skip
    assert out["location_geography"].tolist() == ["ward", "ward", "lsoa21", "lsoa21"]
    assert out.loc[2, "lsoa21_code"] == "E01008703"
    assert out.loc[2, "recipient_postcode_normalised"] == "SR1 1AA"
    assert "region code, too coarse" in out.loc[3, "location_note"]


def test_lsoa_vintages_and_finest_code(tmp_path):
    grants = _grants(
        [
            ([("E01020000", "LSOA")], [], None),  # 2011 code split in 2021
            ([("E08000024", "MD"), ("E01008703", "")], [], None),
        ]
    )
    out = locate(grants, None, REF)
    assert out.loc[0, "location_geography"] == "lsoa11"
    assert out.loc[0, "lsoa11_code"] == "E01020000"
    assert out.loc[0, "lsoa21_code"] is None  # split: apportioned later by population
    assert out.loc[1, "location_geography"] == "lsoa21"
    assert out.loc[1, "location_code"] == "E01008703"


def test_unlocated_reasons(tmp_path):
    grants = _grants(
        [
            ([("E01999999", "LSOA")], [], None),
            ([], [], "7044"),
            ([], [], "EC1A 1BB"),
            ([], [], "LS1 1AA"),
            ([], [], None),
            ([("K02000001", "")], [], None),
        ]
    )
    out = locate(grants, _lookup(tmp_path), REF)
    assert (out["location_method"] == "unlocated").all()
    notes = out["location_note"].tolist()
    assert "E01999999 is unknown" in notes[0]
    assert notes[1] == "malformed postcode '7044'"
    assert "district EC1A ends in a letter" in notes[2]
    assert notes[3] == "postcode LS1 1AA not in the lookup"
    assert notes[4] == "no beneficiary code, recipient location code or postcode"
    assert "United Kingdom" in notes[5]
    assert out.loc[2, "country"] == "E"  # English recipient even though unlocated


def test_postcode_without_lookup_is_reported():
    out = locate(_grants([([], [], "SR1 1AA")]), None, REF)
    assert "no postcode lookup given" in out.loc[0, "location_note"]


def test_classify():
    assert classify("E01000001") == ("lsoa", None)
    assert classify("E10000002") == ("utla", None)
    assert classify("S01006506") == ("dz11", None)
    assert classify("E12000007")[0] is None
    assert "not a GSS" in classify("UK")[1]


def test_reference_from_store(con):
    ref = GeoReference.from_store(con)
    assert "E01008703" in ref.lsoa11 and len(ref.lsoa21) > 30_000
    assert ref.known("E05001158", "ward") is not None
    assert not ref.known("E01999999", "lsoa")
