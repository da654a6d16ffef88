"""Derived stages run at the end of every full build, in the build's transaction.

Each entry is a dotted path ``package.module:function``; the function takes a DuckDB connection
and creates its tables. The code of these modules is part of the build fingerprint, so changing
a stage triggers a rebuild.
"""

from __future__ import annotations

DERIVED_STAGES: list[str] = [
    "leftbehind.identify:build_identification",
    "leftbehind.robustness.stage:build_robustness",
]
