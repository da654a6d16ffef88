"""Templates and the common page context (HTML only; no domain logic). Numbers and units are
written by :mod:`leftbehind.wording` (shared with the printable briefings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from leftbehind import i18n
from leftbehind.errors import LeftBehindError
from leftbehind.groups import GROUP_TEXT
from leftbehind.money import format_pence, format_pounds
from leftbehind.observatory import EditionView, Payload
from leftbehind.settings import Settings
from leftbehind.web.common import ResponseCache, observatory, payload_response, response_cache
from leftbehind.wording import fmt_number, fmt_percent, fmt_value, ordinal, unit_note

#: Each language in its own name, for the language switch.
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}


def setup_templates(templates: Jinja2Templates, settings: Settings) -> None:
    env = templates.env
    env.filters["num"] = fmt_number
    env.filters["value"] = fmt_value
    env.filters["unit_note"] = unit_note
    env.filters["ordinal"] = ordinal
    env.filters["money"] = format_pounds
    env.filters["pence"] = format_pence
    env.filters["percent"] = fmt_percent
    env.globals["GROUP_TEXT"] = GROUP_TEXT
    env.globals["basemap_url"] = settings.basemap_url or ""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.gettext(message),
        ngettext=lambda singular, plural, n: i18n.ngettext(singular, plural, n),
        newstyle=True,
    )
    # Text from data (labels, area words, names of nations): translated where the catalogue
    # has it, never %-formatted (use _() and {% trans %} for the templates' own sentences).
    env.globals["tr"] = lambda text: i18n.gettext(text) if text else text


def edition_url(path: str, edition_id: str | None, default_id: str | None, **params: Any) -> str:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if edition_id and edition_id != default_id:
        query = {"edition": edition_id, **query}
    return path + ("?" + urlencode(query) if query else "")


def base_context(request: Request, data: EditionView | None) -> dict[str, Any]:
    obs = observatory(request)
    try:
        editions = obs.editions_meta() if obs.available else []
    except LeftBehindError:
        editions = []
    default_id = obs.resolve_edition(None) if editions else None
    edition_id = data.id if data else default_id

    def url(path: str, **params: Any) -> str:
        return edition_url(path, edition_id, default_id, **params)

    lang = i18n.current_language()
    switch = []
    for other in i18n.languages():
        if other != lang:
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
            query.append(("lang", other))
            switch.append(
                {
                    "lang": other,
                    "label": LANGUAGE_NAMES.get(other, other),
                    "url": request.url.path + "?" + urlencode(query),
                }
            )
    return {
        "request": request,
        "lang": lang,
        "html_lang": "en-GB" if lang == "en" else lang,
        "language_switch": switch,
        "edition": data,
        "edition_id": edition_id,
        "editions": editions,
        "default_edition": default_id,
        "url": url,
        "current_path": request.url.path,
    }


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> str:
    templates: Jinja2Templates = request.app.state.templates
    return templates.get_template(template).render({**context, "status": status})


def html_payload(html: str) -> Payload:
    return Payload.make(html, "text/html; charset=utf-8")


def html_payload_response(request: Request, html: str, max_age: int = 60) -> Response:
    return payload_response(request, html_payload(html), max_age=max_age)


def page(
    request: Request,
    data: EditionView | None,
    template: str,
    max_age: int = 60,
    **context: Any,
) -> Response:
    """Render ``template`` with the common context plus ``context`` (cached by ETag)."""
    ctx = base_context(request, data)
    ctx.update(context)
    return html_payload_response(request, render(request, template, ctx), max_age=max_age)


async def cached_payload(
    request: Request,
    data: EditionView | None,
    template: str,
    build: Callable[[], dict[str, Any]],
) -> Payload:
    """The rendered page of a URL that depends only on the URL (the store is read-only while
    serving), from the response cache, checked first on the event loop; on a miss ``build()``
    (the page's own context, computed only then) and the rendering run in a worker thread."""
    observatory(request).check_grants()  # a new import clears renderings showing grants
    cache = response_cache(request)
    key = ResponseCache.key(request)
    payload = cache.get(key)
    if payload is None:

        def render_page() -> Payload:
            ctx = base_context(request, data)
            ctx.update(build())
            return html_payload(render(request, template, ctx))

        payload = await run_in_threadpool(cache.get_or_build, key, render_page)
    return payload


async def cached_page(
    request: Request,
    data: EditionView | None,
    template: str,
    build: Callable[[], dict[str, Any]],
    max_age: int = 60,
) -> Response:
    """:func:`cached_payload` as a response with its ETag and cache headers."""
    payload = await cached_payload(request, data, template, build)
    return payload_response(request, payload, max_age=max_age)
