"""The background warm-up in a real server (its own, started with the warm-up on and an empty compilation
cache): Home shows its progress, and a page opened before the warm-up reached its setting works and says
"preparing" while that setting compiles."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest

from rhel_viz.lab.compile_cache import CACHE_ENV
from rhel_viz.ui.warmup import WARMUP_ENV
from tests.helpers import assert_page_healthy, served_app, wait_for_run

#: The Echo page's last combination of the controls that select a program (rhel_viz.ui.params.STATIC_CONTROLS):
#: the warm-up reaches it after the four default views and the 17 other Echo programs (over a minute), while
#: the test opens it seconds after the server started.
LATE_VIEW = "/echo?system=nonlinear&dtype=float64&integrator=rk4"
#: Collects every text shown on the page while it loads (a spinner may come and go between two polls).
RECORD_TEXTS = """() => { window.seenTexts = [];
  new MutationObserver(() => window.seenTexts.push(document.body.innerText.slice(0, 4000)))
    .observe(document.body, {childList: true, subtree: true, characterData: true}); }"""


@pytest.fixture(scope="module")
def warming_app() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="rhel-viz-warmup-cache-") as cache:
        yield from served_app("streamlit-warmup.log", env={WARMUP_ENV: "on", CACHE_ENV: cache})


def test_home_shows_the_warm_ups_progress(warming_app, page):
    page.goto(warming_app + "/", wait_until="domcontentloaded")
    wait_for_run(page)
    bar = page.get_by_test_id("stProgress")
    bar.wait_for(state="visible", timeout=30_000)
    assert "Preparing every setting in the background" in bar.inner_text()
    assert_page_healthy(page)


def test_a_page_the_warm_up_has_not_reached_says_preparing_and_works(warming_app, page):
    page.add_init_script(f"document.addEventListener('DOMContentLoaded', {RECORD_TEXTS})")
    page.goto(warming_app + LATE_VIEW, wait_until="domcontentloaded")
    wait_for_run(page, timeout_ms=180_000)
    seen = page.evaluate("() => window.seenTexts.join('\\n')")
    assert "Preparing this setting: compiling it for the first time" in seen
    assert page.get_by_role("heading", name="The echo: run forward, flip, retrace").is_visible()
    assert page.locator(".st-key-echo_animation [data-testid='stPlotlyChart']").is_visible()
    assert_page_healthy(page)
