"""Boundary and vintage comparison: 2019 ward list against 2023 LSOA list."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from leftbehind.errors import StoreMissing, UnknownName
from leftbehind.robustness.vintage import compare_vintages

IMD19 = [
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "housing_and_access",
    "environment",
]
IMD25 = [*IMD19[:5], "housing_and_services", "environment"]


def tiny_store() -> duckdb.DuckDBPyConnection:
    """Two 2017 wards (W1 left behind, W2 not) of two 2011 LSOAs each; 2021 LSOAs:
    A1 unchanged (in W1, listed 2023), A2 split into B1 (listed) and B2, A3 unchanged
    (in W2, listed 2023), A4 merged with ... nothing (unchanged, not listed)."""
    con = duckdb.connect(":memory:")
    wards = pd.DataFrame(
        {
            "ward17_code": ["W1", "W2"],
            "ward17_name": ["One", "Two"],
            "civic_assets_rank": [1, 2],
            "connectedness_rank": [1, 2],
            "engaged_community_rank": [1, 2],
            "published_left_behind": [True, False],
        }
    )
    lsoa11 = ["A1", "A2", "A3", "A4"]
    imd19 = pd.DataFrame({"lsoa11_code": lsoa11, **{f"{d}_rank": [1, 2, 3, 4] for d in IMD19}})
    lk_ward = pd.DataFrame({"lsoa11_code": lsoa11, "ward17_code": ["W1", "W1", "W2", "W2"]})
    pop = pd.DataFrame({"lsoa11_code": lsoa11, "total_population": [1000, 2000, 1500, 500]})
    lsoa21 = ["A1", "B1", "B2", "A3", "A4"]
    cni23 = pd.DataFrame(
        {
            "lsoa21_code": lsoa21,
            "lsoa21_name": lsoa21,
            **{
                f"{d}_rank": [1, 2, 3, 4, 5]
                for d in ("civic_assets", "connectedness", "engaged_community")
            },
            "published_left_behind": [True, True, False, True, False],
        }
    )
    imd25 = pd.DataFrame({"lsoa21_code": lsoa21, **{f"{d}_rank": [1, 2, 3, 4, 5] for d in IMD25}})
    lk_21 = pd.DataFrame(
        {
            "lsoa11_code": ["A1", "A2", "A2", "A3", "A4"],
            "lsoa21_code": lsoa21,
            "change_code": ["U", "S", "S", "U", "U"],
        }
    )
    tables = {
        "cni2019_england_ward17": wards,
        "imd2019_england_lsoa11": imd19,
        "lookup_lsoa11_ward17": lk_ward,
        "population17_lsoa11": pop,
        "population19_lsoa11": pop,
        "cni2023_england_lsoa21": cni23,
        "imd2025_england_lsoa21": imd25,
        "lookup_lsoa11_lsoa21_ltla22": lk_21,
    }
    for name, frame in tables.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    return con


def test_known_answer_on_tiny_store():
    # LSOA codes must look English for the lookup filter
    con = tiny_store()
    for table in (
        "lookup_lsoa11_lsoa21_ltla22",
        "lookup_lsoa11_ward17",
        "population19_lsoa11",
        "population17_lsoa11",
        "imd2019_england_lsoa11",
    ):
        con.execute(f"UPDATE {table} SET lsoa11_code = 'E' || lsoa11_code")
    result = compare_vintages(con)
    w = result.wards.set_index("code")
    # W1: A1 (1000, listed 2023) + A2 split 1000 to B1 (listed) and 1000 to B2 (not):
    # 2000 of 3000 covered -> persisted.
    assert w.loc["W1", "population"] == 3000
    assert w.loc["W1", "population_in_2023_list"] == 2000
    assert w.loc["W1", "status"] == "persisted"
    # W2: A3 (1500, listed) + A4 (500) -> 75% covered but not on the 2019 list -> new.
    assert w.loc["W2", "share_in_2023_list"] == pytest.approx(0.75)
    assert w.loc["W2", "status"] == "newly_identified"
    s = result.lsoas.set_index("code")
    assert s.loc["A1", "status"] == "persisted"
    assert s.loc["B1", "status"] == "persisted"
    assert s.loc["B2", "status"] == "dropped"
    assert s.loc["A3", "status"] == "newly_identified"
    assert s.loc["A4", "status"] == "neither"
    summary = result.summary
    assert summary["population_2019_list"] == 3000
    assert summary["population_persisted"] == 2000
    assert summary["population_dropped"] == 1000
    assert summary["population_newly_identified"] == 1500
    assert summary["population_2023_list"] == 3500


def test_bad_basis_and_missing_tables():
    con = tiny_store()
    with pytest.raises(UnknownName, match="published, recomputed"):
        compare_vintages(con, "guessed")  # type: ignore[arg-type]
    con.execute("DROP TABLE lookup_lsoa11_lsoa21_ltla22")
    with pytest.raises(StoreMissing, match="lookup_lsoa11_lsoa21_ltla22"):
        compare_vintages(con)


@pytest.mark.integration
@pytest.mark.parametrize("basis", ["published", "recomputed"])
def test_real_lists(con, basis):
    result = compare_vintages(con, basis)
    s = result.summary
    assert sum(s["ward_status"].values()) == 7433
    assert sum(s["lsoa_status"].values()) == 33755
    assert (
        s["ward_status"]["persisted"] + s["ward_status"]["dropped"] == s["wards_2019_left_behind"]
    )
    assert (
        s["lsoa_status"]["persisted"] + s["lsoa_status"]["newly_identified"]
        == s["lsoas_2023_left_behind"]
    )
    assert s["population_persisted"] + s["population_dropped"] == pytest.approx(
        s["population_2019_list"], abs=1
    )
    assert s["population_persisted"] + s["population_newly_identified"] == pytest.approx(
        s["population_2023_list"], abs=1
    )
    if basis == "published":
        assert s["wards_2019_left_behind"] == 225 and s["lsoas_2023_left_behind"] == 1262
    w = result.wards
    assert w["share_in_2023_list"].between(0, 1).all()
    lb = w[w["left_behind_2019"]]
    assert np.array_equal(lb["status"] == "persisted", lb["share_in_2023_list"] >= 0.5)
    # the population in the 2019 list is the population of the listed wards
    assert lb["population"].sum() == pytest.approx(s["population_2019_list"], abs=1)
