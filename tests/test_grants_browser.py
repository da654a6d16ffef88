"""The funding pages with real sample grants in Debian Chromium: the reconciliation table, the
filters, the list of grants and an admin's upload form, axe-core clean and usable at 375 px."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from test_browser import CHROMIUM, _axe, _free_port, browser  # noqa: F401 (fixture)

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def grants_server(store_path: Path, samples_dir: Path, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    import duckdb
    import uvicorn

    from leftbehind.community import Community, accounts
    from leftbehind.community.schema import upgrade
    from leftbehind.funding.grants_store import import_grants
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    home = tmp_path_factory.mktemp("grants-browser")
    (home / "leftbehind.duckdb").symlink_to(store_path)
    url = f"sqlite:///{home / 'community.sqlite3'}"
    upgrade(url)
    community = Community(url)
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        files = sorted((samples_dir / "grants").glob("*.json"))
        import_grants(community, con, files, via="samples")
        accounts.add_user(community, "admin@example.org", PASSWORD, "admin", [])
    finally:
        con.close()
        community.dispose()
    port = _free_port()
    app = create_app(fresh_settings(home=home, edition="england-2019-ward", secret_key="k" * 40))
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)


PAGES = [
    "/funding",
    "/funding?max_grant=1000000&funder=power",
    "/funding/grants?funder=GB-CHC-1159982",
    "/funding/grants?area=E05000028",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", [1280, 375])
def test_funding_pages_with_grants_are_accessible(grants_server, browser, path, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800})
    pg = context.new_page()
    try:
        pg.goto(grants_server + path)
        overflow = pg.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width + 1, f"{path} is {overflow}px wide at {width}px"
        if path.startswith("/funding?") or path == "/funding":
            assert pg.locator("#money-table").is_visible()
            assert "Sample data" in pg.locator("#samples-note").inner_text()
        else:
            assert pg.locator("#grants-table").count() == 1
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")
        bad = _axe(pg, f"grants-{name.replace('&', '-')}-{width}")
        assert bad == [], f"{path}: {bad}"
    finally:
        context.close()


def test_admin_sees_an_accessible_upload_form(grants_server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 800})
    pg = context.new_page()
    try:
        pg.goto(grants_server + "/login?next=/funding")
        pg.get_by_label("Email address").fill("admin@example.org")
        pg.get_by_label("Password").fill(PASSWORD)
        pg.get_by_role("button", name="Sign in").click()
        pg.wait_for_url("**/funding")
        assert pg.locator("#grants-file").count() == 1
        assert _axe(pg, "grants-upload-375") == []
    finally:
        context.close()
