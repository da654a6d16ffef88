"""Adapters from the library to what the web pages show: the one place where the web app calls
the editions, profiles, robustness and validation libraries."""

from __future__ import annotations

from typing import Any

import duckdb

from leftbehind.editions import EDITIONS

# The word a resident would use for an area of each edition's geography.
AREA_WORD = {
    "ward17": "ward",
    "lsoa21": "neighbourhood",
    "msoa11": "neighbourhood",
    "iz11": "intermediate zone",
    "soa11": "super output area",
}


def edition_meta() -> dict[str, dict[str, Any]]:
    """Edition id -> {id, label, geography, description} from ``leftbehind.editions``."""
    return {
        key: {
            "id": key,
            "label": edition.title,
            "geography": edition.geography,
            "description": f"{edition.cni} with the {edition.imd}",
        }
        for key, edition in EDITIONS.items()
    }


def profile(con: duckdb.DuckDBPyConnection, edition: str, code: str) -> dict[str, Any]:
    """The nine-dimension profile of one area (``leftbehind.profiles``)."""
    from leftbehind.profiles.profile import profile as build_profile

    return build_profile(con, code, edition)


def profile_chart(profile_data: dict[str, Any]) -> str:
    """The SVG chart of a profile: percentiles per dimension against the comparator groups."""
    from leftbehind.profiles.charts import profile_svg

    return profile_svg(profile_data)


def compare(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    """The report's table: 'left behind' vs other deprived vs the nation."""
    from leftbehind.profiles.compare import compare as compare_groups

    return compare_groups(con, edition)


def robustness_sentence(con: duckdb.DuckDBPyConnection, edition: str, code: str) -> str | None:
    """'Left behind in 97 of 100 plausible ways of measuring', from the stored analysis only
    (computing one on a page request would take far too long)."""
    from leftbehind.profiles.profile import area_robustness

    result = area_robustness(con, edition, code)
    if not result:
        return None
    return " ".join(t for t in (result["sentence"], result["interval_sentence"]) if t)


def robustness_overview(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any] | None:
    """Summary (counts by class, expected count) and chart of the stored uncertainty analysis."""
    from leftbehind.robustness.charts import p_left_behind_svg
    from leftbehind.robustness.results import stored_result

    result = stored_result(con, edition)
    if result is None:
        return None
    return {"summary": result.summary, "svg": p_left_behind_svg(result.areas)}


def validation_report(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    """Agreement with the published list and, for England, the reconstruction checks."""
    from leftbehind.validate import validate

    return validate(con, edition)
