"""Every page as a lecture hall sees it, measured in the rendered page (headless Chromium).

* Presentation mode (``?present=1``) at 1920x1080, light and dark: every visible text of every Plotly
  figure is at least MIN_PX, as are the cells of every table (HTML tables there; a ``st.dataframe``, which
  draws on a canvas, is read from the theme its grid draws with) and every metric value, which is not cut
  off; the page's key figure lies within the first screen.
* The default view at 1280x720: no figure's title or annotation overlaps its legend, and no metric value
  is cut off.
* On every load, each page opened first at its own URL: no 404, in the network or the console (Streamlit's
  frontend would probe ``/echo/_stcore/health`` first; :mod:`rhel_viz.ui.server` tells it where the
  server is).

One page load per page and view; every check of that view runs on it.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import assert_page_healthy, wait_for_run

MIN_PX = 18
FULL_HD = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1280, "height": 720}
#: page -> (path, selector of the key figure)
PAGES = {
    "home": ("/", "svg.rhel-diagram"),
    "echo": ("/echo?steps=50", "[data-testid='stPlotlyChart'] >> nth=0"),  # the animation comes first
    "gradients": ("/gradients?steps=50", ".st-key-bars [data-testid='stPlotlyChart']"),
    "training": ("/training", ".st-key-train_loss_chart [data-testid='stPlotlyChart']"),
    "deep": ("/deep", ".st-key-deep_agreement_chart [data-testid='stPlotlyChart']"),
}

# Every visible <text> of every Plotly figure: (figure index, class of the text's group, font px, text).
PLOTLY_TEXTS = r"""() => {
  const group = text => { for (const name of ['xtick', 'ytick', 'legendtext', 'gtitle', 'annotation-text',
        'g-xtitle', 'g-ytitle', 'slider-label', 'updatemenu-item-text', 'textpoint', 'cbtitle', 'cbaxis'])
      if (text.closest('.' + name) || text.classList.contains(name)) return name;
    return text.parentNode.getAttribute('class') || 'other'; };
  const shown = text => { const style = getComputedStyle(text); const box = text.getBoundingClientRect();
    return style.display !== 'none' && style.visibility !== 'hidden' && Number(style.fillOpacity) > 0
      && !/,\s*0\)$/.test(style.fill) && Number(style.opacity) > 0 && box.width > 0
      && text.textContent.trim() !== ''; };
  return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].flatMap((chart, index) =>
    [...chart.querySelectorAll('svg text')].filter(shown).map(text =>
      [index, group(text), parseFloat(getComputedStyle(text).fontSize), text.textContent.slice(0, 40)]));
}"""
# Title or annotation boxes that meet a legend box, per figure.
OVERLAPS = r"""() => {
  const boxes = (chart, selector) => [...chart.querySelectorAll(selector)].map(e => e.getBoundingClientRect())
    .filter(box => box.width > 0 && box.height > 0);
  const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].flatMap((chart, index) => {
    const legends = boxes(chart, 'g.legend .bg');
    return [['title', '.gtitle'], ['annotation', '.annotation']].flatMap(([what, selector]) =>
      boxes(chart, selector).filter(box => legends.some(legend => meet(box, legend))).map(() => [index, what]));
  });
}"""
# Every st.dataframe: the fonts its canvas grid draws cells and headers with (glide-data-grid's theme, which it
# also sets as CSS variables on the grid) and its row height (canvas height / rows).
GRIDS = r"""() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(grid => {
  const themed = getComputedStyle(grid.querySelector('.stDataFrameGlideDataEditor'));
  const canvas = grid.querySelector('canvas[data-testid="data-grid-canvas"]');
  const rows = Number(grid.querySelector('table[role="grid"]').getAttribute('aria-rowcount'));
  return [themed.getPropertyValue('--gdg-base-font-style'), themed.getPropertyValue('--gdg-header-font-style'),
          canvas.getBoundingClientRect().height / rows];
})"""
# The smallest font px of the cells (header included) of every st.table (HTML).
TABLES = r"""() => [...document.querySelectorAll('[data-testid="stTable"]')].map(table =>
  Math.min(...[...table.querySelectorAll('th, td')].filter(cell => cell.innerText.trim() !== '')
    .map(cell => parseFloat(getComputedStyle(cell).fontSize))))"""
# Metric values: font px, and whether the text is wider than its box (cut off with an ellipsis).
METRICS = r"""() => [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(value => {
  const inner = value.querySelector('div') || value;
  return [value.innerText, parseFloat(getComputedStyle(inner).fontSize), inner.scrollWidth > inner.clientWidth + 1];
})"""


def _open(page, base: str, name: str, present: bool):
    """Load the page (training: one update made) in the ``page`` fixture's browser, which prefers the test's
    theme; wait until every figure and table is drawn. 404s go to ``page.not_found`` and ``page.console_404``."""
    page.not_found = []
    page.on("response", lambda response: page.not_found.append(response.url) if response.status == 404 else None)
    page.console_404 = []
    page.on("console", lambda message: page.console_404.append(message.location.get("url", ""))
            if "404" in message.text else None)
    path = PAGES[name][0]
    page.goto(base + path + (("&" if "?" in path else "?") + "present=1" if present else ""),
              wait_until="domcontentloaded")
    wait_for_run(page, timeout_ms=180_000)
    if name == "training":  # the loss chart appears with the first update
        page.get_by_role("heading", name="Training playground").click()
        page.keyboard.press("n")
        page.locator(PAGES[name][1]).wait_for(state="visible", timeout=120_000)
        wait_for_run(page)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
                           ".every(chart => chart.querySelector('.main-svg'))", timeout=30_000)
    page.wait_for_timeout(500)  # plotly.js's auto-margin redraws settle
    page.key_box = page.locator(PAGES[name][1]).first.bounding_box()  # as first shown, before any scrolling
    if name == "deep":  # the exact values' table, in an expander
        page.get_by_text("Exact values").click()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"]')].every(grid =>"
                           " grid.querySelector('table[role=\"grid\"]') && grid.querySelector('canvas'))",
                           timeout=30_000)  # every canvas grid drawn (the default view's tables)
    return page


def _assert_no_404(page) -> None:
    assert page.not_found == [], f"404s: {page.not_found}"
    assert page.console_404 == [], f"404s in the console: {page.console_404}"


def _assert_no_overlaps(page) -> None:
    assert page.evaluate(OVERLAPS) == [], "a figure's title or annotation overlaps its legend"


def _assert_metrics_whole(page, min_px: float = 0) -> None:
    for text, size, cut in page.evaluate(METRICS):
        assert not cut, f"metric value {text!r} is cut off"
        assert size >= min_px, f"metric value {text!r} at {size} px"


@pytest.mark.parametrize("name", list(PAGES))
def test_presentation_mode_is_projector_ready(app_url, page, name):
    page.set_viewport_size(FULL_HD)
    _open(page, app_url, name, present=True)
    assert_page_healthy(page)
    texts = page.evaluate(PLOTLY_TEXTS)
    assert texts or name == "home"
    small = [text for text in texts if text[2] < MIN_PX]
    assert not small, f"Plotly texts under {MIN_PX} px (figure, kind, px, text): {small[:10]}"
    grids, tables = page.evaluate(GRIDS), page.evaluate(TABLES)
    assert grids or tables or name not in ("gradients", "deep"), "no table drawn"
    assert all(size >= MIN_PX for size in tables), f"table cells at {tables} px"
    for cells, headers, row_px in grids:
        for font in (cells, headers):
            assert float(re.search(r"([\d.]+)px", font).group(1)) >= MIN_PX, f"table drawn in {font!r}"
        assert row_px >= 1.75 * MIN_PX, f"table rows {row_px:.0f} px high"
    _assert_metrics_whole(page, MIN_PX)
    _assert_no_overlaps(page)
    _assert_no_404(page)
    box = page.key_box
    top, bottom = box["y"], box["y"] + box["height"]
    assert top >= 0 and bottom <= FULL_HD["height"], f"the key figure spans y = {top:.0f}..{bottom:.0f} px"


@pytest.mark.parametrize("name", list(PAGES))
def test_default_view_has_no_overlaps_cut_off_metrics_or_404s(light_app_url, page, name):
    assert page.viewport_size == LAPTOP
    _open(page, light_app_url, name, present=False)
    assert_page_healthy(page)
    _assert_no_overlaps(page)
    _assert_metrics_whole(page)
    _assert_no_404(page)
