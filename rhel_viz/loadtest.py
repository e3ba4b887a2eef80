"""Load benchmark: a classroom of concurrent browser sessions against one app server on loopback.

Every session opens the default views (home, echo, gradient lab) and runs a few training updates,
in headless Chromium (one browser, one context per session, so sessions share nothing). We report
the time each page took to finish (p50, p95, max, overall and per page), errors seen on the pages,
and the server's memory: at rest before, at its peak (VmHWM) and after the sessions closed.

On a small machine the browsers compete with the server for the same cores, so a page time is an
upper bound on what a student with their own laptop would see. To tell the two apart we also report
the server's own CPU time during the classroom (from ``/proc/<pid>/stat``) against the wall time and
the number of cores, the load average before the run (other work on the machine), and the server-side
time of every full script run (page loads and the training clicks), logged by the app itself
(``RHEL_VIZ_RUN_LOG``), which excludes the browsers' rendering and queueing in Chromium. The run is
bounded in time (``DEADLINE_S``) and only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rhel_viz.appserver import CHROMIUM, CHROMIUM_ARGS, RUN_LOG_ENV, start_app, stop_app

PAGES = ("/", "/echo", "/gradients", "/training")
TIMEOUT_MS = 120_000
#: Sessions arrive spread over this many seconds (a classroom opening the link), not in the same millisecond:
#: with every context navigating at once, 30 Chromium renderers on 2 cores missed even the first page load.
RAMP_S = 15.0
DEADLINE_S = 900  # the whole classroom must finish within this; sessions still running are reported as errors


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its reaped children) from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int) -> dict[str, float]:
    """Resident (VmRSS) and peak resident (VmHWM) memory of a process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


async def _finished(page) -> None:
    """Same idiom as the browser tests: connected, script not running, no skeletons."""
    await page.wait_for_timeout(200)
    await page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=TIMEOUT_MS)
    await page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=TIMEOUT_MS)


async def _session(browser, base: str, index: int, timings: list[tuple[str, float]], errors: list[str],
                   delay_s: float = 0.0) -> None:
    await asyncio.sleep(delay_s)
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(f"session {index}: js error {error}"))
    try:
        for path in PAGES:
            start = time.perf_counter()
            await page.goto(base + path, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
            await _finished(page)
            if path == "/training":
                for _ in range(3):
                    await page.locator(".st-key-train_step button").click(timeout=TIMEOUT_MS)
                    await _finished(page)
            timings.append((path, time.perf_counter() - start))
            exceptions = await page.get_by_test_id("stException").count()
            if exceptions:
                errors.append(f"session {index}: {exceptions} exception(s) on {path}")
    except Exception as error:  # a timeout or a crash is a result to report, not a traceback
        errors.append(f"session {index}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await context.close()


async def _classroom(base: str, sessions: int, timings: list[tuple[str, float]], errors: list[str]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        runs = asyncio.gather(*(_session(browser, base, index, timings, errors, RAMP_S * index / sessions)
                                for index in range(sessions)))
        try:
            await asyncio.wait_for(runs, timeout=DEADLINE_S)
        except TimeoutError:
            errors.append(f"classroom deadline of {DEADLINE_S} s reached: {sessions * len(PAGES) - len(timings)} "
                          "page(s) unfinished")
        await browser.close()


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [float("nan")]
    return {"p50_s": statistics.median(ordered), "p95_s": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "max_s": ordered[-1]}


#: Streamlit keeps a disconnected session (and its training state) for ``server.disconnectedSessionTTL``
#: (120 s by default) before dropping it: memory "after close" is read once shortly after and once past it.
SESSION_TTL_S = 120.0


def run_load(sessions: int = 30, settle_s: float = SESSION_TTL_S + 15.0) -> dict[str, Any]:
    """Start the app, warm it with one session, then run ``sessions`` at once; returns the figures."""
    run_log = Path(tempfile.mkstemp(prefix="rhel-viz-runs-", suffix=".log")[1])
    proc, base = start_app(env={RUN_LOG_ENV: str(run_log)})
    try:
        warm_timings: list[tuple[str, float]] = []
        asyncio.run(_classroom(base, 1, warm_timings, []))  # compiles once, as a lecturer's rehearsal would
        time.sleep(2.0)
        baseline = _memory_mb(proc.pid)["VmRSS"]
        load_before = os.getloadavg()[0]
        run_log.write_text("")  # server-side run times of the classroom only
        timings: list[tuple[str, float]] = []
        errors: list[str] = []
        cpu_start, start = _cpu_seconds(proc.pid), time.perf_counter()
        asyncio.run(_classroom(base, sessions, timings, errors))
        wall = time.perf_counter() - start
        server_cpu = _cpu_seconds(proc.pid) - cpu_start
        runs = [line.split() for line in run_log.read_text().splitlines() if line.strip()]
        peak = _memory_mb(proc.pid)["VmHWM"]
        time.sleep(min(20.0, settle_s))
        after_20s = _memory_mb(proc.pid)["VmRSS"]
        time.sleep(max(0.0, settle_s - 20.0))  # closed sessions are dropped by the server after its TTL
        after = _memory_mb(proc.pid)["VmRSS"]
    finally:
        stop_app(proc)
        run_log.unlink(missing_ok=True)
    overall = _quantiles([seconds for _, seconds in timings])
    per_page = {f"{path}_{key}": value for path in PAGES
                for key, value in _quantiles([s for p, s in timings if p == path]).items() if key != "max_s"}
    return {
        "sessions": sessions,
        "pages_per_session": len(PAGES),
        "pages_finished": len(timings),
        "page_p50_s": overall["p50_s"],
        "page_p95_s": overall["p95_s"],
        "page_max_s": overall["max_s"],
        **per_page,
        **{f"server_run_{key}": value for key, value in _quantiles([float(s) for _, s in runs]).items()},
        **{f"server_run{path}_p95_s": _quantiles([float(s) for p, s in runs if p == path])["p95_s"]
           for path in ("/", "/echo", "/gradients", "/training")},
        "server_runs": len(runs),
        "wall_s": wall,
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "server_cpu_s": server_cpu,
        "server_cpu_share_of_machine": server_cpu / (wall * (os.cpu_count() or 1)),
        "errors": len(errors),
        "first_errors": errors[:5],
        "server_rss_baseline_mb": baseline,
        "server_rss_peak_mb": peak,
        "server_rss_20s_after_close_mb": after_20s,
        "server_rss_after_close_mb": after,
        "settle_s": settle_s,
        "warm_up_pages_s": [round(value, 2) for _, value in warm_timings],
    }
