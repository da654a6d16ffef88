"""The hot path (issue 18): repeats of shared responses answered from memory, byte for byte as
the app answered them; never for signed-in, conditional or unshared requests."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leftbehind.web.app import fast_path

pytestmark = pytest.mark.integration
A = "E05000028"
PROFILE = f"/api/areas/{A}/profile?edition=england-2019-ward"


@pytest.fixture(scope="module")
def app(store_path: Path, tmp_path_factory):
    from leftbehind.community.schema import upgrade
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    # its own community database: the write test must not leave measures in the shared one
    url = f"sqlite:///{tmp_path_factory.mktemp('fastpath') / 'community.sqlite3'}"
    upgrade(url)
    settings = fresh_settings(
        home=store_path.parent, edition="england-2019-ward", database_url=url, secret_key="s" * 40
    )
    application = create_app(settings)
    with TestClient(application):
        yield application


@pytest.fixture()
def client(app):
    # a fresh client (no cookies) on the one app; every test starts with an empty fast path
    with TestClient(app) as c:
        c.get("/api/editions")
        fast_path(app).clear()
        yield c


def _same(a, b) -> None:
    assert a.status_code == b.status_code
    assert a.content == b.content
    assert a.headers == b.headers


def test_a_repeat_is_served_from_memory_exactly_as_the_app_answered(app, client):
    layer = fast_path(app)
    for headers in ({"Accept-Encoding": "gzip"}, {"Accept-Encoding": "identity"}):
        first = client.get(PROFILE, headers=headers)
        hits = layer.hits
        again = client.get(PROFILE, headers=headers)
        assert layer.hits == hits + 1
        _same(first, again)
    # the two encodings are two entries, each with its own ETag
    assert len(layer) == 2
    assert "x-leftbehind-shared" not in first.headers  # the internal marker is never sent
    assert first.headers["x-frame-options"] == "DENY"  # security headers kept
    assert first.json()["code"] == A


def test_head_from_memory_has_the_get_headers_and_no_body(app, client):
    layer = fast_path(app)
    got = client.get(PROFILE)
    hits = layer.hits
    head = client.head(PROFILE)
    assert layer.hits == hits + 1
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]


def test_tiles_and_geojson_and_editions_are_shared(app, client):
    layer = fast_path(app)
    tile = "/tiles/ward17/6/31/20.mvt"
    for path in (
        tile,
        "/api/editions",
        "/api/areas.geojson?edition=england-2019-ward&group=left_behind",
    ):
        first = client.get(path, headers={"Accept-Encoding": "gzip"})
        hits = layer.hits
        _same(first, client.get(path, headers={"Accept-Encoding": "gzip"}))
        assert layer.hits == hits + 1, path


def test_never_from_memory(app, client):
    layer = fast_path(app)
    client.get(PROFILE)
    etag = client.get(PROFILE).headers["etag"]
    hits = layer.hits
    # signed-in or cookie-carrying, conditional and range requests reach the app
    assert client.get(PROFILE, headers={"Cookie": "leftbehind_session=x"}).status_code == 200
    assert client.get(PROFILE, headers={"Authorization": "Bearer t"}).status_code == 200
    assert client.get(PROFILE, headers={"If-None-Match": etag}).status_code == 304
    # errors and pages not marked shared are never kept
    for _ in range(2):
        assert client.get("/methods").status_code == 200
        assert client.get("/api/areas/NOWHERE9/profile").status_code == 404
        assert client.get("/api/areas?bogus=1").status_code == 422
    assert layer.hits == hits


def test_the_language_and_the_query_are_part_of_the_key(app, client):
    layer = fast_path(app)
    client.get(PROFILE)
    before = len(layer)
    client.get(PROFILE, headers={"Accept-Language": "cy"})
    client.get(PROFILE + "&x=1")  # rejected (422): not kept
    assert len(layer) == before + 1


def test_new_grants_clear_it(app, client):
    layer = fast_path(app)
    client.get(PROFILE)
    assert len(layer) >= 1
    obs = app.state.observatory
    for hook in obs.on_grants_change:  # what a new grants version runs
        hook()
    assert len(layer) == 0


def test_bounded_by_bytes(app):
    from leftbehind.web.fastpath import FastPath

    async def inner(scope, receive, send):
        body = b"x" * 1000
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"1000"), (b"x-leftbehind-shared", b"1")],
            }
        )
        await send({"type": "http.response.body", "body": body})  # fmt: skip

    layer = FastPath(inner, max_bytes=16 * 1100)
    sent: list = []

    async def send(message):
        sent.append(message)

    import asyncio

    async def go():
        for i in range(40):
            scope = {"type": "http", "method": "GET", "path": f"/p{i}", "query_string": b"",
                     "headers": []}  # fmt: skip
            await layer(scope, None, send)

    asyncio.run(go())
    entry = 1000 + len(b"content-length") + len(b"1000")  # body and headers as kept
    assert len(layer) == layer.max_bytes // entry  # the newest that fit; older ones dropped
    assert set(k[0] for k in layer._items) == {f"/p{i}" for i in range(40 - len(layer), 40)}
    assert layer._bytes <= layer.max_bytes
    assert all(b"x-leftbehind-shared" not in dict(m.get("headers", [])) for m in sent)


def test_a_community_write_anywhere_clears_it_within_a_second(app, client):
    """The area page is shared: kept until the community's measures, assets or accounts change
    (here written straight to the database, as the CLI or another web worker would)."""
    from leftbehind.community import accounts
    from leftbehind.community.inputs import MeasureIn
    from leftbehind.community.measures import create_measure

    layer = fast_path(app)
    layer.check_every = 0.0  # check on every request (the site: at most once a second)
    page = client.get(f"/areas/{A}")
    hits = layer.hits
    _same(page, client.get(f"/areas/{A}"))
    assert layer.hits == hits + 1
    db = app.state.community
    who = accounts.add_user(db, "fast@example.org", "correct horse battery", "editor", [A],
                            name="Fast Path Forum")  # fmt: skip
    create_measure(db, who, A, MeasureIn(name="Benches repaired", unit="benches",
                                         status="published"))  # fmt: skip
    fresh = client.get(f"/areas/{A}")
    assert layer.hits == hits + 1  # rendered again, not from memory
    assert "Benches repaired" in fresh.text and "Benches repaired" not in page.text


def test_a_visitor_whose_only_cookie_is_the_language_is_served_in_that_language(app, client):
    """The key is the negotiated language: a ``lang`` cookie alone is served from memory, in
    its language; any other cookie (a session) never is."""
    layer = fast_path(app)
    client.cookies.clear()
    english = client.get(PROFILE)
    welsh = client.get(PROFILE, headers={"Cookie": "lang=cy"})
    hits = layer.hits
    again = client.get(PROFILE, headers={"Cookie": "lang=cy"})
    assert layer.hits == hits + 1
    assert again.content == welsh.content != english.content
    assert again.headers["content-language"] == "cy"
    assert client.get(PROFILE, headers={"Accept-Language": "cy"}).content == welsh.content
    assert layer.hits == hits + 2  # the same language, negotiated another way
    client.get(PROFILE, headers={"Cookie": "lang=cy; leftbehind_session=x"})
    client.get(PROFILE + "&lang=xx")  # an unknown language: the app's 422, never kept
    assert layer.hits == hits + 2


def test_a_hit_is_answered_before_the_framework(app, client, monkeypatch):
    """The app offers each request to the fast path before FastAPI, Starlette's error layer or
    any middleware: with the whole stack broken, a kept response is still answered (the same
    bytes), and anything else reaches the (broken) stack."""
    first = client.get(PROFILE)

    async def broken(scope, receive, send):
        raise AssertionError("the framework was asked")

    monkeypatch.setattr(app, "middleware_stack", broken)
    _same(first, client.get(PROFILE))
    with pytest.raises(AssertionError, match="the framework was asked"):
        client.get(f"/api/areas/{A}/profile?edition=england-2019-ward&lang=cy")
