"""Render a profile (the dict from :func:`leftbehind.profiles.profile.profile`) as Markdown or
a standalone HTML page."""

from __future__ import annotations

from html import escape


def robustness_lines(result: dict) -> list[str]:
    """'How sure are we?' in plain words, where an uncertainty analysis covers the area."""
    robustness = result.get("robustness")
    if not robustness:
        return []
    return ["## How sure are we?", "", robustness["sentence"], robustness["interval_sentence"], ""]


def profile_markdown(result: dict) -> str:
    from leftbehind.profiles.compare import format_value
    from leftbehind.profiles.summary_text import markdown as summary_markdown

    group = {
        "left_behind": "'left behind'",
        "other_deprived": "other deprived",
        "rest": "neither",
        "mixed": "mixed",
    }.get(result["group"], str(result["group"]))
    nation = result.get("nation") or "England"
    lines = [
        f"# {result['name']} ({result['code']})",
        "",
        f"{result['type_label'][:1].upper()}{result['type_label'][1:]}, "
        f"edition {result['edition']}; group: {group}. "
        + (
            f"Population {result['population']:,}."
            if result.get("population") is not None
            else "No population estimate (each small area counts once)."
        ),
        "",
        "## Summary",
        "",
        summary_markdown(result),
        "",
        *robustness_lines(result),
        "## Nine dimensions",
        "",
        "| dimension | indicator | here | percentile | 'left behind' | other deprived "
        f"| {nation} |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for dim in result["dimensions"]:
        for ind in dim["indicators"]:
            c = ind["comparators"]
            unit = ind["unit"]

            def fmt(value: float | None, unit: str = unit) -> str:
                return format_value(value, unit)

            pct = "" if ind["percentile"] is None else f"{ind['percentile']:.0f}"
            lines.append(
                f"| {dim['label']} | {ind['label']} | {fmt(ind['value'])} | {pct} | "
                f"{fmt(c['left_behind'])} | {fmt(c['other_deprived'])} | {fmt(c['nation'])} |"
            )
        if dim.get("note"):
            lines.append(f"| {dim['label']} | {dim['note']} | | | | | |")
    lines += [
        "",
        f"Percentile: share of areas of the same type in {nation} with a lower value.",
        "",
    ]
    return "\n".join(lines)


def profile_html(result: dict) -> str:
    from leftbehind.profiles.charts import profile_svg

    items = "".join(f"<li>{escape(s['text'])}</li>" for s in result["summary_sentences"])
    if result.get("robustness"):
        robustness = result["robustness"]
        items += (
            f"<li>{escape(robustness['sentence'])} {escape(robustness['interval_sentence'])}</li>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(result['name'])}: neighbourhood profile</title></head><body>"
        f"<h1>{escape(result['name'])} <small>{escape(result['code'])}</small></h1>"
        f"<ul>{items}</ul>{profile_svg(result)}</body></html>\n"
    )
