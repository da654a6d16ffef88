"""A bounded schemathesis run over the OpenAPI schema: no input makes the server fail (5xx)."""

from __future__ import annotations

import warnings
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

    schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings


@pytest.fixture(scope="module")
def web_app(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app):  # run the lifespan (preloads the default edition)
        yield app


OPERATIONS = [
    "/api/editions",
    "/api/areas",
    "/api/areas.csv",
    "/api/areas/{code}",
    "/api/areas/{code}/profile",
    "/api/areas/{code}/profile.csv",
    "/api/summary",
    "/api/summary.csv",
    "/api/compare",
    "/api/local-authorities",
    "/api/local-authorities/{code}",
    "/api/areas.geojson",
    "/api/local-authorities.geojson",
    "/api/search",
    "/api/postcodes/{postcode}",
    "/api/wards/{code}",
    "/tiles/{geography}/{z}/{x}/{y}.mvt",
    "/api/allocations",
    "/api/grants/summary",
    "/api/grants",
    "/api/areas/{code}/measures",
    "/api/measures/{measure_id}",
    "/api/measures/{measure_id}/history",
    "/api/measures.json",
    "/api/measures.csv",
    "/api/compare-areas",
    "/api/compare-areas.csv",
    "/api/areas/{code}/trend",
    "/api/areas/{code}/trend.csv",
    "/api/areas/{code}/outcomes",
    "/api/futures",
    "/api/futures.csv",
    "/api/futures/local-authorities",
    "/api/futures/local-authorities.csv",
    "/api/funds",
    "/api/funds/template.csv",
    "/api/funds/{fund}",
    "/api/local-authorities/{code}/funds",
    "/api/areas/{code}/assets",
    "/api/assets.geojson",
    "/api/assets.csv",
    "/api/assets/unplaced",
    "/api/library-changes",
    "/api/assets/{asset_id}",
    "/api/assets/{asset_id}/history",
    "/api/crosswalks/{from_type}.csv",
    "/api/map-labels",
    "/api/uk-summary",
    "/api/uk-summary.csv",
    "/api/areas/{code}/uk-index",
    "/api/local-authorities/{code}/uk-index",
]
#: Operations with rules across parameters that a schema cannot state (an allocation's floor
#: x areas within the budget, one profile weight per year, the work caps; a first year not
#: after the last). A schema-valid request may break them, so for these two the check that
#: schema-valid data is accepted is replaced by a stricter one of our own: the 422 names a
#: parameter of the operation.
CROSS_PARAMETER_RULES = {"/api/allocations", "/api/grants/summary", "/api/grants"}
#: A postcode's shape is checked by the library, whose 422 says how a postcode looks ('RM9
#: 4UN'); the schema leaves it a string so that any spelling reaches that message.
CROSS_PARAMETER_RULES |= {"/api/postcodes/{postcode}"}
#: Compared areas must exist and be 2 to 4 distinct codes of one edition (404/422 naming
#: 'areas'), which the schema's string cannot say.
CROSS_PARAMETER_RULES |= {"/api/compare-areas", "/api/compare-areas.csv"}


@pytest.fixture(scope="module")
def operations(web_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    # The read API, every GET; the community's writes (POST, PATCH, DELETE with a bearer token)
    # are attacked role by role in tests/test_community_web.py.
    return {
        op.path: op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.method.upper() == "GET"
    }


@pytest.fixture(scope="module")
def all_checks():
    from schemathesis import checks

    checks.load_all_checks()
    return list(checks.CHECKS.get_all())


def test_schema_lists_the_fuzzed_operations(operations):
    assert set(OPERATIONS) == set(operations)


def test_schema_lists_every_edition(operations):
    from leftbehind.editions import EDITIONS

    schema = operations["/api/summary"].schema.raw_schema
    assert schema["components"]["schemas"]["EditionId"]["enum"] == list(EDITIONS)


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("path", OPERATIONS)
def test_schemathesis_all_checks(operations, all_checks, path, mode):
    """schemathesis generates requests from the OpenAPI schema (bounded by hypothesis) and
    runs every check it has (server errors, status codes, content types, headers, response
    schemas, negative data rejected, positive data accepted, methods): no failure."""
    from schemathesis import GenerationMode

    operation = operations[path]
    if mode == "negative" and not operation.definition.raw.get("parameters"):
        pytest.skip(f"{path} has no parameters to make invalid")
    checks = all_checks
    if path in CROSS_PARAMETER_RULES:
        checks = [c for c in all_checks if c.__name__ != "positive_data_acceptance"]
    names = {p["name"] for p in operation.definition.raw.get("parameters", [])}

    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call()
        case.validate_response(response, checks=checks)
        assert response.status_code < 500, response.text[:300]
        assert "Traceback" not in response.text
        if response.status_code >= 400:
            body = response.json()
            assert body["error"]["message"]
            if path in CROSS_PARAMETER_RULES and response.status_code == 422:
                problems = body["error"]["problems"]
                # a declared parameter, or an undeclared one the request really sent (read
                # from the URL sent: a generated name may not survive encoding)
                query = urlsplit(str(response.request.url)).query
                sent = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
                sent_unknown = sent - names
                assert problems and {p["parameter"] for p in problems} <= names | sent_unknown
                if sent_unknown:
                    assert {p["parameter"] for p in problems} & sent_unknown, problems

    run()
