"""The interface language of each request: ``?lang=`` (remembered in a cookie), else the
``lang`` cookie, else the browser's ``Accept-Language``, else English (docs/i18n.md).

A pure ASGI middleware sets :func:`leftbehind.i18n.set_language` for the request (templates and
library sentences read it), answers an unknown ``lang=`` with a one-line 422, and labels every
response with ``Content-Language`` and ``Vary: Accept-Language, Cookie`` so caches in front keep
the languages apart.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl

from babel.core import negotiate_locale
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leftbehind import i18n

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def from_accept_language(header: str) -> str | None:
    """The best of our languages for an ``Accept-Language`` header, or None.

    >>> from_accept_language("cy-GB,cy;q=0.9,en;q=0.8")
    'cy'
    >>> from_accept_language("fr-FR, de;q=0.5") is None
    True
    """
    wanted: list[tuple[float, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > 0:
            wanted.append((-q, i, tag.replace("-", "_")))  # type: ignore[arg-type]
    preferred = [tag for *_, tag in sorted(wanted)]
    available = list(i18n.languages())
    found = negotiate_locale(preferred, available, sep="_")
    if found is None:  # 'cy_GB' against 'cy': compare the language part too
        found = negotiate_locale([p.split("_")[0] for p in preferred], available, sep="_")
    return found


def negotiate(scope: Scope) -> tuple[str | None, str]:
    """(the ``lang=`` asked for in the query or None, the language to use)."""
    asked = None
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if name == "lang":
            asked = value
    if asked is not None:
        return asked, asked
    cookie_lang = accept = None
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is ignored, never an error
                continue
            if COOKIE in jar and jar[COOKIE].value in i18n.languages():
                cookie_lang = jar[COOKIE].value
        elif name == b"accept-language":
            accept = value.decode("latin-1")
    if cookie_lang:
        return None, cookie_lang
    if accept:
        return None, from_accept_language(accept) or i18n.SOURCE_LANGUAGE
    return None, i18n.SOURCE_LANGUAGE


class LanguageMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked, lang = negotiate(scope)
        if lang not in i18n.languages():
            body = json.dumps(
                {
                    "detail": f"query parameter 'lang': unknown language {lang!r}; choose one "
                    f"of: {', '.join(i18n.languages())}"
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        scope.setdefault("state", {})["lang"] = lang
        extra = [(b"content-language", lang.encode())]
        if asked is not None:
            extra.append(
                (
                    b"set-cookie",
                    f"{COOKIE}={lang}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax".encode(),
                )
            )

        async def labelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"vary"]
                vary = [v for k, v in message.get("headers", []) if k == b"vary"]
                parts = [p.strip() for v in vary for p in v.decode().split(",") if p.strip()]
                for name in ("Accept-Language", "Cookie"):
                    if name.lower() not in {p.lower() for p in parts}:
                        parts.append(name)
                headers.append((b"vary", ", ".join(parts).encode()))
                message = {**message, "headers": headers + extra}
            await send(message)

        token = i18n.set_language(lang)
        try:
            await self.app(scope, receive, labelled)
        finally:
            i18n.reset_language(token)
