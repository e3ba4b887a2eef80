"""Warm-up at server start: compile, in the background, every program the pages' controls can ask for.

JAX compiles each (function, shapes, static options) once per process, 2-15 s each on two cores. The
server starts a warm-up thread (:func:`start`, from ``app.py``'s server lifespan) that runs every view the
controls offer (:func:`plan`: each page's default view first, then :func:`rhel_viz.ui.params.static_views`)
once, so that a visitor's first use of a setting finds it compiled. With the persistent compilation cache
(:mod:`rhel_viz.lab.compile_cache`) what it compiles also stays on disk: after a restart the warm-up only
loads, and a program dropped under the memory ceiling comes back in a fraction of a second.

The first visitor is never queued behind it: the warm-up runs in a thread of its own at the lowest CPU
priority (nice 19), outside the compute slots, and skips what a visitor already compiled. Its
:data:`PROGRESS` is what the Home page shows. ``RHEL_VIZ_WARMUP=off`` turns it off (the test servers and
the load benchmarks, which measure compiling on purpose, do).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from rhel_viz.lab import costs, deep, memory, scenarios
from rhel_viz.lab.echo import run_echo_view
from rhel_viz.lab.gradient_lab import run_eps_sweep, run_gradient_lab
from rhel_viz.lab.train import init_state, train_step
from rhel_viz.ui import params, slots

__all__ = ["PROGRESS", "WARMUP_ENV", "Progress", "enabled", "plan", "prepare_view", "progress_snapshot", "run",
           "show_progress", "start", "stop"]

WARMUP_ENV = "RHEL_VIZ_WARMUP"
WARMUP_NICE = 19
#: Each page's default view: prepared first (what a lecture opens first).
DEFAULT_VIEWS: tuple[tuple[str, dict[str, Any]], ...] = (("echo", {}), ("gradients", {}), ("deep", {}),
                                                         ("training", {}))


@dataclass
class Progress:
    """Where the warm-up stands (read by the Home page; written by the warm-up thread only)."""

    state: str = "idle"  # idle (not started), off, running, done, stopped
    total: int = 0  # programs to prepare
    done: int = 0  # programs prepared (compiled, loaded from disk, or found compiled)
    current: str = ""  # the view being prepared
    started: float = 0.0  # time.time() at start
    finished: float = 0.0
    failures: list[str] = field(default_factory=list)  # "page values: error", for the log and the tests

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def seconds(self) -> float:
        """Seconds since the start (until the end, once it ended)."""
        end = self.finished if self.finished else time.time()
        return end - self.started if self.started else 0.0


PROGRESS = Progress()
_stop = threading.Event()
_thread: threading.Thread | None = None
_start_lock = threading.Lock()


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``RHEL_VIZ_WARMUP`` says off (``off``, ``0``, ``false``, ``no``)."""
    environ = os.environ if environ is None else environ
    return environ.get(WARMUP_ENV, "on").strip().lower() not in {"off", "0", "false", "no"}


def plan() -> list[tuple[str, dict[str, Any], tuple[costs.Program, ...]]]:
    """(page, control values, the programs it needs) for every view that needs a program no earlier view
    of the plan needs: the default views first, then every combination of the static controls."""
    seen: set[costs.Program] = set()
    views = []
    for page, values in (*DEFAULT_VIEWS, *params.static_views()):
        programs = tuple(program for program in params.view_programs(page, values) if program not in seen)
        if programs:
            seen.update(programs)
            views.append((page, dict(values), programs))
    return views


def prepare_view(page: str, values: Mapping[str, Any]) -> None:
    """Run what the page runs for these control values once (at its default numbers): that compiles it."""
    if page == "echo":
        config, physics = scenarios.echo_config(values)
        run_echo_view(config, physics.eps, physics.damping, physics.integrator)
    elif page == "gradients":
        config, settings = scenarios.gradient_lab_config(values)
        run_gradient_lab(config, settings)
        run_eps_sweep(config, settings)
    elif page == "training":
        settings, optimiser, hyper = scenarios.training_config(values)
        train_step(init_state(settings, optimiser), hyper)
    elif page == "deep" and values.get("deep_live"):
        for seq_len, method in deep.live_scaling_plan(values["deep_model"]):
            deep.measure_live_step(values["deep_model"], seq_len, method, repeats=1)
    elif page == "deep":
        deep.run_layer_agreement(scenarios.deep_config(values))
    else:
        raise ValueError(f"no page {page!r}")


def _describe(page: str, values: Mapping[str, Any]) -> str:
    return f"{page}: " + (", ".join(f"{key}={value}" for key, value in values.items()) or "default view")


@contextlib.contextmanager
def _compute_pause() -> Iterator[None]:
    """Hold the compute slot last in line: no visitor's computation runs meanwhile (for a memory release)."""
    slots.COMPUTE.acquire(priority=math.inf)
    try:
        yield
    finally:
        slots.COMPUTE.release()


def run(views: list[tuple[str, dict[str, Any], tuple[costs.Program, ...]]] | None = None,
        prepare: Callable[[str, Mapping[str, Any]], None] = prepare_view, progress: Progress = PROGRESS) -> Progress:
    """Prepare every view of ``views`` (default :func:`plan`) in this thread, updating ``progress``.

    A view whose programs a visitor already compiled is skipped; a failure is recorded and the warm-up goes
    on. Between views the memory ceiling is checked (:func:`rhel_viz.lab.memory.relieve`).
    """
    views = plan() if views is None else views
    _log(f"started: {len(views)} views, {sum(len(programs) for _, _, programs in views)} programs")
    progress.total = sum(len(programs) for _, _, programs in views)
    progress.done, progress.failures = 0, []
    progress.state, progress.started, progress.finished = "running", time.time(), 0.0
    for page, values, programs in views:
        if _stop.is_set():
            progress.state = "stopped"
            break
        progress.current = _describe(page, values)
        if not all(program in costs.COMPILED for program in programs):
            try:
                prepare(page, values)
                for program in programs:
                    costs.COMPILED.add(program)
            except Exception as error:  # noqa: BLE001 - one bad view must not end the warm-up
                progress.failures.append(f"{progress.current}: {type(error).__name__}: {error}")
            with _compute_pause():
                memory.relieve()
        progress.done += len(programs)
    else:
        progress.state = "done"
    progress.current, progress.finished = "", time.time()
    _log(f"{progress.state}: {progress.done} of {progress.total} programs in {progress.seconds:.1f} s, "
         f"{len(progress.failures)} failures")
    return progress


#: Start of the warm-up's lines in the server log (``bench first-touch`` waits for the "done" line).
LOG_PREFIX = "rhel-viz warm-up"


def _log(message: str) -> None:
    sys.stderr.write(f"{LOG_PREFIX} {message}\n")
    sys.stderr.flush()


def _run_in_background() -> None:
    slots.lower_thread_priority(WARMUP_NICE)
    run()


def start() -> bool:
    """Start the warm-up thread once per process (unless :func:`enabled` says off); True if it started."""
    global _thread
    with _start_lock:
        if _thread is not None:
            return False
        if not enabled():
            PROGRESS.state = "off"
            return False
        _stop.clear()
        PROGRESS.state = "running"
        PROGRESS.started = time.time()
        _thread = threading.Thread(target=_run_in_background, name="rhel-viz-warm-up", daemon=True)
        _thread.start()
        return True


def stop(timeout_s: float = 0.0) -> None:
    """Ask the warm-up to stop after the view it is preparing (at server shutdown)."""
    _stop.set()
    if _thread is not None and timeout_s > 0:
        _thread.join(timeout_s)


def progress_snapshot() -> Progress:
    """A copy of :data:`PROGRESS` (the thread goes on writing the original)."""
    return replace(PROGRESS, failures=list(PROGRESS.failures))


#: How often the Home page's progress bar refreshes while the warm-up runs (each refresh is a tiny rerun).
PROGRESS_REFRESH_S = 3.0


def show_progress() -> None:
    """The warm-up's progress on the Home page: a progress bar while it runs (refreshed every few seconds),
    one caption once it is done, nothing when it is off."""
    if PROGRESS.state in ("off", "idle"):
        return
    st.fragment(_progress_view, run_every=PROGRESS_REFRESH_S if PROGRESS.running else None)()


def _progress_view() -> None:
    with slots.run_slot(slots.REFRESH):
        progress = progress_snapshot()
        if progress.running:
            st.progress(progress.fraction, text=(
                f"Preparing every setting in the background: {progress.done} of {progress.total} programs "
                f"ready ({progress.seconds:.0f} s so far). Every page works meanwhile; a setting not "
                "prepared yet compiles the first time it is used (a few seconds, said on the page)."))
        elif st.session_state.get(_SEEN_RUNNING_KEY):  # it ended while this page was open: drop the timer
            st.session_state[_SEEN_RUNNING_KEY] = False
            st.rerun(scope="app")
        else:
            state = "prepared" if progress.state == "done" else f"warm-up {progress.state}"
            st.caption(f"Every setting the controls offer is {state}: {progress.done} of {progress.total} "
                       f"programs, in {progress.seconds:.0f} s after the server started.")
        if progress.running:
            st.session_state[_SEEN_RUNNING_KEY] = True


_SEEN_RUNNING_KEY = "_warmup_seen_running"
