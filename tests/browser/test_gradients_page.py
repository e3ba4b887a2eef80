"""The gradient lab page in a real browser, in both themes."""

from __future__ import annotations

from tests.helpers import assert_page_healthy, wait_for_run


def test_gradient_lab_in_browser(app_url, page):
    page.goto(app_url + "/gradients?steps=100", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    assert page.get_by_text("Gradient lab: RHEL against BPTT").count() >= 1
    assert page.locator(".js-plotly-plot").count() >= 6
    assert page.get_by_text("1.000000").count() >= 1
