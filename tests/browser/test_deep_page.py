"""Browser: The Deep and long page: AppTest driven by widget keys, and a real browser in both themes."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, assert_page_healthy, wait_for_run


def _deep() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/deep.py").run()
    return at


@pytest.mark.browser
def test_deep_page_in_browser(app_url, page):
    page.goto(app_url + "/deep", wait_until="domcontentloaded")
    wait_for_run(page, timeout_ms=180_000)
    assert_page_healthy(page)
    assert page.get_by_text("Deep and long: RHEL in a stacked HSSM").count() >= 1
    assert page.locator(".js-plotly-plot").count() >= 3
