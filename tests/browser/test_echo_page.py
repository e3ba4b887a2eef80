"""The Echo page in a real browser: the animation leads the first screen, plays and pauses."""

from __future__ import annotations

from rhel_viz.plots.echo import FRAME_MS
from tests.helpers import assert_does_not_happen, assert_page_healthy, wait_for_run

# plotly.js keeps the slider's current step in the plot's full layout (the only place it is kept).
SLIDER_POSITION = "element => element.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
# plotly.js's own event when a running animation is cut short (Pause animates to no frames, "immediate").
ON_INTERRUPT = ("element => { window.rhelInterrupted = false; element.querySelector('.js-plotly-plot')"
                ".on('plotly_animationinterrupted', () => { window.rhelInterrupted = true; }); }")
# Every subplot's plot area: plotly.js lays one drag rectangle over each.
PLOT_AREAS = ("element => [...element.querySelectorAll('.nsewdrag')].map(rect => { const box = "
              "rect.getBoundingClientRect(); return {x: box.x, y: box.y, width: box.width, height: box.height}; })")
BESIDE_THE_ANIMATION = ("System", "Step size h", "Nudging ε", "Friction γ")


def _on_first_screen(box: dict | None, viewport: dict) -> bool:
    return (box is not None and box["width"] > 0 and box["height"] > 0 and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"])


def test_echo_animation_leads_the_page_and_plays(app_url, page):
    """At 1280x720, unscrolled, the animation's plot areas, its Play button and the controls beside it are all on
    the first screen (light and dark); then Play advances the animation and Pause stops it."""
    page.goto(app_url + "/echo?steps=50", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    play = chart.locator(".updatemenu-button").first
    play.wait_for(state="visible", timeout=30_000)
    viewport = page.viewport_size
    assert page.evaluate("window.scrollY") == 0
    areas = chart.evaluate(PLOT_AREAS)
    assert len(areas) == 3, areas  # the system, the phase portrait, the positions over time
    assert all(_on_first_screen(area, viewport) for area in areas), areas
    assert _on_first_screen(play.bounding_box(), viewport), play.bounding_box()
    main = page.get_by_test_id("stMain")
    for label in BESIDE_THE_ANIMATION:
        box = main.get_by_test_id("stWidgetLabel").filter(has_text=label).first.bounding_box()
        assert _on_first_screen(box, viewport), (label, box)

    page.wait_for_function(f"element => ({SLIDER_POSITION})(element) === 0", arg=chart.element_handle())
    play.click()
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
