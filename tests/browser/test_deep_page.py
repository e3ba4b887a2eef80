"""The Deep and long page in a real browser, in both themes."""

from __future__ import annotations

from tests.helpers import assert_page_healthy, wait_for_run


def test_deep_page_in_browser(app_url, page):
    page.goto(app_url + "/deep", wait_until="domcontentloaded")
    wait_for_run(page, timeout_ms=180_000)
    assert_page_healthy(page)
    assert page.get_by_text("Deep and long: RHEL in a stacked HSSM").count() >= 1
    assert page.locator(".js-plotly-plot").count() >= 3
