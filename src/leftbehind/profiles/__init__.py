"""Neighbourhood profiles on the report's nine dimensions of disadvantage, in plain language.

``profile(con, query, edition)`` (``profile.py``), ``compare(con, edition)`` (``compare.py``),
``profile_svg(result)`` (``charts.py``); the framework is ``indicators.csv``.
"""

from __future__ import annotations

__all__ = ["compare", "profile", "profile_svg"]


def __getattr__(name: str):
    if name == "profile":
        from leftbehind.profiles.profile import profile

        return profile
    if name == "compare":
        from leftbehind.profiles.compare import compare

        return compare
    if name == "profile_svg":
        from leftbehind.profiles.charts import profile_svg

        return profile_svg
    raise AttributeError(name)
