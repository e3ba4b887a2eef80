"""Browser: The Echo page: every widget by key, every system x integrator, the stability warning, and a real browser."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, assert_page_healthy, wait_for_run

PAGE = str(ROOT / "pages" / "echo.py")
FAST_STEPS = 50
CHARTS = 4  # animation, trajectories, phase portraits, energy and retrace error
SLIDER_POSITION = "element => element.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"


def _page(**widgets) -> AppTest:
    """The page at a short sequence length, with the given selectbox values set by key, already run."""
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.select_slider(key="steps").set_value(FAST_STEPS)
    for key, value in widgets.items():
        at.selectbox(key=key).set_value(value)
    return at.run()


def _charts(at: AppTest) -> list:
    return at.get("plotly_chart")


WIDGET_CHANGES = [
    ("selectbox", "loss", "final"),
    ("slider", "h", 0.2),
    ("selectbox", "dtype", "float32"),
    ("number_input", "seed", 3),
    ("select_slider", "eps", 1e-2),
    ("slider", "damping", 0.05),
    ("selectbox", "integrator", "rk4"),
    ("slider", "mass_1", 2.0),
    ("slider", "mass_2", 0.5),
    ("slider", "k_wall", 2.0),
    ("slider", "k_coupling", 1.5),
    ("slider", "q0", -0.5),
    ("slider", "drive_amp", 0.5),
    ("slider", "drive_freq", 2.0),
    ("select_slider", "steps", 100),
    ("selectbox", "system", "nonlinear"),
]


@pytest.mark.browser
def test_echo_animation_plays_in_browser(app_url, page):
    page.goto(app_url + "/echo?steps=50", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.locator(".updatemenu-button").first.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)
    chart.locator(".updatemenu-button").first.click()  # Play
    page.wait_for_timeout(2500)
    active = chart.evaluate(SLIDER_POSITION)
    assert active > 0, "the animation did not advance"
    assert_page_healthy(page)
    # Pause interrupts the running Plotly.animate, whose promise plotly.js rejects on purpose with no
    # reason (an "Uncaught (in promise) undefined" in the console, cf. plotly.js #2438): harmless.
    chart.locator(".updatemenu-button").nth(1).click()
    page.wait_for_timeout(300)
    paused_at = chart.evaluate(SLIDER_POSITION)
    page.wait_for_timeout(600)
    assert chart.evaluate(SLIDER_POSITION) == paused_at
    page.js_errors[:] = [error for error in page.js_errors if error != "undefined"]
    assert_page_healthy(page)
