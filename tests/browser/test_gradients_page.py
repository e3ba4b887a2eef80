"""Browser: The gradient lab page: AppTest driven by widget keys, and a real browser in both themes."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, assert_page_healthy, wait_for_run


def _lab() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/gradients.py").run()
    at.select_slider(key="steps").set_value(50)
    return at.run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


@pytest.mark.browser
def test_gradient_lab_in_browser(app_url, page):
    page.goto(app_url + "/gradients?steps=100", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    assert page.get_by_text("Gradient lab: RHEL against BPTT").count() >= 1
    assert page.locator(".js-plotly-plot").count() >= 6
    assert page.get_by_text("1.000000").count() >= 1
