"""Browser tests of the assets layer (Debian Chromium + axe-core): on the home map and on an
area's asset map, at desktop width and on a 375 px phone, the layer shows and its checkboxes
filter it; the pages stay axe-clean and no wider than the screen."""

from __future__ import annotations

import pytest

from test_browser import _axe, _shot, _wait_painted, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
BECONTREE = "E05000028"


def _shown(pg) -> set[str]:
    return set((pg.locator("form.asset-layer").get_attribute("data-shown") or "").split())


def _features(pg, map_var: str, layer: str) -> int:
    return pg.evaluate(
        f"() => window.{map_var}.queryRenderedFeatures({{layers: ['{layer}']}}).length"
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_home_map_assets_layer_shows_and_filters(server, browser, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        pg.goto(server + "/")
        _wait_painted(pg)
        pg.wait_for_selector("form.asset-layer[data-state=ready]")
        assert _shown(pg) == set()  # off at first: the map shows the groups
        pg.get_by_label("Library").check()
        pg.wait_for_function(
            "() => window.__map.getSource('assets-library') && "
            "window.__map.isSourceLoaded('assets-library') && "
            "window.__map.queryRenderedFeatures({layers: ['assets-library']}).length > 0",
            timeout=30000,
        )
        assert _shown(pg) == {"library"}
        assert _features(pg, "__map", "assets-library") > 100  # England's libraries
        pg.get_by_label("GP practice").check()
        pg.wait_for_function(
            "() => window.__map.getSource('assets-gp_practice') && "
            "window.__map.queryRenderedFeatures({layers: ['assets-gp_practice']}).length > 0",
            timeout=30000,
        )
        assert _shown(pg) == {"library", "gp_practice"}
        _shot(pg, f"home-assets-{width}")
        pg.get_by_label("Library").uncheck()
        pg.wait_for_function(
            "() => window.__map.queryRenderedFeatures({layers: ['assets-library']}).length === 0"
        )
        assert _shown(pg) == {"gp_practice"}
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= width + 1
        assert _axe(pg, f"home-assets-{width}") == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_area_asset_map_shows_and_filters(server, browser, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        pg.goto(server + f"/areas/{BECONTREE}")
        pg.wait_for_selector("#asset-map[data-state=painted]", timeout=30000)
        pg.locator("#asset-map").scroll_into_view_if_needed()
        pg.wait_for_function(
            "() => window.__assetMap.queryRenderedFeatures({layers: ['assets-gp_practice']})"
            ".length > 0",
            timeout=30000,
        )
        assert _shown(pg) == {"library", "gp_practice", "hospital", "community"}
        _shot(pg, f"area-assets-{width}")
        pg.get_by_label("GP practice").uncheck()
        pg.wait_for_function(
            "() => window.__assetMap.queryRenderedFeatures({layers: ['assets-gp_practice']})"
            ".length === 0"
        )
        assert "gp_practice" not in _shown(pg)
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= width + 1
        assert _axe(pg, f"area-assets-{width}") == []
        assert errors == []
    finally:
        context.close()
