"""Browser fixtures: a live app server and a headless Chromium (Debian's, driven by Playwright).

The theme is the viewer's, not the server's (``.streamlit/config.toml`` defines a light and a dark theme and
Streamlit follows the browser's preference by default): one server serves both; ``page`` is a browser that
prefers light or dark, as the test's ``app_url`` (or ``dark_app_url``) asks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, served_app

THEMES = ("light", "dark")


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """The running app (one server for the session); its base URL."""
    yield from served_app("streamlit-browser.log")


@pytest.fixture(scope="session")
def light_app_url(app_server) -> str:
    """The app, seen by a browser that prefers light: for tests of behaviour, which the theme does not change."""
    return app_server


@pytest.fixture(scope="session")
def dark_app_url(app_server) -> str:
    """The app, seen by a browser that prefers dark (with the ``page`` fixture)."""
    return app_server


@pytest.fixture(params=THEMES)
def app_url(request, app_server) -> str:
    """The app in each theme (the ``page`` fixture prefers the theme of the parameter): for tests of what is shown."""
    return app_server


def viewer_theme(request) -> str:
    """The colour scheme a test's browser prefers: its ``app_url`` parameter, dark with ``dark_app_url``."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("app_url") in THEMES:
        return callspec.params["app_url"]
    return "dark" if "dark_app_url" in request.fixturenames else "light"


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
def page(chromium, request):
    """A fresh browser context per test, preferring the test's theme (:func:`viewer_theme`, on ``page.theme``);
    collected JS errors are on ``page.js_errors``."""
    theme = viewer_theme(request)
    context = chromium.new_context(viewport={"width": 1280, "height": 720}, color_scheme=theme)
    browser_page = context.new_page()
    browser_page.theme = theme
    browser_page.js_errors = []
    browser_page.on("pageerror", lambda error: browser_page.js_errors.append(str(error)))
    yield browser_page
    context.close()
