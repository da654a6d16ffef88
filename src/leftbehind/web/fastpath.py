"""The hot path: repeated anonymous requests for shared responses answered from memory.

Most traffic is the same few thousand documents (profiles, map tiles, edition data), the same
for everyone while the store is read-only. The route handlers mark such responses *shared*
(:func:`leftbehind.web.common.payload_response` with ``shared=True``); this outermost ASGI layer
keeps each one as the app sent it (status, headers with the security headers, body; gzip or
identity) and answers the next anonymous ``GET``/``HEAD`` for the same URL, encoding and
language without routing, validation or the other middleware: byte for byte what the app would
have answered.

The language is part of the key: the one :func:`leftbehind.web.language.negotiate` gives
(``?lang=``, the ``lang`` cookie, ``Accept-Language``), so an English page is never served to a
Welsh request or the other way round, and a visitor whose only cookie is ``lang`` is served here.

Never kept or served from memory: requests with any other cookie or an ``Authorization``
header (signed-in pages may differ), conditional or range requests (the app answers 304 and 206
itself), responses that set a cookie, and anything not marked shared. Entries are bounded by
count and bytes (least recently used out) and dropped together when the data behind them may
have changed: after any successful write through this process, and when ``check`` (called at
most once a second) notices new grants or community content written elsewhere.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leftbehind import i18n
from leftbehind.web.language import COOKIE, negotiate

#: The internal response header that marks a response shared (removed before it is sent).
SHARED_HEADER = b"x-leftbehind-shared"
_SKIP_REQUEST = {b"authorization", b"if-none-match", b"if-modified-since", b"range"}


def _only_language_cookie(value: bytes) -> bool:
    """True when the Cookie header holds nothing but the ``lang`` cookie (the language is then
    part of the key; any other cookie may mean a signed-in visitor)."""
    names = {part.split(b"=", 1)[0].strip() for part in value.split(b";") if part.strip()}
    return names == {COOKIE.encode()}


class FastPath:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = 64 * 1024 * 1024,
        max_entries: int = 50_000,
        check: Callable[[], None] | None = None,
        check_every: float = 1.0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.check = check
        self.check_every = check_every
        self._checked = 0.0
        self._items: OrderedDict[tuple, tuple[Message, bytes]] = OrderedDict()
        self._bytes = 0
        #: Requests answered from memory (for tests and benchmarks).
        self.hits = 0

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Forget every kept response (the data behind them changed)."""
        self._items.clear()
        self._bytes = 0

    def _key(self, scope: Scope) -> tuple | None:
        gzip = False
        for name, value in scope.get("headers", []):
            if name in _SKIP_REQUEST:
                return None
            if name == b"accept-encoding":
                gzip = b"gzip" in value
            elif name == b"cookie" and not _only_language_cookie(value):
                return None
        asked, language = negotiate(scope)
        if asked is not None and asked not in i18n.languages():
            return None  # the app answers 422
        return scope.get("path", ""), scope.get("query_string", b""), gzip, language

    def _lookup(self, scope: Scope) -> tuple[tuple | None, tuple[Message, bytes] | None]:
        """The request's key (None: never kept) and its kept response, if any."""
        key = self._key(scope)
        if key is None:
            return None, None
        if self.check is not None:
            now = time.monotonic()
            if now - self._checked >= self.check_every:
                self._checked = now
                self.check()  # may clear() when the data changed
        return key, self._items.get(key)

    async def _answer(
        self, key: tuple, hit: tuple[Message, bytes], method: str, send: Send
    ) -> None:
        self._items.move_to_end(key)
        self.hits += 1
        start, body = hit
        await send(start)
        await send({"type": "http.response.body", "body": body if method == "GET" else b""})

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answer from memory when this request's response is kept (True), before the app
        and its other layers see the request; else do nothing (False). The app calls this
        first (:class:`leftbehind.web.app.ObservatoryApp`), so a hit costs no framework work."""
        method = scope.get("method")
        if scope["type"] != "http" or method not in ("GET", "HEAD"):
            return False
        key, hit = self._lookup(scope)
        if key is None or hit is None:
            return False
        await self._answer(key, hit, method, send)
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if method not in ("GET", "HEAD"):
            await self._write(scope, receive, send)
            return
        key, hit = self._lookup(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if hit is not None:
            await self._answer(key, hit, method, send)
            return
        if method != "GET":
            await self._strip(scope, receive, send)
            return
        await self._keep(key, scope, receive, send)

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A write through this process (a form, the API): once it has succeeded, forget every
        kept response, so its own visitors see it at once (other processes' writes are noticed
        by ``check`` within a second)."""
        status = 0

        async def watching(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message.get("status", 0)
                message = _without_marker(message)[0]
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            if status < 400:
                self.clear()

    async def _strip(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through, removing the internal marker."""

        async def unmarked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _without_marker(message)[0]
            await send(message)

        await self.app(scope, receive, unmarked)

    async def _keep(self, key: tuple, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        shared = False
        chunks: list[bytes] = []

        async def keeping(message: Message) -> None:
            nonlocal start, shared
            if message["type"] == "http.response.start":
                message, shared = _without_marker(message)
                start = message
            elif message["type"] == "http.response.body" and shared:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._store(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keeping)

    def _store(self, key: tuple, start: Message | None, body: bytes) -> None:
        if start is None or start.get("status") not in (200, 204):
            return
        if any(name == b"set-cookie" for name, _ in start.get("headers", [])):
            return
        size = _size(start, body)
        if size > self.max_bytes // 16:
            return
        self._items[key] = (start, body)
        self._bytes += size
        while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
            _, old = self._items.popitem(last=False)
            self._bytes -= _size(*old)


def _size(start: Message, body: bytes) -> int:
    """Bytes a kept response holds: its body and headers."""
    return len(body) + sum(len(k) + len(v) for k, v in start.get("headers", []))


def _without_marker(message: Message) -> tuple[Message, bool]:
    headers = message.get("headers", [])
    kept = [(k, v) for k, v in headers if k.lower() != SHARED_HEADER]
    if len(kept) == len(headers):
        return message, False
    return {**message, "headers": kept}, True
