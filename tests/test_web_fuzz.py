"""A bounded schemathesis run over the OpenAPI schema: no input makes the server fail (5xx)."""

from __future__ import annotations

import warnings
from pathlib import Path

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
]


@pytest.fixture(scope="module")
def operations(web_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    return {result.ok().path: result.ok() for result in schema.get_all_operations()}


def test_schema_lists_the_fuzzed_operations(operations):
    assert set(OPERATIONS) <= set(operations)


@pytest.mark.parametrize("path", OPERATIONS)
def test_no_server_errors(operations, path):
    """schemathesis generates requests from the OpenAPI schema (bounded by hypothesis)."""
    operation = operations[path]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call()
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: "
            f"{response.text[:300]}"
        )
        if response.status_code in (404, 422):
            body = response.json()
            assert body["error"]["message"]
            assert "Traceback" not in response.text

    run()
