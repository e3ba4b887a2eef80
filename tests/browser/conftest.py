"""Browser fixtures: a live app server per theme and a headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from benchmarks.appserver import start_app, stop_app
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT


def _serve(theme: str) -> Iterator[str]:
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    proc, base = start_app(theme=theme, log_path=ROOT / ".pytest_cache" / f"streamlit-{theme}.log")
    try:
        yield base
    finally:
        stop_app(proc)


@pytest.fixture(scope="session")
def light_app_url() -> Iterator[str]:
    """The running app in the light theme: for tests of behaviour, which the theme does not change."""
    yield from _serve("light")


@pytest.fixture(scope="session")
def dark_app_url() -> Iterator[str]:
    yield from _serve("dark")


@pytest.fixture(params=["light", "dark"])
def app_url(request) -> str:
    """The running app in each theme (one server per theme for the session): for tests of what is shown."""
    return request.getfixturevalue(f"{request.param}_app_url")


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
