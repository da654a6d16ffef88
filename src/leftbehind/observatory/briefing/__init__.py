"""Printable briefings of an area or a local authority: one HTML document (with a print
stylesheet) that the web serves at ``/areas/{code}/briefing`` and the CLI and the web turn into
PDF with WeasyPrint (``leftbehind briefing CODE -o FILE.pdf``).

The briefing says where the place stands and why, the plain-language summary, the nine
dimensions with their comparators and the chart, how sure we are, local measures, funding,
sources and licences, and the date and edition. Other features add sections through named
hooks (``sections``: ``assets``, ``trend``, ``funding``), rendered in their place.

PDF rendering never touches the network: the only resources are the stylesheet (read from the
package) and inline SVG; fonts come from the system (Debian's ``fonts-dejavu-core``).
"""

from __future__ import annotations

import datetime as dt
import threading
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from leftbehind.errors import Overloaded
from leftbehind.observatory.service import Observatory
from leftbehind.sources.registry import load_registry

#: Where other features put their sections (HTML they render), in this order in the document.
HOOKS = ("assets", "trend", "funding")
CSS_NAME = "briefing.css"
#: One PDF at a time per process, a short wait for the next (anonymous work stays bounded).
_PDF_SLOTS = threading.BoundedSemaphore(1)
PDF_WAIT_SECONDS = 20.0

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        env = Environment(
            loader=PackageLoader("leftbehind.observatory.briefing", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        from leftbehind.groups import GROUP_LABELS, GROUP_TEXT
        from leftbehind.money import format_pence, format_pounds
        from leftbehind.wording import FILTERS

        env.filters.update(FILTERS)
        env.filters["money"] = format_pounds
        env.filters["pence"] = format_pence
        env.globals["GROUP_TEXT"] = GROUP_TEXT
        env.globals["GROUP_LABELS"] = GROUP_LABELS
        _env = env
    return _env


def stylesheet() -> str:
    """The briefing's stylesheet (screen and print)."""
    return resources.files("leftbehind.observatory.briefing").joinpath(CSS_NAME).read_text("utf-8")


def _sources(prof: dict[str, Any]) -> list[dict[str, str]]:
    """The registry rows behind the profile's indicators, with licence and attribution."""
    used = {
        ind.get("source_table")
        for dim in prof.get("dimensions") or []
        for ind in dim.get("indicators") or []
    }
    rows = []
    for src in load_registry():
        if src.id in used:
            rows.append(
                {"id": src.id, "description": src.description, "licence": src.licence,
                 "attribution": src.attribution, "url": src.url}
            )  # fmt: skip
    return rows


def _stamp(obs: Observatory, data: Any) -> dict[str, str]:
    return {
        "edition_id": data.id,
        "edition_label": data.label,
        "prepared": dt.date.today().isoformat(),
        "built": obs.built_at() or "unknown",
    }


def area_briefing(
    obs: Observatory,
    edition: str | None,
    code: str,
    measures: list[dict[str, Any]] | None = None,
    sections: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything an area's briefing shows (see :func:`render_html`)."""
    data, rec = obs.area(edition, code)
    prof, _ = obs.profile(data.id, rec["code"])
    summary = prof.get("summary_sentences") or [{"text": prof.get("summary"), "source": None}]
    la = data.local_authorities.get(rec["local_authority_code"] or "")
    return {
        "kind": "area",
        "title": f"{rec['name'] or rec['code']} ({rec['code']})",
        "name": rec["name"] or rec["code"],
        "code": rec["code"],
        "record": rec,
        "edition": data.info,
        "area_word": data.area_word,
        "la": la,
        "status": rec["group"],
        "status_sentence": obs.describe_status(data, rec),
        "published": rec.get("published_left_behind")
        if data.info.get("has_published_list")
        else None,
        "summary": [s for s in summary if s.get("text")],
        "profile": prof,
        "chart_svg": obs.chart(prof),
        "robustness": obs.robustness(data, rec["code"]),
        "measures": measures,
        "sections": {k: (sections or {}).get(k) for k in HOOKS},
        "sources": _sources(prof),
        "stamp": _stamp(obs, data),
        "links": {
            "page": f"/areas/{rec['code']}?edition={data.id}",
            "pdf": f"/areas/{rec['code']}/briefing.pdf?edition={data.id}",
            "csv": f"/api/areas/{rec['code']}/profile.csv?edition={data.id}",
        },
    }


def local_authority_briefing(
    obs: Observatory, edition: str | None, code: str, sections: dict[str, str] | None = None
) -> dict[str, Any]:
    """Everything a local authority's briefing shows: its areas and its own profile."""
    data, la = obs.local_authority(edition, code)
    rows = obs.areas_in(data, la["code"], "imd_rank")
    prof = obs.local_authority_profile(data.id, la["code"])
    summary = prof.get("summary_sentences") or []
    lb = la.get("left_behind") or 0
    words = data.info["area_words"] if la["areas"] != 1 else data.area_word
    status = (
        f"{lb:,} of the {la['areas']:,} {words} of {la['name']} "
        f"{'is' if lb == 1 else 'are'} 'left behind' in {data.label}."
        if lb
        else f"None of the {la['areas']:,} {words} of {la['name']} is 'left behind' in "
        f"{data.label}."
    )
    return {
        "kind": "local_authority",
        "title": f"{la['name']} ({la['code']})",
        "name": la["name"],
        "code": la["code"],
        "record": la,
        "edition": data.info,
        "area_word": data.area_word,
        "la": la,
        "status": "left_behind"
        if lb
        else ("other_deprived" if la.get("other_deprived") else "rest"),
        "status_sentence": status,
        "published": None,
        "summary": [s for s in summary if s.get("text")],
        "profile": prof,
        "chart_svg": obs.chart(prof) if prof.get("dimensions") else None,
        "robustness": None,
        "areas": rows,
        "measures": None,
        "sections": {k: (sections or {}).get(k) for k in HOOKS},
        "sources": _sources(prof),
        "stamp": _stamp(obs, data),
        "links": {
            "page": f"/local-authorities/{la['code']}?edition={data.id}",
            "pdf": f"/local-authorities/{la['code']}/briefing.pdf?edition={data.id}",
            "csv": f"/api/areas.csv?edition={data.id}&local_authority={la['code']}",
        },
    }


def render_html(
    context: dict[str, Any], stylesheet_href: str | None = None, inline_css: bool = False
) -> str:
    """The briefing as one HTML document. ``stylesheet_href`` links the stylesheet (the web
    page, whose CSP forbids inline styles); ``inline_css`` embeds it (a file to keep);
    with neither it is left for :func:`to_pdf`, which applies it."""
    template = environment().get_template("briefing.html")
    return template.render(
        **context,
        stylesheet_href=stylesheet_href,
        inline_css=stylesheet() if inline_css else None,
    )


def url_fetcher() -> Any:
    """WeasyPrint's fetcher allowed only ``data:`` URLs: a briefing loads nothing from the
    network or the file system (the stylesheet is passed in, charts are inline SVG)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def to_pdf(html: str) -> bytes:
    """The briefing HTML as PDF (WeasyPrint), with the package stylesheet and no network.

    At most one PDF is rendered at a time per process; a caller that cannot get a turn
    within :data:`PDF_WAIT_SECONDS` gets :class:`Overloaded` (503 with Retry-After)."""
    import logging

    from weasyprint import CSS, HTML

    if not _PDF_SLOTS.acquire(timeout=PDF_WAIT_SECONDS):
        raise Overloaded("another briefing is being printed; try again in a few seconds",
                         retry_after=5)  # fmt: skip
    try:
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        document = HTML(string=html, base_url=".", url_fetcher=url_fetcher())
        return document.write_pdf(stylesheets=[CSS(string=stylesheet())])
    finally:
        _PDF_SLOTS.release()
