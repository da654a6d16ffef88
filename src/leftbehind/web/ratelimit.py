"""A per-client request budget for the expensive routes, answered before any other work.

The caps of :class:`leftbehind.funding.request.AllocationRequest` bound the work of one
allocation, and :class:`leftbehind.observatory.funding.Gate` bounds how many run at once. What
remains is a *flood*: a client sending requests back to back, each refused (422) or queued
(503), costs the web process a validation and an error page every time, and cheap pages wait
behind them. This outermost ASGI layer gives each client a token bucket for the routes in
``paths`` (``rate`` requests a second on average, up to ``burst`` at once); a request beyond it
is answered here with 429, a ``Retry-After`` header and a one-line message, without routing,
validation or the other middleware. A form page asked for without a query (the empty form)
costs nothing from the budget.

The client is the connection's address as the server reports it (``scope["client"]``): behind a
reverse proxy it is the visitor's when the proxy sends ``X-Forwarded-For`` and uvicorn trusts
it (by default from 127.0.0.1; docs/deployment.md). At most ``max_clients`` buckets are kept
(least recently seen out), so memory is bounded whatever the number of clients.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

#: The routes whose requests may start a computation (allocations, on the API and the page).
EXPENSIVE_PATHS = ("/api/allocations", "/allocate")
#: ... of which these compute only when asked with a query (without one: the empty form).
FORM_PATHS = ("/allocate",)


class TokenBuckets:
    """Token buckets by key: ``rate`` tokens a second, holding at most ``burst``.

    ``take(key)`` returns 0.0 when the request may go ahead (a token was taken), else the
    seconds until the next token.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"rate must be a positive number of requests a second, not {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst!r}")
        self.rate = float(rate)
        self.burst = int(burst)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        now = self.clock()
        tokens, seen = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - seen) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


class RateLimit:
    """Pure ASGI: 429 with ``Retry-After`` for a client over its budget on ``paths``.

    ``headers`` are added to every refusal (the site's security headers). API paths
    (``/api/...``) get the JSON error body of every other API error; pages a short HTML page.
    """

    def __init__(
        self,
        app: ASGIApp,
        rate: float,
        burst: int,
        paths: Iterable[str] = EXPENSIVE_PATHS,
        forms: Iterable[str] = FORM_PATHS,
        headers: Iterable[tuple[bytes, bytes]] = (),
        max_clients: int = 10_000,
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.forms = frozenset(forms)
        self.buckets = TokenBuckets(rate, burst, max_clients)
        self.headers = list(headers)
        #: Requests refused here (for tests and benchmarks).
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if (
            scope["type"] != "http"
            or path not in self.paths
            or (path in self.forms and not scope.get("query_string"))
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "-")
        if not wait:
            await self.app(scope, receive, send)
            return
        self.refused += 1
        await self._refuse(scope, send, max(1, math.ceil(wait)))

    def message(self, retry_after: int) -> str:
        per_minute = self.buckets.rate * 60
        return (
            f"too many requests for allocations from this address: at most {per_minute:g} a "
            f"minute (bursts of {self.buckets.burst}); try again in {retry_after} "
            f"second{'s' if retry_after != 1 else ''}"
        )

    async def _refuse(self, scope: Scope, send: Send, retry_after: int) -> None:
        text = self.message(retry_after)
        if scope["path"].startswith("/api/"):
            error = {"status": 429, "type": "RateLimited", "message": text}
            body = json.dumps({"error": error}).encode()
            media = b"application/json"
        else:
            body = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>Too many requests - leftbehind</title></head><body><main>"
                f"<h1>Too many requests</h1><p>{text.capitalize()}.</p>"
                '<p><a href="/">Home</a></p></main></body></html>'
            ).encode()
            media = b"text/html; charset=utf-8"
        headers = [
            (b"content-type", media),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()),
            (b"cache-control", b"no-store"),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.body", "body": body})
