"""The per-client allocation budget (``leftbehind.web.ratelimit``): token buckets worked by
hand, an invariant for any sequence of requests, and the app with its default settings (FastAPI
TestClient on the real evidence store)."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leftbehind.web.app import middleware_layer
from leftbehind.web.ratelimit import RateLimit, TokenBuckets
from test_web_hardening import EXPENSIVE as REFUSED  # refused at once: above the caps


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_buckets_by_hand():
    # 0.5 a second, 2 at once: two go at t=0, the third must wait 1 / 0.5 = 2 s; a second
    # later half a token has come back (wait 1 s); at t=2 one whole token (goes).
    clock = Clock()
    b = TokenBuckets(rate=0.5, burst=2, clock=clock)
    assert b.take("a") == 0.0
    assert b.take("a") == 0.0
    assert b.take("a") == pytest.approx(2.0)
    assert b.take("b") == 0.0  # another client has its own bucket
    clock.now += 1.0
    assert b.take("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert b.take("a") == 0.0
    # A long absence fills the bucket to the burst, never beyond it.
    clock.now += 3600
    waits = [b.take("a") for _ in range(3)]
    assert waits[:2] == [0.0, 0.0] and waits[2] == pytest.approx(2.0)


def test_buckets_are_bounded_least_recently_seen_out():
    clock = Clock()
    b = TokenBuckets(rate=1, burst=1, max_clients=3, clock=clock)
    for key in ("a", "b", "c", "a", "d"):
        b.take(key)
    assert len(b) == 3
    assert b.take("a") > 0  # kept (seen recently): still empty
    assert b.take("b") == 0.0  # forgotten, so a full bucket again


@pytest.mark.parametrize("rate,burst", [(0, 1), (-1, 1), (float("inf"), 1), (1, 0)])
def test_bad_settings_are_refused(rate, burst):
    with pytest.raises(ValueError, match=r"^(rate|burst) must be"):
        TokenBuckets(rate=rate, burst=burst)


@given(
    rate=st.floats(0.01, 100),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=300),
)
def test_never_more_than_burst_plus_rate_times_elapsed(rate, burst, gaps):
    """Over any sequence of requests, those let through number at most burst + rate x the
    time elapsed; and a request told to wait w is let through if it comes back after w."""
    clock = Clock()
    b = TokenBuckets(rate=rate, burst=burst, clock=clock)
    start, passed = clock.now, 0
    for gap in gaps:
        clock.now += gap
        wait = b.take("x")
        passed += wait == 0.0
        assert passed <= burst + rate * (clock.now - start) + 1e-9
        if wait:
            clock.now += wait * (1 + 1e-9)
            assert b.take("x") == 0.0
            passed += 1


async def _no_content(scope, receive, send):
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _drive(app, path: str, query: bytes, method: str = "GET", client=("1.2.3.4", 1)):
    """One request through ``app`` (pure ASGI); the messages it sent."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "query_string": query, "method": method,
             "client": client, "headers": []}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return sent


def test_middleware_counts_only_computations():
    app = RateLimit(_no_content, rate=1 / 60, burst=1, headers=[(b"x-test", b"1")])
    statuses = [
        _drive(app, "/allocate", b"")[0]["status"],  # the empty form: free
        _drive(app, "/allocate", b"")[0]["status"],
        _drive(app, "/api/editions", b"")[0]["status"],  # not an expensive route
        _drive(app, "/api/allocations", b"budget=1")[0]["status"],  # the one allowed
        _drive(app, "/allocate", b"budget=1")[0]["status"],  # the same client: over
        _drive(app, "/api/allocations", b"budget=1", client=("5.6.7.8", 1))[0]["status"],
    ]
    assert statuses == [204, 204, 204, 204, 429, 204]
    head = _drive(app, "/api/allocations", b"budget=1", method="HEAD")
    assert head[0]["status"] == 429 and head[1]["body"] == b""
    headers = dict(head[0]["headers"])
    assert headers[b"retry-after"] == b"60" and headers[b"x-test"] == b"1"
    assert app.refused == 2


@pytest.fixture(scope="module")
def limited(store_path: Path):
    """The app with the default budget (the test suite turns it off for other files)."""
    from leftbehind.settings import Settings, fresh_settings
    from leftbehind.web import create_app

    defaults = Settings.model_fields
    settings = fresh_settings(
        home=store_path.parent,
        edition="england-2019-ward",
        allocations_per_minute=defaults["allocations_per_minute"].default,
        allocations_burst=defaults["allocations_burst"].default,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_defaults_are_on(monkeypatch):
    from leftbehind.settings import fresh_settings

    monkeypatch.delenv("LEFTBEHIND_ALLOCATIONS_PER_MINUTE", raising=False)
    settings = fresh_settings()
    assert settings.allocations_per_minute == 30 and settings.allocations_burst == 10


def test_a_flood_of_refused_requests_gets_429_and_cheap_pages_still_answer(limited):
    # The clock stands still, so the retry time does not depend on how fast the tests run.
    middleware_layer(limited.app, RateLimit).buckets.clock = Clock()
    statuses = [limited.get("/api/allocations", params=REFUSED).status_code for _ in range(10)]
    assert statuses == [422] * 10  # the burst: each refused by the caps, naming them
    over = limited.get("/api/allocations", params=REFUSED)
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) == 2  # 30 a minute: a token every 2 s
    error = over.json()["error"]
    assert error["type"] == "RateLimited" and error["status"] == 429
    assert error["message"] == (
        "too many requests for allocations from this address: at most 30 a minute (bursts of "
        "10); try again in 2 seconds"
    )
    assert over.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in over.headers["content-security-policy"]
    page = limited.get("/allocate", params=REFUSED)
    assert page.status_code == 429 and "Too many requests" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert limited.get("/allocate").status_code == 200  # the empty form
    assert limited.get("/api/editions").status_code == 200
    other = TestClient(limited.app, client=("192.0.2.7", 4000))
    assert other.get("/api/allocations", params=REFUSED).status_code == 422


def test_the_budget_is_documented(limited):
    op = limited.get("/openapi.json").json()["paths"]["/api/allocations"]["get"]
    assert "Retry-After" in op["responses"]["429"]["headers"]
    assert "30 allocations a minute" in op["description"]


def test_zero_turns_the_budget_off(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, allocations_per_minute=0))
    with TestClient(app) as c:
        statuses = {c.get("/api/allocations", params=REFUSED).status_code for _ in range(15)}
    assert statuses == {422}
