"""The app shell and home page in a real browser, in both themes."""

from __future__ import annotations

from tests.helpers import assert_page_healthy, wait_for_run


def test_home_in_browser(app_url, page):
    page.goto(app_url + "/", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    assert page.get_by_text("learning by echoes").count() >= 1
    assert page.locator("img").count() >= 1  # the diagram
