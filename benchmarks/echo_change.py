"""``python -m rhel_viz bench echo-change``: a cached control change on the Echo page, end to end in Chromium.

The app runs on loopback (:func:`~benchmarks.appserver.start_app`); headless Chromium opens ``/echo`` at its
default view and moves one control between two values, both visited once first, so that every change
after that is served from the caches (the echo view and the figures). A change is timed in the page, on
the page's clock: from the key press to the later of Streamlit's ``data-test-script-state="notRunning"``
and the last change to the page's DOM (the figures redrawn), taken after the next painted frame. The
server's own time per script run comes from the run log (``RHEL_VIZ_RUN_LOG``), the bytes of a change from
the websocket frames the page receives.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.appserver import CHROMIUM, CHROMIUM_ARGS, RUN_LOG_ENV, start_app, stop_app, wait_for_run

#: The controls timed: (label of the slider, what the change is called). Each moves one step right and back.
CONTROLS = (("Nudging ε", "eps 1e-04 <-> 1e-03"), ("Split shown ×k", "magnify auto <-> 1"))
CHANGES = 12  # timed changes per control (after the two that visit both values)
QUIET_MS = 700  # a change is over when the DOM has not changed for this long after the script run ended
TARGET_P50_S = 0.4

#: Installed once per page: records the key press, the script state's transitions and the last DOM change.
PROBE = """() => {
  const probe = window.__echoProbe = {start: null, running: null, done: null, last: 0};
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => {  // a quick run may change the state twice before this is called
    if (probe.start === null) return;
    const state = app.getAttribute('data-test-script-state');
    if (probe.running === null) probe.running = performance.now();
    if (state === 'notRunning') probe.done = performance.now();
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  new MutationObserver(() => {
    requestAnimationFrame(() => setTimeout(() => { probe.last = performance.now(); }, 0));
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('keydown', () => {
    Object.assign(probe, {start: performance.now(), running: null, done: null, last: 0});
  }, true);
}"""
SETTLED = ("() => { const p = window.__echoProbe; "
           f"return p.done !== null && performance.now() - Math.max(p.done, p.last) > {QUIET_MS}; }}")
STARTED = "() => window.__echoProbe.running !== null"
READ = "() => { const p = window.__echoProbe; return [p.start, p.running, p.done, p.last]; }"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _change(page, slider, key: str, received: list[int]) -> dict[str, float]:
    """One key press on ``slider``; the seconds to the end of the script run and to the last DOM change.

    A press that starts no script run within a few seconds (the slider had lost the keyboard focus to a
    redraw) is pressed again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for _ in range(3):
        received.clear()
        slider.focus()  # a rerun may have redrawn the slider
        page.wait_for_timeout(50)
        slider.press(key)
        try:
            page.wait_for_function(STARTED, timeout=5_000, polling=50)
        except PlaywrightTimeoutError:
            continue
        page.wait_for_function(SETTLED, timeout=60_000, polling=50)
        start, running, done, last = page.evaluate(READ)
        return {"script_done_s": (done - start) / 1000, "end_to_end_s": (max(done, last) - start) / 1000,
                "run_started_s": (running - start) / 1000, "bytes": sum(received)}
    raise RuntimeError(f"three presses of {key} started no script run")


def _server_runs(log: Path, since: int) -> list[float]:
    lines = log.read_text().splitlines()[since:] if log.exists() else []
    return [float(line.split()[1]) for line in lines if line.startswith("/echo ")]


def default_payload_bytes() -> dict[str, int]:
    """The JSON each figure of the Echo page's default view sends (``st.plotly_chart``'s spec), in bytes."""
    from rhel_viz.lab import scenarios
    from rhel_viz.lab.echo import run_echo_view
    from rhel_viz.plots import echo as plots
    from rhel_viz.ui.figures import payload_bytes

    config, physics = scenarios.echo_config({})
    view = run_echo_view(config, physics.eps, physics.damping, physics.integrator)
    builders = {"animation": plots.animation_figure, "trajectories": plots.trajectories_figure,
                "phase": plots.phase_portraits_figure, "energy": plots.energy_figure}
    sizes = {name: payload_bytes(build(view)) for name, build in builders.items()}
    return {**sizes, "total": sum(sizes.values())}


def measure(changes: int = CHANGES) -> dict[str, Any]:
    """Start the app, open /echo, time ``changes`` cached changes of each control in :data:`CONTROLS`."""
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {"figure_payload_bytes (default view)": default_payload_bytes()}
    with tempfile.TemporaryDirectory() as folder:
        run_log = Path(folder) / "runs.log"
        proc, base = start_app(env={RUN_LOG_ENV: str(run_log)})
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                received: list[int] = []
                page.on("websocket", lambda socket: socket.on(
                    "framereceived", lambda payload: received.append(len(payload))))
                start = time.perf_counter()
                page.goto(base + "/echo", wait_until="domcontentloaded")
                wait_for_run(page)
                results["first_load_s"] = time.perf_counter() - start
                page.evaluate(PROBE)
                rows = []
                for label, name in CONTROLS:
                    slider = page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")
                    slider.focus()
                    for key in ("ArrowRight", "ArrowLeft"):  # visit both values once: computed, then cached
                        _change(page, slider, key, received)
                    logged = len(run_log.read_text().splitlines()) if run_log.exists() else 0
                    timed = [_change(page, slider, ("ArrowRight", "ArrowLeft")[i % 2], received)
                             for i in range(changes)]
                    end_to_end = [change["end_to_end_s"] for change in timed]
                    rows.append({
                        "control": name, "changes": changes,
                        "p50_s": statistics.median(end_to_end), "p95_s": _percentile(end_to_end, 0.95),
                        "max_s": max(end_to_end),
                        "run_started_p50_s": statistics.median(change["run_started_s"] for change in timed),
                        "script_done_p50_s": statistics.median(change["script_done_s"] for change in timed),
                        "server_run_p50_s": statistics.median(_server_runs(run_log, logged) or [float("nan")]),
                        "websocket_bytes_p50": int(statistics.median(change["bytes"] for change in timed)),
                    })
                browser.close()
        finally:
            stop_app(proc)
    results["changes"] = rows
    results["target_p50_s"] = TARGET_P50_S
    results["within_target"] = all(row["p50_s"] < TARGET_P50_S for row in rows)
    return results
