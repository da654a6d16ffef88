"""A bounded schemathesis run over the OpenAPI schema: no input makes the server fail (5xx)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: F401  (imported once, warning-free)

    schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings


@pytest.fixture(scope="module")
def web_app(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app):  # run the lifespan (preloads the default edition)
        yield app


@pytest.fixture(scope="module")
def web_schema(web_app):
    return schemathesis.openapi.from_asgi("/openapi.json", web_app)


schema = schemathesis.pytest.from_fixture("web_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: "
        f"{response.text[:300]}"
    )
    if response.status_code in (404, 422):
        body = response.json()
        assert body["error"]["message"]
        assert "Traceback" not in response.text
