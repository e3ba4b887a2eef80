"""The Echo page in a real browser: the animation plays and pauses."""

from __future__ import annotations

from rhel_viz.plots.echo import FRAME_MS
from tests.helpers import assert_does_not_happen, assert_page_healthy, wait_for_run

# plotly.js keeps the slider's current step in the plot's full layout (the only place it is kept).
SLIDER_POSITION = "element => element.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
# plotly.js's own event when a running animation is cut short (Pause animates to no frames, "immediate").
ON_INTERRUPT = ("element => { window.rhelInterrupted = false; element.querySelector('.js-plotly-plot')"
                ".on('plotly_animationinterrupted', () => { window.rhelInterrupted = true; }); }")


def test_echo_animation_plays_in_browser(light_app_url, page):
    page.goto(light_app_url + "/echo?steps=50", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.locator(".updatemenu-button").first.wait_for(state="visible", timeout=30_000)
    page.wait_for_function(f"element => ({SLIDER_POSITION})(element) === 0", arg=chart.element_handle())
    chart.locator(".updatemenu-button").first.click()  # Play
    page.wait_for_function(f"element => ({SLIDER_POSITION})(element) > 0", arg=chart.element_handle(),
                           timeout=30_000)  # the animation advanced
    assert_page_healthy(page)
    # Pause interrupts the running Plotly.animate, whose promise plotly.js rejects on purpose with no
    # reason (an "Uncaught (in promise) undefined" in the console, cf. plotly.js #2438): harmless.
    chart.evaluate(ON_INTERRUPT)
    chart.locator(".updatemenu-button").nth(1).click()
    page.wait_for_function("() => window.rhelInterrupted", timeout=10_000)
    paused_at = chart.evaluate(SLIDER_POSITION)
    assert_does_not_happen(page, f"element => ({SLIDER_POSITION})(element) !== {paused_at}",
                           chart.element_handle(), within_ms=15 * FRAME_MS,
                           message="the animation moved on after Pause")
    page.js_errors[:] = [error for error in page.js_errors if error != "undefined"]
    assert_page_healthy(page)
