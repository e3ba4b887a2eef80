"""Lecture mode in a real browser: every page and every preset link, in light and dark, at 1280x720."""

from __future__ import annotations

from playwright.sync_api import expect

from rhel_viz.lab.presets import load_presets
from tests.helpers import assert_page_healthy, wait_for_run

CHARTS = {"": 0, "echo": 4, "gradients": 6, "training": 1, "deep": 3}  # training: its task before Play
PAGES = ["/", "/echo?steps=50", "/gradients?steps=50", "/training", "/deep"]
IGNORED_NOTE = "link parameters were ignored"
PRESETS = list(load_presets().values())


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_for_run(page)


def test_every_page_and_preset_renders(app_url, page):
    """Short-name preset links included: each shows its figures, no exception, no note, no JS error."""
    for path in PAGES + [preset.url() for preset in PRESETS]:
        _open(page, app_url + path)
        assert_page_healthy(page)
        assert page.get_by_text(IGNORED_NOTE).count() == 0, path
        expected = CHARTS[path.split("?")[0].strip("/")]
        assert page.get_by_test_id("stPlotlyChart").count() == expected, path


def _controls(page) -> list[str]:
    """The value of every input (selectboxes, number inputs) and every slider's value, in the sidebar and in the
    main area (the Echo page puts its main controls beside the animation)."""
    controls = page.locator("[data-testid='stSidebar'], [data-testid='stMain']")
    inputs = controls.locator("input").evaluate_all("elements => elements.map(element => element.value)")
    sliders = controls.get_by_role("slider").evaluate_all(
        "elements => elements.map(element => element.getAttribute('aria-valuetext') || "
        "element.getAttribute('aria-valuenow'))")
    return inputs + sliders


def _numbers(page) -> list[str]:
    values = page.get_by_test_id("stMetricValue")
    return [values.nth(i).inner_text() for i in range(values.count())]


def test_copied_link_reproduces_the_view(light_app_url, page, chromium):
    _open(page, light_app_url + "/echo?steps=50&system=linear")
    link_box = page.get_by_test_id("stSidebar").get_by_test_id("stCode")  # drawn at the end of each run
    seed = page.get_by_test_id("stSidebar").get_by_label("Seed", exact=True)
    seed.fill("7")
    seed.press("Enter")
    expect(link_box).to_contain_text("seed=7", timeout=120_000)
    wait_for_run(page)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Loss").click()
    page.get_by_role("option", name="final").click()
    expect(link_box).to_contain_text("loss=final", timeout=120_000)  # a new compile
    wait_for_run(page)
    before, numbers = _controls(page), _numbers(page)
    assert {"7", "final", "Linear HRU"} <= set(before), before
    link = link_box.inner_text().strip()
    assert "seed=7" in link and "loss=final" in link and "system=Linear+HRU" in link
    fresh = chromium.new_context(viewport={"width": 1280, "height": 720}).new_page()
    fresh.js_errors = []
    fresh.on("pageerror", lambda error: fresh.js_errors.append(str(error)))
    try:
        _open(fresh, link)
        assert_page_healthy(fresh)
        assert _controls(fresh) == before
        assert _numbers(fresh) == numbers
    finally:
        fresh.context.close()


def test_malformed_link_values_give_a_note_not_a_traceback(light_app_url, page):
    _open(page, light_app_url + "/gradients?steps=50&system=bogus&h=abc&break_friction=maybe&colour=red&hide=nothing")
    assert_page_healthy(page)
    note = page.get_by_test_id("stAlert").filter(has_text=IGNORED_NOTE)
    assert note.count() == 1
    for key, value in (("system", "bogus"), ("h", "abc"), ("break_friction", "maybe"), ("colour", "red"),
                       ("hide", "nothing")):
        assert f"{key} = {value}" in note.inner_text()  # each as typed, in its own code span
    assert page.get_by_test_id("stPlotlyChart").count() == CHARTS["gradients"]


def test_export_buttons_download_valid_files(light_app_url, page):
    _open(page, light_app_url + "/echo?steps=50")
    files = {}
    for fmt in ("CSV", "PNG", "HTML"):
        page.get_by_test_id("stPopover").first.get_by_role("button").first.click()
        with page.expect_download(timeout=90_000) as download:
            page.get_by_role("button", name=fmt, exact=True).click()
        files[fmt] = open(download.value.path(), "rb").read()  # noqa: SIM115
        page.keyboard.press("Escape")
    assert files["CSV"].startswith(b"trace,panel,point,x,y")
    assert files["PNG"].startswith(b"\x89PNG\r\n\x1a\n") and len(files["PNG"]) > 10_000
    assert b'"traces":' in files["HTML"] and len(files["HTML"]) > 1_000_000
    assert_page_healthy(page)


def test_presentation_mode_hides_controls_and_enlarges_text(app_url, page):
    _open(page, app_url + "/echo?steps=50&present=1&hide=controls")
    # On a fresh server the first visit to a page URL runs twice (shell.require_app_shell), and the first run's
    # end can pass for the page's: wait for the figures before looking at the page.
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(CHARTS["echo"], timeout=120_000)
    assert_page_healthy(page)
    assert not page.get_by_test_id("stSidebar").is_visible()
    assert not page.get_by_test_id("stMain").get_by_text("Nudging ε").is_visible()  # beside the animation: hidden too
    assert page.get_by_test_id("stPopover").count() == 0  # no export buttons on a projector
    size = page.locator("h1").first.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")
    assert size >= 40
    assert page.get_by_test_id("stPlotlyChart").count() == CHARTS["echo"]
