"""Benchmarks: ``python -m benchmarks [NAME ...] [--json]`` (or ``python -m rhel_viz bench ...``).

Timings live here, never in unit tests.

Each benchmark is a function registered by name that returns a JSON-able dict of measured figures
(and prints nothing itself); the command line prints them as a table or as JSON.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {}


def register(name: str) -> Callable[[Callable[[], dict[str, Any]]], Callable[[], dict[str, Any]]]:
    """Add a benchmark to the registry under ``name``."""

    def decorate(function: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        BENCHMARKS[name] = function
        return function

    return decorate


def timed(function: Callable[[], Any], repeats: int = 7) -> dict[str, float]:
    """Median, min and max wall time of ``function()`` over ``repeats`` warm calls (it must block)."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "max_s": max(seconds)}


@register("scaling")
def scaling() -> dict[str, Any]:
    """Forward / RHEL / BPTT time and memory for one HRU layer and a 4-layer HSSM, 1k to 50k steps.

    Also saved to ``assets/bench/scaling.json`` (with the machine) for the Deep and long page.
    """
    from rhel_viz.lab.scaling import run_all, write_results

    report = run_all()
    report["saved_to"] = str(write_results(report))
    return report

SLIDER_TARGET_S = 0.050  # one slider move on the gradient lab, recomputed (not cached)
SWEEP_TARGET_S = 1.0  # the eps sweep: >= 12 eps values, two dtypes, both estimators


@register("gradient-lab")
def gradient_lab() -> dict[str, Any]:
    """The gradient lab's default view: one eps-slider move, and the eps sweep, after warm-up."""
    from rhel_viz.core.sweeps import DEFAULT_EPS_GRID
    from rhel_viz.lab.gradient_lab import GradientLabSettings, run_eps_sweep, run_gradient_lab
    from rhel_viz.lab.problems import ProblemConfig

    config = ProblemConfig()
    eps_values = iter([1e-3, 1e-5] * 64)
    start = time.perf_counter()
    run_gradient_lab(config, GradientLabSettings())
    run_eps_sweep(config, GradientLabSettings())
    warm_up_s = time.perf_counter() - start
    slider = timed(lambda: run_gradient_lab(config, GradientLabSettings(eps=next(eps_values))), repeats=15)
    sweep = timed(lambda: run_eps_sweep(config, GradientLabSettings()), repeats=7)
    return {
        "steps": config.steps,
        "eps_values_in_sweep": len(DEFAULT_EPS_GRID),
        "sweep_dtypes": 2,
        "warm_up_compile_s": warm_up_s,
        "slider_move_median_s": slider["median_s"],
        "slider_move_max_s": slider["max_s"],
        "slider_move_target_s": SLIDER_TARGET_S,
        "sweep_median_s": sweep["median_s"],
        "sweep_max_s": sweep["max_s"],
        "sweep_target_s": SWEEP_TARGET_S,
        "within_targets": slider["median_s"] < SLIDER_TARGET_S and sweep["median_s"] < SWEEP_TARGET_S,
    }


def _update_rate(task_name: str, method: str, updates: int = 10) -> float:
    """Warm updates per second of one method on one task's defaults (float64, default eps)."""
    import jax
    import jax.numpy as jnp

    from rhel_viz.lab.tasks import TASKS, TaskSettings
    from rhel_viz.lab.train import Hyper, batch_at, init_state, update

    task = TASKS[task_name]
    state = init_state(TaskSettings(task=task_name, steps=task.step_choices[0]))
    data = state.data
    frozen = {key: leaf for key, leaf in data.params.items() if key not in data.trainable}
    batch, dtype = batch_at(data, 0), data.dataset.inputs.dtype
    eps, learning_rate = jnp.asarray(Hyper().eps, dtype), jnp.asarray(task.learning_rate, dtype)

    def one_update() -> None:
        jax.block_until_ready(update(method, data.system, state.optimiser, state.params[method], frozen,
                                     state.opt_states[method], data.initial, batch, data.step_size, eps,
                                     learning_rate))

    one_update()  # compile
    return updates / timed(lambda: [one_update() for _ in range(updates)], repeats=3)["median_s"]


@register("training")
def training_updates_per_second() -> dict[str, Any]:
    """Updates per second of each task on its defaults, RHEL and BPTT side by side in one run."""
    from rhel_viz.lab.tasks import TASKS
    from rhel_viz.lab.train import METHODS

    return {f"{name} {method} updates/s": _update_rate(name, method) for name in TASKS for method in METHODS}


# ----------------------------------------------------------------------------------------------
# The Echo page: how interactive is it?

#: Budgets of the Echo page's default view.
FIRST_LOAD_BUDGET_S = 3.0
SLIDER_MOVE_BUDGET_S = 0.030
ANIMATION_BUDGET_MB = 2.0

_FIRST_LOAD_SCRIPT = """
import json, time
start = time.perf_counter()
from rhel_viz.lab.echo import run_echo_view
from rhel_viz.lab.gradient_lab import GradientLabSettings
from rhel_viz.lab.problems import ProblemConfig
imported = time.perf_counter()
physics = GradientLabSettings()
view = run_echo_view(ProblemConfig(), physics.eps, physics.damping, physics.integrator)
computed = time.perf_counter()
from rhel_viz.plots.echo import animation_figure
figure_start = time.perf_counter()
animation_figure(view)
print(json.dumps({"import_s": imported - start, "first_view_s": computed - imported,
                  "first_animation_figure_s": time.perf_counter() - figure_start}))
"""


@register("interactive")
def interactive() -> dict[str, Any]:
    """Echo page, default view: first-load compile time (fresh process), one slider move, figure size."""
    import json
    import subprocess
    import sys
    from dataclasses import replace
    from pathlib import Path

    from rhel_viz.lab.echo import run_echo_view
    from rhel_viz.lab.gradient_lab import GradientLabSettings
    from rhel_viz.lab.problems import ProblemConfig
    from rhel_viz.plots.echo import animation_figure

    root = Path(__file__).resolve().parents[1]
    fresh = subprocess.run([sys.executable, "-c", _FIRST_LOAD_SCRIPT], cwd=root, capture_output=True, text=True,
                           check=True)
    first_load = json.loads(fresh.stdout.strip().splitlines()[-1])

    config = ProblemConfig()
    eps = GradientLabSettings().eps  # the page's default nudging
    view = run_echo_view(config, eps)  # warm-up: compile in this process
    stiffness = iter(0.5 + 0.01 * k for k in range(1, 1000))

    def move_coupling_slider() -> None:
        run_echo_view(replace(config, param_overrides=(("k_coupling", (next(stiffness),)),)), eps)

    nudging = iter(10.0 ** -(1 + k % 9) for k in range(1000))
    coupling = timed(move_coupling_slider, repeats=21)
    nudge = timed(lambda: run_echo_view(config, next(nudging)), repeats=21)
    figure = timed(lambda: animation_figure(view), repeats=5)
    size_mb = len(animation_figure(view).to_json()) / 1e6
    return {
        "import_s (fresh process)": first_load["import_s"],
        "first_view_compute_s (fresh process)": first_load["first_view_s"],
        "first_load_budget_s": FIRST_LOAD_BUDGET_S,
        "first_load_ok": first_load["first_view_s"] < FIRST_LOAD_BUDGET_S,
        "first_animation_figure_s (fresh process)": first_load["first_animation_figure_s"],
        "slider_k_coupling_median_s": coupling["median_s"],
        "slider_eps_median_s": nudge["median_s"],
        "slider_budget_s": SLIDER_MOVE_BUDGET_S,
        "slider_ok": max(coupling["median_s"], nudge["median_s"]) < SLIDER_MOVE_BUDGET_S,
        "animation_figure_build_median_s": figure["median_s"],
        "animation_figure_mb": size_mb,
        "animation_budget_mb": ANIMATION_BUDGET_MB,
        "animation_size_ok": size_mb < ANIMATION_BUDGET_MB,
        "frames": len(animation_figure(view).frames),
    }


def _slider_latencies(page, presses: int) -> list[float]:
    """Seconds from a key press on the "Sample shown" slider until the page's rerun has reached it (the
    Training page counts its full-page runs in a hidden marker, ``data-testid="train-page-runs"``)."""

    def page_runs() -> int:
        return int(page.get_by_test_id("train-page-runs").get_attribute("data-runs"))

    slider = page.get_by_test_id("stSlider").filter(has_text="Sample shown").get_by_role("slider")
    latencies = []
    for index in range(presses):
        before = page_runs()
        slider.focus()
        start = time.perf_counter()
        slider.press("ArrowRight" if index % 2 == 0 else "ArrowLeft")
        page.wait_for_function(
            "above => { const marker = document.querySelector('[data-testid=\"train-page-runs\"]');"
            " return marker !== null && Number(marker.dataset.runs) > above; }", arg=before, timeout=10_000)
        latencies.append(time.perf_counter() - start)
        page.wait_for_timeout(300)
    return latencies


@register("training-responsiveness")
def training_responsiveness(presses: int = 12) -> dict[str, Any]:
    """A slider on the Training page, answered while training plays and while paused (headless Chromium)."""
    from playwright.sync_api import sync_playwright

    from benchmarks.appserver import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app, wait_for_run

    proc, base = start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(base + "/training", wait_until="domcontentloaded")
            wait_for_run(page)
            idle = _slider_latencies(page, presses)
            page.locator(".st-key-train_play button").click()
            page.wait_for_function("/Updates\\s*\\n*\\s*[1-9]/.test(document.body.innerText)", timeout=60_000)
            page.wait_for_timeout(2000)
            training = _slider_latencies(page, presses)
            browser.close()
    finally:
        stop_app(proc)
    return {
        "presses": presses,
        "idle_median_ms": 1000 * statistics.median(idle),
        "training_median_ms": 1000 * statistics.median(training),
        "training_p90_ms": 1000 * float(sorted(training)[int(0.9 * (len(training) - 1))]),
        "training_max_ms": 1000 * max(training),
        "training_all_ms": [round(1000 * value) for value in training],
        "training_over_idle": statistics.median(training) / statistics.median(idle),
        "target_ms": 300.0,
        "within_target": 1000 * statistics.median(training) < 300.0,
    }


@register("load")
def load(sessions: int = 30) -> dict[str, Any]:
    """A classroom: 30 concurrent websocket sessions (static files + protocol) through the default views."""
    from benchmarks.loadtest import run_load

    return run_load(sessions, client="websocket")


@register("load-browser")
def load_browser(sessions: int = 30) -> dict[str, Any]:
    """The same classroom in 30 headless Chromium contexts (on 2 cores, mostly a measure of Chromium)."""
    from benchmarks.loadtest import run_load

    return run_load(sessions, client="browser")


@register("soak")
def soak() -> dict[str, Any]:
    """Visitor after visitor, each on a view that compiles something new (every Echo combination and a sample
    of the others): the server's memory stays under its ceiling."""
    from benchmarks.loadtest import run_soak

    return run_soak(all_views=False)


@register("soak-all")
def soak_all() -> dict[str, Any]:
    """The soak over every combination the controls offer (every view; the programs are counted in the report)."""
    from benchmarks.loadtest import run_soak

    return run_soak(all_views=True)


@register("load-heavy")
def load_heavy() -> dict[str, Any]:
    """The cached Echo page for 20 students while the heavy paths run: 2 Deep live measurements, 4 trainings of
    the memory task at N = 4000 and 2 sessions exporting PNGs (p95 < 1.5 s, max < 3 s)."""
    from benchmarks.loadtest import run_heavy

    return run_heavy()


@register("first-touch")
def first_touch() -> dict[str, Any]:
    """Clean compile cache and warm-up on: the warm-up's time and size on disk; then every control of every page
    changed once in Chromium (p50/p95/max to notRunning); then the first load of every page after a restart."""
    from benchmarks.firsttouch import run_first_touch

    return run_first_touch()


@register("echo-change")
def echo_change() -> dict[str, Any]:
    """A cached control change on the Echo page (eps, Split ×k), end to end in headless Chromium."""
    from benchmarks.echo_change import measure

    return measure()
