"""Light and dark in a real browser: the viewer's preference by default, Streamlit's menu to switch, a link
that opens dark, and figures legible in both."""

from __future__ import annotations

from tests.browser.colours import app_background, contrast, luminance, over, parse, theme_of
from tests.helpers import assert_page_healthy, wait_for_run

FIGURE_PAGE = "/gradients?steps=50"  # six Plotly figures: titles, legends, ticks, annotations
#: WCAG's contrast floor for large text and for graphics (1.4.11). Streamlit's own Plotly theme draws tick
#: labels and axis titles in its gray70 on light (3.7:1 on white) and gray30 on dark (above 7:1); legends and
#: titles in its strongest text colours. The lab's figures draw ticks, axis titles and legends in
#: style.THEME_TEXT, Streamlit's strongest text colour in either theme (AA, tested below). The lab's
#: annotations in style.NEUTRAL reach 3.05:1 on white and 5.9:1 on dark. A hard-coded dark text on the dark
#: theme (or light on light) is near 1:1.
MIN_CONTRAST = 3.0
#: WCAG 1.4.3 (AA) for normal-size text: what tick labels, axis titles and legends must reach.
AA_TEXT_CONTRAST = 4.5
#: Plotly's tick labels, axis titles (``xtitle``, ``y3title``, ...) and legend entries.
_AXIS_AND_LEGEND_TEXT = ", ".join(f".js-plotly-plot .main-svg {selector}" for selector in (
    ".xtick text", ".ytick text", "text[class^='x'][class$='title']", "text[class^='y'][class$='title']",
    "text.legendtext"))
_PLOTLY_TEXTS = """elements => elements
    .filter(e => e.textContent.trim() && e.getBBox().width > 0)
    .map(e => [e.textContent.trim().slice(0, 40), getComputedStyle(e).fill, getComputedStyle(e).fillOpacity,
               e.getAttribute('class') || e.parentNode.getAttribute('class') || ''])"""
_IS_DARK = """dark => {
    const [r, g, b] = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor
        .match(/[\\d.]+/g).map(Number);
    return (r + g + b < 200) === dark;
}"""


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_for_run(page)


def _choose(page, label: str) -> None:
    """Settings in Streamlit's top-right menu: System, Light or Dark."""
    page.get_by_test_id("stMainMenuButton").click()
    page.get_by_test_id(f"stMainMenuItem-theme-{label}").click()
    page.wait_for_function(_IS_DARK, arg=label == "Dark" or (label == "System" and page.theme == "dark"))


def _diagram_ink(page) -> float:
    colour, _ = parse(page.locator("svg.rhel-diagram text.ink").first.evaluate("e => getComputedStyle(e).fill"))
    return luminance(colour)


def test_menu_switches_the_theme_and_the_browser_remembers(dark_app_url, page):
    """A viewer who prefers dark gets dark; the menu's Light switches at once (the diagram too, no rerun),
    survives a reload, and System goes back to the preference."""
    _open(page, dark_app_url + "/")
    assert theme_of(page) == "dark" and _diagram_ink(page) > 0.6
    _choose(page, "Light")
    assert theme_of(page) == "light" and _diagram_ink(page) < 0.1
    _open(page, dark_app_url + "/")
    assert theme_of(page) == "light"  # remembered by this browser
    _choose(page, "System")
    assert theme_of(page) == "dark" and _diagram_ink(page) > 0.6
    assert_page_healthy(page)


def test_a_link_opens_in_the_theme_it_names(light_app_url, page):
    """``embed_options=dark_theme`` (Streamlit's own link option) wins over a light preference, and the app
    does not report it as an ignored link parameter."""
    _open(page, light_app_url + "/?embed_options=dark_theme")
    assert theme_of(page) == "dark"
    assert page.get_by_text("link parameters were ignored").count() == 0
    assert_page_healthy(page)


def test_plotly_text_contrasts_with_the_background(app_url, page):
    """Every text Plotly draws on the figure page (ticks, axis and figure titles, legends, annotations) stands
    out from the app's background in both themes."""
    _open(page, app_url + FIGURE_PAGE)
    assert theme_of(page) == page.theme
    background = app_background(page)
    texts = page.locator(".js-plotly-plot .main-svg text").evaluate_all(_PLOTLY_TEXTS)
    assert len(texts) > 50, texts
    weak = []
    for label, fill, opacity, cls in texts:
        colour, alpha = parse(fill)
        if alpha * float(opacity) == 0:
            continue  # deliberately invisible (a slider's hidden labels)
        ratio = contrast(over(colour, alpha * float(opacity), background), background)
        if ratio < MIN_CONTRAST:
            weak.append((label, cls, fill, round(ratio, 2)))
    assert not weak, f"{page.theme}: texts too faint on {background}: {weak}"


def _text_kind(cls: str) -> str:
    """"tick", "axis title" or "legend", from the class of a Plotly text (or of its group)."""
    if cls.endswith("tick"):
        return "tick"
    return "legend" if cls == "legendtext" else "axis title"


def test_tick_labels_axis_titles_and_legends_reach_aa_contrast(app_url, page):
    """The computed fill of every tick label, axis title and legend entry, over the app's background, reaches
    WCAG AA's 4.5:1 in both themes, on the figure page and on the Echo page (its animation). Streamlit's own
    Plotly theme draws ticks and axis titles at 3.7:1 on white."""
    for path in (FIGURE_PAGE, "/echo?steps=50"):
        _open(page, app_url + path)
        assert theme_of(page) == page.theme
        background = app_background(page)
        texts = page.locator(_AXIS_AND_LEGEND_TEXT).evaluate_all(_PLOTLY_TEXTS)
        weakest: dict[str, tuple] = {}
        for label, fill, opacity, cls in texts:
            colour, alpha = parse(fill)
            ratio = contrast(over(colour, alpha * float(opacity), background), background)
            kind = _text_kind(cls)
            weakest[kind] = min(weakest.get(kind, (21.0,)), (round(ratio, 2), label, fill))
        assert set(weakest) == {"tick", "axis title", "legend"} and len(texts) > 20, (path, texts)
        assert all(ratio >= AA_TEXT_CONTRAST for ratio, *_ in weakest.values()), (page.theme, path, background,
                                                                                   weakest)
