"""Shared test set-up: float64 everywhere, a live app server and a headless Chromium for browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import rhel_viz  # noqa: F401  (enables float64 before any test builds arrays)
from rhel_viz.appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, start_app, stop_app, wait_for_run  # noqa: F401


@pytest.fixture(scope="session", params=["light", "dark"])
def app_url(request) -> Iterator[str]:
    """A running app, once per theme."""
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    proc, base = start_app(theme=request.param, log_path=ROOT / ".pytest_cache" / f"streamlit-{request.param}.log")
    yield base
    stop_app(proc)


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail("browser tests need Debian's Chromium at /usr/bin/chromium (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context per test; collected JS errors are on ``page.js_errors``."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    browser_page = context.new_page()
    browser_page.js_errors = []
    browser_page.on("pageerror", lambda error: browser_page.js_errors.append(str(error)))
    yield browser_page
    context.close()


def assert_page_healthy(page) -> None:
    """No Streamlit exception, no open dialog, no JS error."""
    exceptions = page.get_by_test_id("stException")
    texts = [exceptions.nth(i).inner_text()[:300] for i in range(exceptions.count())]
    assert not texts, f"exceptions on the page: {texts}"
    assert page.locator('[role="dialog"]').count() == 0, "a dialog is open"
    assert not page.js_errors, f"JS errors: {page.js_errors}"
