"""A shared link cannot put markup into the app's own note: the reported injection renders as plain text."""

from __future__ import annotations

from urllib.parse import quote

from tests.app.test_url_safety import INJECTION
from tests.helpers import assert_page_healthy, wait_for_run


def test_injected_heading_link_and_image_are_not_rendered(light_app_url, page):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url) if "127.0.0.1:9/" in request.url else None)
    page.goto(f"{light_app_url}/echo?steps=50&h={quote(INJECTION)}&hide={quote('[x](http://evil.example)')}",
              wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    note = page.get_by_test_id("stAlert").filter(has_text="link parameters were ignored")
    assert note.count() == 1
    markup = note.locator("a, img, h1, h2, h3, em, table")
    assert markup.count() == 0, markup.evaluate_all("elements => elements.map(element => element.outerHTML)")
    assert page.locator("a[href*='evil.example'], img[src*='127.0.0.1:9']").count() == 0
    assert "# This server has moved" in note.inner_text()  # shown literally, as typed
    assert not fetched, fetched
