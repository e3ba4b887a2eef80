"""Browser fixtures: a live app server per theme and a headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from benchmarks.appserver import start_app, stop_app
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT


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
