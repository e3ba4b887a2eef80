"""Start and stop the Streamlit app on loopback, for browser tests and browser benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rhel_viz.ui.shell import RUN_LOG_ENV  # the app appends "url_path seconds" per page run to the file it names
from rhel_viz.ui.warmup import WARMUP_ENV

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "RUN_LOG_ENV", "free_port", "start_app", "stop_app", "wait_for_run"]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(log_path: Path | None = None, timeout_s: float = 90,
              env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` on a free loopback port; returns (process, base URL) once healthy.

    ``env``: extra environment variables for the server (e.g. the load benchmark's run log; the warm-up is off
    unless it sets ``RHEL_VIZ_WARMUP``). The theme is
    the browser's (the viewer's light/dark preference, the menu, or ``?embed_options=dark_theme``), not the
    server's: ``.streamlit/config.toml`` defines both a light and a dark theme.
    """
    port = free_port()
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    # No background warm-up unless asked for (env RHEL_VIZ_WARMUP=on): the tests and benchmarks measure
    # compiling and loading as a visitor meets it, and a warm-up would take the second core meanwhile.
    environment = {**os.environ, **(env or {})}
    environment.setdefault(WARMUP_ENV, "off")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=environment)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early (log: {log_path})")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=1) as response:
                if response.read().strip() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"streamlit did not answer within {timeout_s:.0f} s")


def stop_app(proc: subprocess.Popen) -> None:
    """Terminate the server (kill it if it does not stop within 10 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_for_run(page, timeout_ms: int = 120_000) -> None:
    """Wait until the page's script has finished and no element is a loading skeleton.

    After loading a page: Streamlit's app element says ``data-test-script-state="initial"`` until its first
    run starts, so "notRunning" means a run has finished. After an action (a click, a key) the state may
    still be the previous run's "notRunning" for a moment: wait first for something the action changes.
    """
    from playwright.sync_api import expect

    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout_ms)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=timeout_ms)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
