"""The site under attack: bounded work per request, security headers, HEAD, valid JSON
(FastAPI TestClient on the real evidence store, no network)."""

from __future__ import annotations

import json
import re
import threading
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leftbehind.errors import Overloaded
from leftbehind.funding.request import MAX_AREA_YEARS, MAX_DRAW_AREAS
from leftbehind.observatory.limits import Gate

#: The request of issue 16 that cost about 100 s of CPU.
EXPENSIVE = {
    "budget": "1000000000000",
    "edition": "england-2023-lsoa",
    "include_other_deprived": "true",
    "compare_bidding": "true",
    "draws": "1000",
    "years": "50",
    "seed": "1",
}


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


def _error(r) -> str:
    body = r.json()
    assert "Traceback" not in r.text
    return body["error"]["message"]


def test_the_expensive_request_is_refused_naming_the_cap(client):
    r = client.get("/api/allocations", params=EXPENSIVE)
    assert r.status_code == 422
    message = _error(r)
    assert f"{MAX_AREA_YEARS:,}" in message and "'years'" in message
    # 3,375 eligible LSOAs: at most 11 years fit the cap, and the message says so.
    assert "at most 11 years" in message
    fewer_years = client.get("/api/allocations", params={**EXPENSIVE, "years": "11"})
    assert fewer_years.status_code == 422
    message = _error(fewer_years)
    assert "'draws'" in message and f"{MAX_DRAW_AREAS:,}" in message
    most = int(message.split("use at most ")[1].split()[0])
    areas = client.get("/api/areas", params={"edition": "england-2023-lsoa"}).json()["total"]
    assert most == MAX_DRAW_AREAS // areas
    within = client.get("/api/allocations", params={**EXPENSIVE, "years": "11", "draws": most})
    assert within.status_code == 200
    data = within.json()
    assert data["compare_bidding"]["draws"] == most
    assert len(data["areas"]) * 11 <= MAX_AREA_YEARS


def test_the_page_explains_the_cap_next_to_the_field(client):
    r = client.get("/allocate", params=EXPENSIVE)
    assert r.status_code == 422
    assert f"{MAX_AREA_YEARS:,}" in r.text and "Traceback" not in r.text


def test_caps_are_documented_in_the_schema(client):
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/allocations"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert f"{MAX_AREA_YEARS:,}" in params["years"]["description"]
    assert f"{MAX_DRAW_AREAS:,}" in params["draws"]["description"]
    assert "Retry-After" in op["description"]
    assert {"422", "503"} <= set(op["responses"])
    assert set(op["responses"]["200"]["content"]) == {"application/json", "text/csv"}


def test_a_full_gate_answers_503_with_retry_after_and_cheap_pages_still_answer(client):
    svc = client.app.state.funding
    saved = svc.gate
    svc.gate = Gate("allocations", running=1, waiting=0, wait=0.01, retry_after=7)
    cached = client.get("/api/allocations", params={"budget": "1000000", "years": "2"})
    assert cached.status_code == 200
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with svc.gate.enter():
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(5)
        busy = client.get("/api/allocations", params={"budget": "1000001", "years": "2"})
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "7"
        assert busy.headers["cache-control"] == "no-store"
        message = _error(busy)
        assert "busy" in message and "try again in 7 seconds" in message
        page = client.get("/allocate", params={"budget": "1000002", "years": "2"})
        assert page.status_code == 503 and page.headers["retry-after"] == "7"
        assert "busy" in page.text and "Traceback" not in page.text
        # A result already computed is answered at once, and the cheap API is untouched.
        again = client.get("/api/allocations", params={"budget": "1000000", "years": "2"})
        assert again.status_code == 200 and again.content == cached.content
        assert client.get("/api/editions").status_code == 200
    finally:
        release.set()
        holder.join(10)
        svc.gate = saved
    after = client.get("/api/allocations", params={"budget": "1000001", "years": "2"})
    assert after.status_code == 200


def test_a_waiting_computation_gives_up_after_the_wait():
    gate = Gate("things", running=1, waiting=1, wait=0.05, retry_after=3)
    with gate.enter():
        refused = pytest.raises(Overloaded, match="at most 1 at a time and 1 waiting")
        with refused as exc, gate.enter():
            pass
        assert exc.value.retry_after == 3
    assert gate.inside == 0
    with gate.enter():  # the slot is free again
        assert gate.inside == 1


def test_a_full_queue_refuses_at_once_and_the_waiter_runs_when_the_slot_frees():
    gate = Gate("things", running=1, waiting=1, wait=30)
    ran = threading.Event()

    def waiter() -> None:
        with gate.enter():
            ran.set()

    with gate.enter():
        thread = threading.Thread(target=waiter)
        thread.start()
        while gate.inside < 2:
            thread.join(0.001)
        with pytest.raises(Overloaded, match="busy with other things"), gate.enter():
            pass
        assert not ran.is_set()  # still waiting: the refusal did not wait 30 s for it
    thread.join(5)
    assert ran.is_set() and gate.inside == 0


SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/areas/E05000028",
        "/allocate",
        "/docs",
        "/api/editions",
        "/api/areas.csv",
        "/openapi.json",
        "/static/site.css",
        "/no/such/page",
        "/api/areas?page=0",
    ],
)
def test_security_headers_on_every_response(client, url):
    r = client.get(url)
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value, (url, name)
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in r.headers["permissions-policy"]


def test_a_configured_basemap_is_allowed_for_tiles_only():
    from leftbehind.web.app import content_security_policy

    csp = content_security_policy("https://tiles.example.org/style.json?key=1")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "https://tiles.example.org" in directives["img-src"]
    assert "https://tiles.example.org" in directives["connect-src"]
    assert directives["script-src"] == "'self'"


@pytest.mark.parametrize(
    "url", ["/", "/summary", "/areas/E05000028", "/api/editions", "/api/areas.csv", "/docs"]
)
def test_head_wherever_get_is_served(client, url):
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers.get("etag") == get.headers.get("etag")
    assert head.headers["content-security-policy"]


def test_templates_have_no_inline_scripts_or_styles():
    folder = Path(__file__).resolve().parents[1] / "src" / "leftbehind" / "web" / "templates"
    for template in folder.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<style" not in text, template.name
        assert " style=" not in text, template.name
        for chunk in text.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), f"inline script in {template.name}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline handler in {template.name}"


def _strict(text: str):
    def refuse(constant: str):
        raise ValueError(f"invalid JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "url",
    [
        "/api/summary?edition=england-2023-lsoa",
        "/api/compare",
        "/api/areas/E05000028/profile",
        "/api/grants/summary",
        "/api/allocations?budget=1000000&compare_bidding=true&draws=50",
    ],
)
def test_json_is_always_valid(client, url):
    r = client.get(url)
    assert r.status_code == 200
    _strict(r.text)


def test_payloads_never_write_nan_or_infinity():
    from leftbehind.observatory.payload import Payload

    body = Payload.json({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5]}).body
    assert _strict(body.decode()) == {"a": None, "b": [None, None, 1.5]}
