"""The app shell and home page: AppTest and a real browser."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, assert_page_healthy, wait_for_run


def test_home_renders_without_exception():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "learning by echoes" in at.title[0].value
    assert any("Recurrent Hamiltonian Echo Learning" in md.value for md in at.markdown)


@pytest.mark.browser
def test_home_in_browser(app_url, page):
    page.goto(app_url + "/", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    assert page.get_by_text("learning by echoes").count() >= 1
    assert page.locator("img").count() >= 1  # the diagram
