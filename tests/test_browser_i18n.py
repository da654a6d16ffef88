"""The Welsh interface in a real browser (Playwright + Debian Chromium + axe-core): Welsh pages
at desktop and phone widths, accessible and fitting the screen, and the language switch going
both ways and remembered."""

from __future__ import annotations

import pytest

from test_browser import _axe, browser, server  # noqa: F401 - fixtures shared with test_browser

pytestmark = pytest.mark.browser

WELSH_PAGES = [
    "/?edition=wales-2022-msoa&lang=cy",
    "/areas/W02000259?edition=wales-2022-msoa&lang=cy",
    "/local-authorities/W06000016?edition=wales-2022-msoa&lang=cy",
    "/search?q=Penrhiw&edition=wales-2022-msoa&lang=cy",
    "/uk?lang=cy",
    "/compare-areas?edition=wales-2022-msoa&areas=W02000259,W02000260&lang=cy",
]


@pytest.mark.parametrize("width", [1280, 375])
def test_welsh_pages_are_welsh_accessible_and_fit(server, browser, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    try:
        for i, path in enumerate(WELSH_PAGES):
            pg.goto(server + path)
            assert pg.get_attribute("html", "lang") == "cy", path
            assert pg.locator("a[hreflang='en']").inner_text() == "English"
            assert _axe(pg, f"cy-{i}-{width}") == [], path
            wide = pg.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= width + 1, f"{path} is {wide}px wide at {width}px"
    finally:
        context.close()


def test_language_switch_goes_both_ways_and_is_remembered(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    try:
        pg.goto(server + "/areas/W02000259?edition=wales-2022-msoa")
        assert pg.get_attribute("html", "lang") == "en-GB"
        pg.click("a[hreflang='cy']")
        assert pg.get_attribute("html", "lang") == "cy"
        assert "Penrhiw-ceibr" in pg.locator("h1").inner_text()
        assert "edition=wales-2022-msoa" in pg.url
        assert "Mewn geiriau syml" in pg.content()
        # remembered by the cookie on the next page without lang=
        pg.goto(server + "/")
        assert pg.get_attribute("html", "lang") == "cy"
        assert pg.locator("h1").inner_text() == "Dewch o hyd i'ch cymdogaeth"
        pg.click("a[hreflang='en']")
        assert pg.get_attribute("html", "lang") == "en-GB"
        assert pg.locator("h1").inner_text() == "Find your neighbourhood"
    finally:
        context.close()
