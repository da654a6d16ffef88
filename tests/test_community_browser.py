"""Local measures in a real browser: sign in with the form, the measure pages and forms, all
axe-core clean and usable at 375 px (the forms need no JavaScript: see test_community_web)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from leftbehind.community import Community, accounts
from leftbehind.community.inputs import MeasureIn, ObservationIn
from leftbehind.community.measures import add_observation, create_measure
from test_browser import CHROMIUM, _axe, _free_port, _shot, browser  # noqa: F401

pytestmark = pytest.mark.browser
A = "E05000028"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(store_path: Path, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    import uvicorn

    from leftbehind.community.schema import upgrade
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('community') / 'community.sqlite3'}"
    upgrade(url)
    db = Community(url)
    who = accounts.add_user(db, "ed@example.org", PASSWORD, "editor", [A], name="Becontree Forum")
    m = create_measure(
        db, who, A, MeasureIn(name="Community events a month", unit="events", status="published",
                              description="Events open to everyone.", target=12))  # fmt: skip
    for value, date in [(4, "2024-01-31"), (6, "2024-02-29"), (9, "2024-03-31")]:
        add_observation(db, who, m["id"], ObservationIn(value=value, date=date))
    db.dispose()
    settings = fresh_settings(home=store_path.parent, database_url=url, secret_key="s" * 40)
    port = _free_port()
    app = create_app(settings)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", m["id"]
    srv.should_exit = True
    thread.join(timeout=10)


def _check(pg, name: str, width: int) -> None:
    # Measure the page as laid out: after its stylesheet and images have loaded (a click that
    # navigates returns once the new URL commits, before the styles apply).
    pg.wait_for_load_state("load")
    overflow = pg.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= width + 1, f"{name} is {overflow}px wide at {width}px"
    _shot(pg, f"community-{name}-{width}")
    assert _axe(pg, f"community-{name}-{width}") == []


@pytest.mark.parametrize("width", [1280, 375])
def test_sign_in_and_the_measure_pages_are_accessible(site, browser, width):  # noqa: F811
    base, mid = site
    context = browser.new_context(viewport={"width": width, "height": 800})
    pg = context.new_page()
    try:
        pg.goto(f"{base}/areas/{A}")
        assert "Community events a month" in pg.inner_text("#local-measures")
        assert "Published by Becontree Forum" in pg.inner_text("#local-measures")
        _check(pg, "area", width)
        pg.goto(f"{base}/measures/{mid}")
        _check(pg, "measure-public", width)
        pg.goto(f"{base}/login?next=/measures/{mid}")
        _check(pg, "login", width)
        pg.fill("#email", "ed@example.org")
        pg.fill("#password", PASSWORD)
        with pg.expect_navigation():
            pg.click("button[type=submit] >> text=Sign in")
        assert pg.url.endswith(f"/measures/{mid}")
        _check(pg, "measure-editor", width)
        pg.fill("#value", "11")
        pg.fill("#date", "2024-04-30")
        with pg.expect_navigation():
            pg.click("text=Record the value")
        assert "2024-04-30" in pg.inner_text("#observations")
        pg.goto(f"{base}/areas/{A}/measures/new")
        pg.fill("#name", "   ")  # passes the browser's 'required'; the server says what is wrong
        with pg.expect_navigation():
            pg.click("text=Save the measure")
        assert "There is a problem" in pg.content()
        _check(pg, "new-measure-error", width)
        pg.goto(f"{base}/account")
        _check(pg, "account", width)
    finally:
        context.close()
