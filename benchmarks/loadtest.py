"""Load benchmark: a classroom of concurrent sessions against one app server on loopback.

Every session opens the default views (home, echo, gradient lab, training playground), runs
three training updates (the "Step one update" button), then presses Play, lets the live view train
for ``PLAY_S`` seconds and presses Pause. Two kinds of client:

- ``websocket`` (default, ``bench load``): :mod:`benchmarks.wsclient`, which downloads the frontend's
  static files like a browser's first visit and then speaks Streamlit's websocket protocol. It
  does the server's share of a browser session without rendering, so 30 of them on a 2-core machine
  measure the server, as a classroom of students on their own laptops would see it.
- ``browser`` (``bench load-browser``): headless Chromium, one context per session, opening the
  home link and then the other pages from the sidebar (no page reload). On this
  machine the 30 renderers take most of the CPU, so its page times are an upper bound dominated
  by Chromium, not by the app.

The clients run in a child process at the lowest CPU priority (nice 19), like students' laptops
that do not take CPU from the server (Chromium resets its own priorities). We report the time each
page took to finish (p50, p95, max, overall and per page) and per training update, errors seen on
the pages, and the server's memory: at rest before, at its peak (VmHWM) and after the sessions
closed (20 s after, and again past Streamlit's disconnected-session TTL).
The server's CPU time, the load average before the run and the server-side time of every page
script (``RHEL_VIZ_RUN_LOG``) tell the app's own cost apart from the clients'. The run is bounded
in time (``DEADLINE_S``) and only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from benchmarks.appserver import CHROMIUM, CHROMIUM_ARGS, RUN_LOG_ENV, start_app, stop_app

PAGES = ("/", "/echo", "/gradients", "/training")
STEP = "/training step"  # one training update (a button click and the rerun it causes)
TICK = "/training tick"  # one timer run of the live view while training plays
TRAINING_UPDATES = 3
PLAY_S = 5.0  # then Play for this long, and Pause
TIMEOUT_MS = 120_000
#: Sessions arrive spread over this many seconds (a classroom opening the link), not in the same millisecond.
RAMP_S = 15.0
DEADLINE_S = 900  # the whole classroom must finish within this; sessions still running are reported as errors
#: Streamlit keeps a disconnected session (and its training state) for ``server.disconnectedSessionTTL``
#: (120 s by default) before dropping it: memory "after close" is read once shortly after and once past it.
SESSION_TTL_S = 120.0

Timings = list[tuple[str, float]]


@dataclass
class Results:
    """What the clients saw: (page or action, seconds), errors, and updates each session's Play made."""

    timings: Timings = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    play_updates: list[int] = field(default_factory=list)
    clients_cpu_s: float = 0.0


Session = Callable[[Any, str, int, Results], Awaitable[None]]


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


def _reset_peak(pid: int) -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs), so the peak is the classroom's."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


# ----------------------------------------------------------------------------------------------
# websocket clients


async def _websocket_session(_: Any, base: str, index: int, results: Results) -> None:
    from benchmarks.wsclient import StreamlitSession, fetch_frontend

    errors = results.errors
    try:
        start = time.perf_counter()
        await fetch_frontend(base, PAGES[0])  # what a browser downloads before it opens the websocket
        async with StreamlitSession(base) as session:
            for path in PAGES:
                run = await session.open_page(path.strip("/"))
                results.timings.append((path, time.perf_counter() - start))
                _record_exceptions(run.exceptions, index, path, errors)
                if path == "/training":
                    for _ in range(TRAINING_UPDATES):
                        run = await session.click(run, "train_step", "training")
                        results.timings.append((STEP, run.seconds))
                        _record_exceptions(run.exceptions, index, STEP, errors)
                    run, ticks = await session.play(run, "train_play", "train_pause", "training", PLAY_S)
                    results.timings.extend((TICK, seconds) for seconds in ticks)
                    _record_exceptions(run.exceptions, index, TICK, errors)
                    results.play_updates.append(int(run.metrics["Updates"]) - TRAINING_UPDATES)
                start = time.perf_counter()
    except Exception as error:  # a timeout or a crash is a result to report, not a traceback
        errors.append(f"session {index}: {type(error).__name__}: {str(error)[:200]}")


def _record_exceptions(exceptions: list[str], index: int, path: str, errors: list[str]) -> None:
    errors.extend(f"session {index}: exception on {path}: {message}" for message in exceptions)


# ----------------------------------------------------------------------------------------------
# browser clients


async def _finished(page) -> None:
    """Same idiom as the browser tests: connected, script not running."""
    await page.wait_for_timeout(200)
    await page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=TIMEOUT_MS)
    await page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=TIMEOUT_MS)


async def _browser_session(browser: Any, base: str, index: int, results: Results) -> None:
    timings, errors = results.timings, results.errors
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(f"session {index}: js error {error}"))
    try:
        for path in PAGES:
            start = time.perf_counter()
            if path == PAGES[0]:  # the link the lecturer shared; then the sidebar, as a student clicks through
                await page.goto(base + path, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
            else:
                await page.locator(f"[data-testid='stSidebarNav'] a[href$='{path}']").click(timeout=TIMEOUT_MS)
                await page.wait_for_url(f"**{path}*", timeout=TIMEOUT_MS)
            await _finished(page)
            timings.append((path, time.perf_counter() - start))
            if path == "/training":
                for _ in range(TRAINING_UPDATES):
                    start = time.perf_counter()
                    await page.locator(".st-key-train_step button").click(timeout=TIMEOUT_MS)
                    await _finished(page)
                    timings.append((STEP, time.perf_counter() - start))
                await page.locator(".st-key-train_play button").click(timeout=TIMEOUT_MS)
                await page.wait_for_timeout(1000 * PLAY_S)
                await page.locator(".st-key-train_pause button").click(timeout=TIMEOUT_MS)
                await _finished(page)
                updates = page.get_by_test_id("stMetric").filter(has_text="Updates").get_by_test_id("stMetricValue")
                results.play_updates.append(int(await updates.inner_text(timeout=TIMEOUT_MS)) - TRAINING_UPDATES)
            exceptions = await page.get_by_test_id("stException").count()
            if exceptions:
                errors.append(f"session {index}: {exceptions} exception(s) on {path}")
    except Exception as error:  # a timeout or a crash is a result to report, not a traceback
        errors.append(f"session {index}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await context.close()


# ----------------------------------------------------------------------------------------------
# the classroom


async def _staggered(session: Session, handle: Any, base: str, index: int, results: Results,
                     delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    await session(handle, base, index, results)


async def _classroom(client: str, base: str, sessions: int, results: Results, ramp_s: float) -> None:
    async def run_all(session: Session, handle: Any) -> None:
        runs = asyncio.gather(*(_staggered(session, handle, base, index, results, ramp_s * index / sessions)
                                for index in range(sessions)))
        try:
            await asyncio.wait_for(runs, timeout=DEADLINE_S)
        except TimeoutError:
            finished = sum(1 for path, _ in results.timings if path in PAGES)
            results.errors.append(f"classroom deadline of {DEADLINE_S} s reached: {sessions * len(PAGES) - finished} "
                          "page(s) unfinished")

    if client == "websocket":
        # Static files are fetched in threads: give every session about as many as a browser opens
        # connections per host (6), so the clients' own queue does not count as the server's time.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(6 * sessions, 128)) as pool:
            asyncio.get_running_loop().set_default_executor(pool)
            await run_all(_websocket_session, None)
        return
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        await run_all(_browser_session, browser)
        await browser.close()


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [float("nan")]
    return {"p50_s": statistics.median(ordered), "p95_s": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "max_s": ordered[-1]}


CLIENTS = ("websocket", "browser")


#: The clients run in a child process at the lowest CPU priority, as if on the students' own laptops.
#: That holds for the websocket clients. Chromium sets its own process priorities (its browser and GPU
#: processes at -8 when allowed, renderers at 0 or 5), so in browser mode the server still shares the
#: two cores with thirty renderers; the server-side run times show what that costs the app.
CLIENT_NICE = 19


def _lower_priority() -> None:
    os.nice(CLIENT_NICE)


def _clients_process() -> ProcessPoolExecutor:
    """A fresh process for the clients (its own event loop, even when the caller runs one), at low priority."""
    return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_lower_priority)


def _run_classroom(client: str, base: str, sessions: int, ramp_s: float) -> Results:
    """One classroom, in the clients' process."""
    results = Results()
    cpu_start = time.process_time()
    asyncio.run(_classroom(client, base, sessions, results, ramp_s))
    results.clients_cpu_s = time.process_time() - cpu_start
    return results


@dataclass
class ServerMeasure:
    """What the server did during one classroom: wall and CPU time, memory, its own run log."""

    wall: float = 0.0
    server_cpu: float = 0.0
    load_before: float = 0.0
    baseline: float = 0.0
    peak: float = 0.0
    after_20s: float = 0.0
    after: float = 0.0
    runs: list[list[str]] = field(default_factory=list)


def run_load(sessions: int = 30, client: str = "websocket", ramp_s: float = RAMP_S,
             settle_s: float = SESSION_TTL_S + 15.0) -> dict[str, Any]:
    """Start the app, warm it with one session, then run ``sessions`` at once; returns the figures."""
    if client not in CLIENTS:
        raise ValueError(f"client must be one of {CLIENTS}, got {client!r}")
    run_log = Path(tempfile.mkstemp(prefix="rhel-viz-runs-", suffix=".log")[1])
    proc, base = start_app(env={RUN_LOG_ENV: str(run_log)})
    clients = _clients_process()
    measure = ServerMeasure()
    try:
        # One session first: compiles once, as a lecturer's rehearsal would.
        warm_up = clients.submit(_run_classroom, client, base, 1, 0.0).result()
        time.sleep(2.0)
        measure.baseline = _memory_mb(proc.pid)["VmRSS"]
        _reset_peak(proc.pid)
        measure.load_before = os.getloadavg()[0]
        run_log.write_text("")  # server-side run times of the classroom only
        cpu_start, start = _cpu_seconds(proc.pid), time.perf_counter()
        results = clients.submit(_run_classroom, client, base, sessions, ramp_s).result()
        measure.wall = time.perf_counter() - start
        measure.server_cpu = _cpu_seconds(proc.pid) - cpu_start
        measure.runs = [line.split() for line in run_log.read_text().splitlines() if line.strip()]
        measure.peak = _memory_mb(proc.pid)["VmHWM"]
        time.sleep(min(20.0, settle_s))
        measure.after_20s = _memory_mb(proc.pid)["VmRSS"]
        time.sleep(max(0.0, settle_s - 20.0))  # closed sessions are dropped by the server after its TTL
        measure.after = _memory_mb(proc.pid)["VmRSS"]
    finally:
        clients.shutdown(cancel_futures=True)
        stop_app(proc)
        run_log.unlink(missing_ok=True)
    return {"client": client, "sessions": sessions, "arrivals_over_s": ramp_s,
            **_page_figures(results), **_server_figures(measure, sessions), **_client_figures(results),
            "settle_s": settle_s,
            "warm_up_s": [f"{path} {value:.2f}" for path, value in warm_up.timings if path != TICK],
            "warm_up_errors": warm_up.errors[:3]}


def _page_figures(results: Results) -> dict[str, Any]:
    """Time to a finished page, overall and per page, as the clients measured it."""
    timings = results.timings
    page_times = [seconds for path, seconds in timings if path in PAGES]
    overall = _quantiles(page_times)
    per_page = {f"{path}_{key}": value for path in (*PAGES, STEP, TICK)
                for key, value in _quantiles([s for p, s in timings if p == path]).items() if key != "max_s"}
    played = sorted(results.play_updates) or [0]
    return {
        "pages_per_session": len(PAGES),
        "pages_finished": len(page_times),
        "page_p50_s": overall["p50_s"],
        "page_p95_s": overall["p95_s"],
        "page_max_s": overall["max_s"],
        "page_p95_target_s": 10.0,
        "page_p95_within_target": overall["p95_s"] < 10.0,
        **per_page,
        "play_s": PLAY_S,
        "play_updates_per_session_min": played[0],
        "play_updates_per_session_median": statistics.median(played),
    }


def _server_figures(measure: ServerMeasure, sessions: int) -> dict[str, Any]:
    """The server's run and wait times (its own log), CPU share and memory."""
    runs, wall, server_cpu = measure.runs, measure.wall, measure.server_cpu
    return {
        **{f"server_run_{key}": value for key, value in _quantiles([float(run[1]) for run in runs]).items()},
        **{f"server_wait_for_slot_{key}": value
           for key, value in _quantiles([float(run[2]) for run in runs if len(run) > 2]).items()},
        "server_runs": len(runs),
        "wall_s": wall,
        "cores": os.cpu_count(),
        "load_average_before": measure.load_before,
        "server_cpu_s": server_cpu,
        "server_cpu_s_per_session": server_cpu / sessions,
        "server_cpu_share_of_machine": server_cpu / (wall * (os.cpu_count() or 1)),
        "server_rss_baseline_mb": measure.baseline,
        "server_rss_peak_mb": measure.peak,
        "server_rss_20s_after_close_mb": measure.after_20s,
        "server_rss_after_close_mb": measure.after,
        "server_rss_after_close_over_baseline": measure.after / measure.baseline,
    }


def _client_figures(results: Results) -> dict[str, Any]:
    return {
        "clients_cpu_s": results.clients_cpu_s,  # the clients' process (Chromium's own processes not included)
        "clients_nice": CLIENT_NICE,
        "errors": len(results.errors),
        "first_errors": results.errors[:5],
    }


# ----------------------------------------------------------------------------------------------
# soak: every view a visitor can compile, to show the memory ceiling


#: The stated ceiling of the server's resident memory, whatever visitors do (``rhel_viz.lab.memory`` releases
#: compiled programs above RELEASE_AT_MB, below this; results and figures are bounded caches).
SOAK_CEILING_MB = 1500.0
#: The default soak: every Echo view, and this many of the other pages' views (seeded sample). ``--all``
#: visits every view (about two hours of compiling on two cores).
SOAK_SAMPLE = {"gradients": 24, "training": 16, "deep": 6}


def soak_views(all_views: bool = False, seed: int = 0) -> list[tuple[str, dict[str, str]]]:
    """(page, query) of the views the soak opens, in a shuffled order: every combination of the controls that
    select compiled programs (:func:`rhel_viz.ui.params.static_views`), or every Echo view and a sample of
    the others; each with a new seed, so results are never cached."""
    import random
    from types import MappingProxyType

    from rhel_viz.lab.presets import Preset
    from rhel_viz.ui import params, urlstate

    views = list(params.static_views())
    rng = random.Random(seed)
    if not all_views:
        chosen = [view for view in views if view[0] == "echo"]
        for page, count in SOAK_SAMPLE.items():
            of_page = [view for view in views if view[0] == page]
            chosen += rng.sample(of_page, min(count, len(of_page)))
        views = chosen
    rng.shuffle(views)
    seed_key = {"echo": "seed", "gradients": "seed", "training": "train_seed"}
    queries = []
    for number, (page, values) in enumerate(views):
        values = {**values, seed_key[page]: number} if page in seed_key else dict(values)
        query = urlstate.preset_query(Preset("soak", page, "", MappingProxyType(values)))
        queries.append((page, query))
    return queries


async def _soak_visits(base: str, views: list[tuple[str, dict[str, str]]], pid: int
                       ) -> tuple[list[float], list[str]]:
    from urllib.parse import urlencode

    from benchmarks.wsclient import StreamlitSession

    rss: list[float] = []
    errors: list[str] = []
    for number, (page, query) in enumerate(views):
        query_string = urlencode(query)
        try:
            async with StreamlitSession(base) as session:
                run = await session.open_page(page, query_string)
                _record_exceptions(run.exceptions, number, f"/{page}?{query_string}", errors)
                if page == "training":  # the update's program compiles on the first step
                    run = await session.click(run, "train_step", "training")
                    _record_exceptions(run.exceptions, number, f"/{page} step", errors)
        except Exception as error:  # reported, not raised
            errors.append(f"view {number} /{page}?{query_string}: {type(error).__name__}: {str(error)[:200]}")
        rss.append(_memory_mb(pid)["VmRSS"])
    return rss, errors


def _run_soak_visits(base: str, views: list[tuple[str, dict[str, str]]], pid: int) -> tuple[list[float], list[str]]:
    return asyncio.run(_soak_visits(base, views, pid))


def run_soak(all_views: bool = False, seed: int = 0, views: list[tuple[str, dict[str, str]]] | None = None,
             fresh_cache: bool = True) -> dict[str, Any]:
    """One visitor after another, each on a view that compiles programs nobody compiled before.

    The server starts with an empty compilation cache (its own temporary folder; ``fresh_cache`` False: the
    caller's), so every first view of a combination compiles. We read the server's RSS after every view and
    report its peak, the level it settles at, and how much the last quarter of the visits added over the
    highest level before them.
    """
    from rhel_viz.ui import params

    views = soak_views(all_views, seed) if views is None else views
    reachable = params.reachable_programs()
    env = {"JAX_COMPILATION_CACHE_DIR": tempfile.mkdtemp(prefix="rhel-viz-soak-jax-")} if fresh_cache else None
    proc, base = start_app(env=env)
    clients = _clients_process()
    try:
        baseline = _memory_mb(proc.pid)["VmRSS"]
        start = time.perf_counter()
        rss, errors = clients.submit(_run_soak_visits, base, views, proc.pid).result()
        wall = time.perf_counter() - start
        peak = _memory_mb(proc.pid)["VmHWM"]
    finally:
        clients.shutdown(cancel_futures=True)
        stop_app(proc)
    quarter = max(1, len(rss) // 4)
    before_last, last = max(rss[:-quarter], default=float("nan")), max(rss[-quarter:], default=float("nan"))
    pages = sorted({page for page, _ in views})
    return {
        "views": len(views),
        "views_per_page": {page: sum(1 for p, _ in views if p == page) for page in pages},
        "reachable_programs_per_page": {page: len(programs) for page, programs in reachable.items()},
        "reachable_programs": sum(len(programs) for programs in reachable.values()),
        "seconds_per_view": wall / max(1, len(views)),
        "errors": len(errors),
        "first_errors": errors[:5],
        "server_rss_start_mb": baseline,
        "server_rss_peak_mb": peak,
        "ceiling_mb": SOAK_CEILING_MB,
        "peak_below_ceiling": peak < SOAK_CEILING_MB,
        "server_rss_mb_every_10_views": [f"{number + 1}: {value:.0f}" for number, value in enumerate(rss)
                                         if (number + 1) % 10 == 0 or number + 1 == len(rss)],
        "max_rss_first_75pct_mb": before_last,
        "max_rss_last_25pct_mb": last,
        "last_25pct_growth_pct": 100.0 * (last - before_last) / before_last,
        "releases_seen": sum(1 for earlier, later in zip(rss, rss[1:], strict=False) if later < earlier - 100.0),
    }


# ----------------------------------------------------------------------------------------------
# heavy: the expensive paths running while a classroom opens the cached Echo page


HEAVY_S = 60.0  # how long the heavy sessions keep working
HEAVY_DEEP = "deep?deep_live=true&deep_model=hssm4"  # the Deep page's live measurement (compiles and times)
HEAVY_TRAINING = "train_task=memory&train_steps_memory=4000"  # memory task, N = 4000
HEAVY_EXPORT = ("echo", "echo_trajectories_download_png")  # a PNG of one Echo figure, again and again
#: The classroom's cached page must stay quick whatever the heavy sessions do (issue 13's acceptance).
HEAVY_P95_TARGET_S, HEAVY_MAX_TARGET_S = 1.5, 3.0


@dataclass
class HeavyResults:
    """What each kind of session saw."""

    echo: list[float] = field(default_factory=list)  # seconds per cached Echo page load
    deep: list[float] = field(default_factory=list)  # seconds to the finished live measurement
    updates: list[int] = field(default_factory=list)  # training updates each trainer made
    exports: list[float] = field(default_factory=list)  # seconds per PNG
    refused: list[str] = field(default_factory=list)  # what the server refused (per-session limits), by kind
    errors: list[str] = field(default_factory=list)


async def _heavy_deep(base: str, index: int, results: HeavyResults, link: str) -> None:
    from benchmarks.wsclient import StreamlitSession

    page, _, query = link.partition("?")
    async with StreamlitSession(base) as session:
        run = await session.open_page(page, query)
        results.deep.append(run.seconds)
        _record_exceptions(run.exceptions, index, "/" + link, results.errors)


async def _heavy_training(base: str, index: int, results: HeavyResults, seconds: float, query: str) -> None:
    from benchmarks.wsclient import StreamlitSession

    async with StreamlitSession(base) as session:
        run = await session.open_page("training", query)
        run, _ = await session.play(run, "train_play", "train_pause", "training", seconds)
        _record_exceptions(run.exceptions, index, "/training play", results.errors)
        if run.stopped:  # the page stopped training by itself (divergence, or the session's compute share)
            results.refused.append(f"training {index}: {run.stopped[:160]}")
        results.updates.append(int(run.metrics.get("Updates", "0")))


async def _heavy_export(base: str, index: int, results: HeavyResults, seconds: float) -> None:
    from benchmarks.wsclient import DownloadError, StreamlitSession

    page, key = HEAVY_EXPORT
    async with StreamlitSession(base) as session:
        run = await session.open_page(page)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            try:
                data, took = await session.download(run, key)
            except DownloadError as refusal:  # the export pool's limits: counted, then try again
                results.refused.append(f"export: {str(refusal)[:120]}")
                await asyncio.sleep(0.5)
                continue
            if not data.startswith(b"\x89PNG"):
                results.errors.append(f"export {index}: not a PNG ({data[:16]!r})")
            results.exports.append(took)


async def _classroom_echo(base: str, index: int, results: HeavyResults, visits: int, pause_s: float,
                          delay_s: float) -> None:
    from benchmarks.wsclient import StreamlitSession

    await asyncio.sleep(delay_s)
    for _ in range(visits):
        async with StreamlitSession(base) as session:
            run = await session.open_page("echo")
            results.echo.append(run.seconds)
            _record_exceptions(run.exceptions, index, "/echo", results.errors)
        await asyncio.sleep(pause_s)


async def _heavy(base: str, students: int, visits: int, seconds: float, deep: str, training: str) -> HeavyResults:
    results = HeavyResults()

    async def guarded(label: str, work: Awaitable[None]) -> None:
        try:
            await asyncio.wait_for(work, timeout=seconds + 240.0)
        except Exception as error:  # a timeout or a crash is a result to report
            results.errors.append(f"{label}: {type(error).__name__}: {str(error)[:200]}")

    heavy = [guarded(f"deep {i}", _heavy_deep(base, i, results, deep)) for i in range(2)]
    heavy += [guarded(f"training {i}", _heavy_training(base, i, results, seconds, training)) for i in range(4)]
    heavy += [guarded(f"export {i}", _heavy_export(base, i, results, seconds)) for i in range(2)]

    async def classroom() -> None:
        # The heavy sessions are under way after 3 s; then each student opens the page every ``pause`` s, the
        # students' first visits spread over one pause (a classroom, not a synchronised burst).
        pause = max(0.5, (seconds - 10.0) / visits)
        await asyncio.gather(*(guarded(f"student {i}", _classroom_echo(base, i, results, visits, pause,
                                                                       3.0 + pause * i / students))
                               for i in range(students)))

    await asyncio.gather(*heavy, classroom())
    return results


def _run_heavy(base: str, students: int, visits: int, seconds: float, deep: str, training: str) -> HeavyResults:
    return asyncio.run(_heavy(base, students, visits, seconds, deep, training))


def run_heavy(students: int = 20, visits: int = 4, seconds: float = HEAVY_S, deep: str = HEAVY_DEEP,
              training: str = HEAVY_TRAINING, fresh_cache: bool = True) -> dict[str, Any]:
    """While 2 sessions run the Deep page's live measurement, 4 train the memory task at N = 4000 and 2 export
    PNGs again and again, ``students`` sessions open the (cached) Echo page ``visits`` times each, their
    visits spread evenly over the heavy period.

    The server starts with an empty compile cache: the heavy sessions compile as a first visitor would. The
    Echo page is opened once before, as the lecturer's rehearsal would, so the classroom's page is cached.
    ``deep`` and ``training``: the links the heavy sessions open (lighter ones for the test); ``fresh_cache``
    False: the server uses the caller's compile cache (the test's), so only what changed compiles.
    """
    run_log = Path(tempfile.mkstemp(prefix="rhel-viz-runs-", suffix=".log")[1])
    env = {RUN_LOG_ENV: str(run_log)}
    if fresh_cache:
        env["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="rhel-viz-heavy-jax-")
    proc, base = start_app(env=env)
    clients = _clients_process()
    try:
        clients.submit(_run_rehearsal, base).result()
        baseline = _memory_mb(proc.pid)["VmRSS"]
        _reset_peak(proc.pid)
        run_log.write_text("")
        start = time.perf_counter()
        results = clients.submit(_run_heavy, base, students, visits, seconds, deep, training).result()
        wall = time.perf_counter() - start
        peak = _memory_mb(proc.pid)["VmHWM"]
        runs = [line.split() for line in run_log.read_text().splitlines() if line.strip()]
    finally:
        clients.shutdown(cancel_futures=True)
        stop_app(proc)
        run_log.unlink(missing_ok=True)
    echo = _quantiles(results.echo)
    exports = _quantiles(results.exports)
    echo_runs = [float(run[1]) for run in runs if run[0] == "/echo"]
    echo_waits = [float(run[2]) for run in runs if run[0] == "/echo" and len(run) > 2]
    return {
        "students": students,
        "echo_loads": len(results.echo),
        "echo_p50_s": echo["p50_s"],
        "echo_p95_s": echo["p95_s"],
        "echo_max_s": echo["max_s"],
        "echo_p95_target_s": HEAVY_P95_TARGET_S,
        "echo_max_target_s": HEAVY_MAX_TARGET_S,
        "within_targets": echo["p95_s"] < HEAVY_P95_TARGET_S and echo["max_s"] < HEAVY_MAX_TARGET_S,
        "echo_server_run_p95_s": _quantiles(echo_runs)["p95_s"],
        "echo_server_wait_for_slot_p95_s": _quantiles(echo_waits)["p95_s"],
        "deep_live_s": [round(value, 1) for value in results.deep],
        "training_updates_per_trainer": results.updates,
        "exports": len(results.exports),
        "export_p50_s": exports["p50_s"],
        "export_max_s": exports["max_s"],
        "refused_exports": sum(1 for refusal in results.refused if refusal.startswith("export")),
        "training_stopped": [refusal for refusal in results.refused if refusal.startswith("training")][:4],
        "server_run_p50_s_by_page": {page: _quantiles([float(run[1]) for run in runs if run[0] == page])["p50_s"]
                                     for page in sorted({run[0] for run in runs})},
        "errors": len(results.errors),
        "first_errors": results.errors[:5],
        "wall_s": wall,
        "server_rss_before_mb": baseline,
        "server_rss_peak_mb": peak,
    }


async def _rehearsal(base: str) -> None:
    from benchmarks.wsclient import StreamlitSession

    async with StreamlitSession(base) as session:
        await session.open_page("echo")


def _run_rehearsal(base: str) -> None:
    asyncio.run(_rehearsal(base))
