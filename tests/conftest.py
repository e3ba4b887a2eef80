"""Shared test set-up: float64 everywhere, a live app server and a headless Chromium for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import rhel_viz  # noqa: F401  (enables float64 before any test builds arrays)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(theme: str = "light", log_name: str = "streamlit") -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` on a free loopback port; returns (process, base URL)."""
    port = _free_port()
    log = open(ROOT / ".pytest_cache" / f"{log_name}-{port}.log", "w")  # noqa: SIM115
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--theme.base", theme]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early, see {log.name}")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=1) as response:
                if response.read().strip() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError("streamlit did not answer within 90 s")


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session", params=["light", "dark"])
def app_url(request) -> Iterator[str]:
    """A running app, once per theme."""
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    proc, base = start_app(theme=request.param, log_name=f"streamlit-{request.param}")
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


def wait_for_run(page, timeout_ms: int = 120_000) -> None:
    """Wait until the script has finished and no element is a loading skeleton."""
    from playwright.sync_api import expect

    page.wait_for_timeout(200)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout_ms)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=timeout_ms)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)


def assert_page_healthy(page) -> None:
    """No Streamlit exception, no open dialog, no JS error."""
    exceptions = page.get_by_test_id("stException")
    texts = [exceptions.nth(i).inner_text()[:300] for i in range(exceptions.count())]
    assert not texts, f"exceptions on the page: {texts}"
    assert page.locator('[role="dialog"]').count() == 0, "a dialog is open"
    assert not page.js_errors, f"JS errors: {page.js_errors}"
