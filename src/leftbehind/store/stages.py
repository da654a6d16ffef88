"""Derived stages run at the end of every full build, in the build's transaction.

Each entry is a dotted path ``package.module:function``; the function takes a DuckDB connection
and creates its tables. The code of these modules is part of the build fingerprint, so changing
a stage triggers a rebuild.
"""

from __future__ import annotations

DERIVED_STAGES: list[str] = [
    "leftbehind.identify:build_identification",
    "leftbehind.funding.public:build_public_funds",
    "leftbehind.places.stage:build_places",
    "leftbehind.assets.stage:build_assets",
    "leftbehind.trend.series:build_series",
    "leftbehind.trend.outcomes:build_outcomes",
    "leftbehind.indices.uk:build_uk_index",
    "leftbehind.robustness.stage:build_robustness",
    "leftbehind.profiles.values:build_profile_inputs",
    "leftbehind.observatory.tiles:build_tiles",
    "leftbehind.observatory.views:build_views",
    "leftbehind.observatory.trend:build_trend_views",
]

# Imported grants now live in the community database. A store built before that held them in
# these tables; a rebuild keeps any rows they have as ``legacy_<table>`` (never read by the site)
# until ``leftbehind db upgrade`` (or an import, or ``serve``) moves them across, once.
LEGACY_GRANT_TABLES: list[str] = ["grants", "grant_rejects", "grant_imports"]
LEGACY_PREFIX = "legacy_"
