"""Thin adapters to the library modules the web app shows (editions, profiles, robustness ...).

The web app only parses input and calls the library. These adapters find the library's
functions by their documented contracts and return ``None`` when a piece is not installed, so
that every page still renders (with a note) while the rest of the project grows.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

# Geography of each edition, used when ``leftbehind.editions`` does not say it.
FALLBACK_GEOGRAPHY = {
    "england-2019-ward": "ward17",
    "england-2023-lsoa": "lsoa21",
    "wales-2022-msoa": "msoa11",
    "scotland-2022-iz": "iz11",
    "northern-ireland-2022-soa": "soa11",
}

FALLBACK_LABELS = {
    "england-2019-ward": "England 2019, wards",
    "england-2023-lsoa": "England 2023, neighbourhoods (LSOA)",
    "wales-2022-msoa": "Wales 2022, neighbourhoods (MSOA)",
    "scotland-2022-iz": "Scotland 2022, intermediate zones",
    "northern-ireland-2022-soa": "Northern Ireland 2022, super output areas",
}

AREA_WORD = {
    "ward17": "ward",
    "lsoa21": "neighbourhood",
    "msoa11": "neighbourhood",
    "iz11": "intermediate zone",
    "soa11": "super output area",
}


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _function(module_name: str, *names: str) -> Callable[..., Any] | None:
    module = _module(module_name)
    if module is None:
        return None
    for name in names:
        fn = getattr(module, name, None)
        if callable(fn):
            return fn
    return None


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def edition_meta() -> dict[str, dict[str, Any]]:
    """Edition id -> {label, geography, description} from ``leftbehind.editions.EDITIONS``."""
    out: dict[str, dict[str, Any]] = {}
    module = _module("leftbehind.editions")
    editions = getattr(module, "EDITIONS", None) if module else None
    if editions:
        for key, ed in editions.items():
            geography = _get(ed, "geography", "area_type", "geography_type")
            geography = geography if isinstance(geography, str) else FALLBACK_GEOGRAPHY.get(key)
            label = _get(ed, "label", "title", "name")
            out[key] = {
                "id": key,
                "label": label if isinstance(label, str) else FALLBACK_LABELS.get(key, key),
                "geography": geography or FALLBACK_GEOGRAPHY.get(key),
                "description": _get(ed, "description", default="") or "",
            }
    for key, geography in FALLBACK_GEOGRAPHY.items():
        out.setdefault(
            key,
            {
                "id": key,
                "label": FALLBACK_LABELS[key],
                "geography": geography,
                "description": "",
            },
        )
    return out


def _call(fn: Callable[..., Any], con: Any, **kwargs: Any) -> Any:
    """Call ``fn(con, ...)`` passing only the keyword arguments it accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return fn(con, **kwargs)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    names = list(params)
    positional = [con]
    rest = {}
    for key, value in kwargs.items():
        if accepts_any or key in params:
            rest[key] = value
    # Functions written as fn(con, edition, code) also accept keywords by name.
    if names and names[0] not in ("con", "connection", "db"):
        positional = []
        rest[names[0]] = con
    return fn(*positional, **rest)


def profile_function() -> Callable[..., Any] | None:
    return _function("leftbehind.profiles", "profile", "build_profile") or _function(
        "leftbehind.profiles.profile", "profile"
    )


def profile(con: Any, edition: str, code: str) -> dict[str, Any] | None:
    fn = profile_function()
    if fn is None:
        return None
    params = inspect.signature(fn).parameters
    if "query" in params:
        result = _call(fn, con, query=code, edition=edition)
    elif "codes" in params:
        result = _call(fn, con, codes=[code], edition=edition)
    else:
        result = _call(fn, con, code=code, edition=edition)
    if hasattr(result, "model_dump"):
        result = result.model_dump()
    elif hasattr(result, "to_dict") and not isinstance(result, dict):
        result = result.to_dict()
    return result if isinstance(result, dict) else None


def profile_chart(con: Any, profile_data: dict[str, Any]) -> str | None:
    """An SVG chart for a profile from ``leftbehind.profiles`` (None if not available)."""
    fn = _function(
        "leftbehind.profiles",
        "profile_chart_svg",
        "chart_svg",
        "profile_svg",
        "percentile_chart",
        "render_chart",
    )
    if fn is None:
        charts = _module("leftbehind.profiles.charts")
        if charts is not None:
            for name in ("profile_chart_svg", "chart_svg", "profile_svg", "percentile_chart"):
                if callable(getattr(charts, name, None)):
                    fn = getattr(charts, name)
                    break
    if fn is None:
        return None
    result = fn(profile_data)
    return result if isinstance(result, str) and "<svg" in result else None


def compare(con: Any, edition: str) -> Any | None:
    fn = _function("leftbehind.profiles", "compare", "compare_groups", "group_comparison")
    if fn is None:
        return None
    result = _call(fn, con, edition=edition)
    if hasattr(result, "to_dict") and not isinstance(result, dict):
        result = result.to_dict(orient="records")
    return result


def robustness_sentence(con: Any, edition: str, code: str) -> str | None:
    """The plain-words robustness sentence, only when the store holds precomputed results
    (computing them on a page request would take far too long)."""
    fn = _function("leftbehind.robustness", "robustness_for_area")
    if fn is None:
        return None
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "robustness_results" not in tables:
        return None
    result = fn(con, edition, code)
    if result is None:
        return None
    if isinstance(result, str):
        return result
    sentence = _get(result, "sentence", "summary", "text", "plain_language")
    return sentence if isinstance(sentence, str) else None


def robustness_overview(con: Any, edition: str) -> dict[str, Any] | None:
    """Summary (counts by class, expected count) and chart of the stored uncertainty analysis."""
    from leftbehind.robustness.charts import p_left_behind_svg
    from leftbehind.robustness.results import stored_result

    result = stored_result(con, edition)
    if result is None:
        return None
    return {"summary": result.summary, "svg": p_left_behind_svg(result.areas)}


def validation_report(con: Any, edition: str) -> Any | None:
    """The validation report from ``leftbehind.validate`` (or ``leftbehind.identify``)."""
    fn = _function("leftbehind.validate", "validate", "validation_report", "report")
    if fn is None:
        fn = _function("leftbehind.identify", "validate")
    if fn is None:
        return None
    result = _call(fn, con, edition=edition)
    if hasattr(result, "model_dump"):
        result = result.model_dump()
    if hasattr(result, "to_dict") and not isinstance(result, dict):
        result = result.to_dict(orient="records")
    return result


def identify_summary(con: Any, edition: str) -> Any | None:
    fn = _function("leftbehind.identify", "summary")
    if fn is None:
        return None
    return fn(con, edition)
