"""The app shell and home page in a real browser, in both themes."""

from __future__ import annotations

from tests.browser.colours import app_background, contrast, dominant_pixel, luminance, parse, theme_of
from tests.helpers import assert_page_healthy, wait_for_run

ACCENTS = (".blue-text", ".orange-text", ".teal-text", ".red-text")  # the diagram's coloured labels


def test_home_in_browser(app_url, page):
    """No theme chosen: the viewer's preference. The diagram follows it: in dark a dark panel with light text,
    in light the reverse, its coloured labels readable in both."""
    page.goto(app_url + "/", wait_until="domcontentloaded")
    wait_for_run(page)
    assert_page_healthy(page)
    assert page.get_by_text("learning by echoes").count() >= 1
    assert theme_of(page) == page.theme
    diagram = page.locator("svg.rhel-diagram")
    assert diagram.count() == 1 and diagram.is_visible()
    assert diagram.bounding_box()["width"] > 600  # as wide as the page's column
    panel = dominant_pixel(diagram)
    assert contrast(panel, app_background(page)) < 1.15, panel  # a faint tint of the page, not a card of its own
    assert (luminance(panel) < 0.05) if page.theme == "dark" else (luminance(panel) > 0.8), panel
    ink, _ = parse(diagram.locator("text.ink").first.evaluate("e => getComputedStyle(e).fill"))
    assert contrast(ink, panel) >= 7, (ink, panel)
    for accent in ACCENTS:
        colour, _ = parse(diagram.locator(f"text{accent}").first.evaluate("e => getComputedStyle(e).fill"))
        assert contrast(colour, panel) >= 3, (accent, colour, panel)
