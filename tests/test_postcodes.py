from __future__ import annotations

import gzip

import pandas as pd
import pytest

from funding_fixtures import FLAT_HEADER, LOOKUP_HEADER, LOOKUP_ROWS, write_csv
from leftbehind.errors import InvalidInput
from leftbehind.funding.postcodes import (
    lookup_files,
    normalise_postcode,
    normalise_postcodes,
    read_lookup,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sr11aa", "SR1 1AA"),
        (" SR1  1AA ", "SR1 1AA"),
        ("sw1a-1aa", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("7044", None),
        ("", None),
        (None, None),
        ("SR1 1A", None),
        ("1SR 1AA", None),
    ],
)
def test_normalise_postcode(raw, expected):
    assert normalise_postcode(raw) == expected


def test_normalise_postcodes_vectorised_agrees():
    raw = pd.Series(["sr11aa", None, 7044, "wc2b 5lx", "  dt1 1aa"], dtype=object)
    assert normalise_postcodes(raw).tolist() == [normalise_postcode(v) for v in raw]


def test_read_lookup_csv_and_gzip(tmp_path):
    plain = write_csv(tmp_path / "l.csv", LOOKUP_HEADER, LOOKUP_ROWS)
    gz = tmp_path / "l.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, gz):
        frame = read_lookup(path)
        assert len(frame) == 3
        row = frame.set_index("postcode_key").loc["SR11AA"]
        assert row["lsoa21"] == "E01008703"
        assert row["ward"] == "E05001158"
        assert row["ltla"] == "E08000024"
        assert row["lsoa11"] is None


def test_read_lookup_only_and_file_order(tmp_path):
    first = write_csv(tmp_path / "a.csv", ["pcds", "laua"], [["SR1 1AA", "E08000001"]])
    second = write_csv(tmp_path / "b.csv", LOOKUP_HEADER, LOOKUP_ROWS)
    frame = read_lookup([first, second], only=["sr1 1aa", "dt11aa"])
    assert sorted(frame["postcode_key"]) == ["DT11AA", "SR11AA"]
    assert frame.set_index("postcode_key").loc["SR11AA", "ltla"] == "E08000001"


def test_pseudo_codes_are_missing(tmp_path):
    path = write_csv(tmp_path / "l.csv", ["pcds", "laua", "lsoa11"], [["JE2 3AA", "L99999999", ""]])
    row = read_lookup(path).iloc[0]
    assert row["ltla"] is None and row["lsoa11"] is None


def test_lookup_errors(tmp_path):
    with pytest.raises(InvalidInput, match="no postcode column"):
        read_lookup(write_csv(tmp_path / "x.csv", ["code", "laua"], [["a", "b"]]))
    with pytest.raises(InvalidInput, match="none of the columns"):
        read_lookup(write_csv(tmp_path / "y.csv", ["pcds", "other"], [["SR1 1AA", "b"]]))
    with pytest.raises(InvalidInput, match="does not exist"):
        read_lookup(tmp_path / "missing.csv")


def test_real_nspl_41_columns(samples_dir):
    path = samples_dir / "postcodes" / "nspl-2021-11-SR.csv"
    frame = read_lookup(path)
    assert len(frame) > 5_000
    row = frame.set_index("postcode_key").loc["SR11AA"]
    assert row["lsoa11"] == "E01008703"
    assert row["ward"] == "E05001158"
    assert row["country"] == "E92000001"


def test_real_derived_lookup_filtered(samples_dir):
    path = samples_dir / "postcodes" / "nspl-2024-08-derived.csv.gz"
    frame = read_lookup(path, only=["LS3 1HH", "EC1A 1BB"])
    # central London districts ending in a letter are missing from this file
    assert frame["postcode"].tolist() == ["LS3 1HH"]
    assert frame.iloc[0]["lsoa21"].startswith("E01")


def test_a_folder_is_its_csv_files_in_name_order(tmp_path):
    # An NSPL download's Data/multi_csv folder: one CSV per postcode area, plain or gzipped;
    # other files and subfolders are not lookups.
    folder = tmp_path / "multi_csv"
    folder.mkdir()
    write_csv(folder / "NSPL_SR.csv", ["pcds", "laua"], [["SR1 1AA", "E08000024"]])
    dt = write_csv(tmp_path / "dt.csv", ["pcds", "laua"], [["DT1 1AA", "E06000059"]])
    (folder / "NSPL_DT.csv.gz").write_bytes(gzip.compress(dt.read_bytes()))
    (folder / "README.txt").write_text("not a lookup")
    (folder / "old").mkdir()
    write_csv(folder / "old" / "NSPL_SR.csv", ["pcds", "laua"], [["SR1 1AA", "E08000001"]])
    assert [p.name for p in lookup_files(folder)] == ["NSPL_DT.csv.gz", "NSPL_SR.csv"]
    frame = read_lookup(folder).set_index("postcode_key")
    assert frame.loc["SR11AA", "ltla"] == "E08000024"  # not the copy in the subfolder
    assert frame.loc["DT11AA", "ltla"] == "E06000059"
    assert len(frame) == 2


def test_names_are_literal_never_patterns(tmp_path):
    # DuckDB would read 'nspl[12].csv' as a pattern matching nspl1.csv and nspl2.csv.
    write_csv(tmp_path / "nspl1.csv", ["pcds", "laua"], [["SR1 1AA", "E08000024"]])
    odd = write_csv(tmp_path / "nspl[12].csv", ["pcds", "laua"], [["DT1 1AA", "E06000059"]])
    with pytest.raises(InvalidInput, match=r"holds one of \* \? \[ \] \{ \}.*rename"):
        read_lookup(odd)
    with pytest.raises(InvalidInput, match="does not exist; give the path to an NSPL"):
        read_lookup(tmp_path / "nspl*.csv")  # a pattern the shell did not expand
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInput, match=r"has no \.csv or \.csv\.gz files"):
        read_lookup(empty)


def test_grants_are_located_through_a_postcode_folder(tmp_path, samples_dir):
    from leftbehind.funding.grants_store import prepare

    folder = tmp_path / "lookups"
    folder.mkdir()
    for name in ("nspl-2021-11-SR.csv", "nspl-2021-11-DT.csv"):
        (folder / name).write_bytes((samples_dir / "postcodes" / name).read_bytes())
    row = ["360G-pc-dir-1", "A", "1000", "GBP", "2022-04-01", "GB-CHC-1", "Org", "DT1 1AA",
           "", "", "", "GB-CHC-9", "Funder"]  # fmt: skip
    grants, rejects = prepare([write_csv(tmp_path / "g.csv", FLAT_HEADER, [row])], [folder])
    assert rejects.empty
    got = grants.iloc[0]
    assert got["ltla_code"] == "E06000059"  # Dorset, from the DT file of the folder
    assert got["lsoa11_code"] and got["lsoa11_code"].startswith("E01")
