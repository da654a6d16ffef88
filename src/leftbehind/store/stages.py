"""Derived stages run at the end of every full build, in the build's transaction.

Each entry is a dotted path ``package.module:function``; the function takes a DuckDB connection
and creates its tables. The code of these modules is part of the build fingerprint, so changing
a stage triggers a rebuild.
"""

from __future__ import annotations

DERIVED_STAGES: list[str] = [
    "leftbehind.funding.grants_store:ensure_tables",
    "leftbehind.identify:build_identification",
    "leftbehind.places.stage:build_places",
    "leftbehind.trend.series:build_series",
    "leftbehind.trend.outcomes:build_outcomes",
    "leftbehind.robustness.stage:build_robustness",
    "leftbehind.profiles.values:build_profile_inputs",
    "leftbehind.observatory.tiles:build_tiles",
    "leftbehind.observatory.views:build_views",
    "leftbehind.observatory.trend:build_trend_views",
]

# Tables of user data (imported grants) carried over from the existing store when it is rebuilt;
# a stage above must create them (empty) so every store has them.
PRESERVED_TABLES: list[str] = ["grants", "grant_rejects", "grant_imports"]
