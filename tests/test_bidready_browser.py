"""Browser tests for issue 17 (Debian Chromium, axe-core): the briefing, compare and council
pages are accessible at desktop and phone widths; the council map paints its areas; at 375 px
chart text is at least 12 px and wide tables scroll with a visible cue."""

from __future__ import annotations

import pytest

from test_browser import _axe, _shot, _wait_painted, browser, page, server  # noqa: F401

pytestmark = pytest.mark.browser
THANET = "E07000114"

PAGES = [
    "/areas/E05000028/briefing",
    f"/local-authorities/{THANET}/briefing",
    "/compare-areas?areas=E05000028,E05001536",
    "/compare-areas",
    f"/local-authorities/{THANET}",
]

FONT_SIZES = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    if (!box.width) continue;
    const vb = svg.viewBox && svg.viewBox.baseVal;
    const scale = vb && vb.width ? box.width / vb.width : 1;
    for (const t of svg.querySelectorAll('text')) {
      out.push(parseFloat(getComputedStyle(t).fontSize) * scale);
    }
  }
  return out;
}"""

SCROLL_BOXES = """() => [...document.querySelectorAll('.table-scroll, .chart')].map(b => {
  const hint = b.previousElementSibling;
  return {
    overflows: b.scrollWidth > b.clientWidth + 2,
    scrolls: ['auto', 'scroll'].includes(getComputedStyle(b).overflowX),
    hint: !!(hint && hint.classList.contains('scroll-hint') && !hint.hidden
             && hint.offsetHeight > 0 && hint.textContent.includes('Scroll sideways')),
    shadow: getComputedStyle(b).backgroundImage.includes('gradient'),
  };
})"""


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", [1280, 375])
def test_new_pages_are_accessible_at_both_widths(server, browser, path, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800})
    pg = context.new_page()
    try:
        pg.goto(server + path)
        overflow = pg.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width + 1, f"{path} is {overflow}px wide at {width}px"
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")
        _shot(pg, f"bid-{name}-{width}"[:80])
        bad = _axe(pg, f"bid-{name}-{width}"[:80])
        assert bad == [], f"{path}: {bad}"
    finally:
        context.close()


def test_council_page_map_paints_only_its_areas(server, page, con):  # noqa: F811
    wards = {
        c
        for (c,) in con.execute(
            "SELECT code FROM identification WHERE edition = 'england-2019-ward' "
            "AND local_authority_code = ?",
            [THANET],
        ).fetchall()
    }
    page.goto(server + f"/local-authorities/{THANET}")
    _wait_painted(page)
    rendered = page.evaluate(
        "() => [...new Set(__map.queryRenderedFeatures({layers: ['areas-fill']})"
        ".map(f => f.properties.c))]"
    )
    assert rendered and set(rendered) <= wards
    assert len(rendered) >= len(wards) - 2  # all of them in view (tiny slivers may hide)
    assert page.errors == [] and page.csp_blocked == []


@pytest.mark.parametrize(
    "path", ["/areas/E05000028", "/compare-areas?areas=E05000028,E05001536", "/summary"]
)
def test_phone_chart_text_and_scrolling_tables(server, browser, path):  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 800})
    pg = context.new_page()
    try:
        pg.goto(server + path)
        sizes = pg.evaluate(FONT_SIZES)
        if path.startswith("/areas/"):
            assert sizes, "the area page has a chart"
        assert all(s >= 12 for s in sizes), f"chart text below 12 px: {min(sizes)}"
        boxes = pg.evaluate(SCROLL_BOXES)
        wide = [b for b in boxes if b["overflows"]]
        assert wide, "expected at least one wide table at 375 px"
        for b in wide:
            assert b["scrolls"] and b["hint"] and b["shadow"], b
        assert not any(b["hint"] for b in boxes if not b["overflows"])
        _shot(pg, "bid-phone-" + path.strip("/").replace("/", "-").replace("?", "-")[:40])
    finally:
        context.close()
