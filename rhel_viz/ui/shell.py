"""What every page does first, so pages work whichever URL a visitor opens first; and how app.py runs a page."""

from __future__ import annotations

import os
import time
from pathlib import Path

import jax
import streamlit as st

from rhel_viz.lab import compile_cache
from rhel_viz.lab.rules import InvalidInput
from rhel_viz.ui import guards, slots, urlstate
from rhel_viz.ui.slots import run_slot
from rhel_viz.ui.streamlit_internals import leave_pages_directory_mode

#: Set by the load benchmark (benchmarks/loadtest.py): the file where every page run's server-side time goes.
RUN_LOG_ENV = "RHEL_VIZ_RUN_LOG"


def configure_jax() -> None:
    """float64 on (the pages offer float32 and float64 side by side) and JAX's persistent compilation cache
    (:mod:`rhel_viz.lab.compile_cache`: ``RHEL_VIZ_COMPILE_CACHE`` moves it or turns it off).

    Takes effect before the process compiles anything.
    """
    jax.config.update("jax_enable_x64", True)
    slots.start_compute_workers()  # JAX starts in a compute worker: XLA's threads run at its lower priority
    compile_cache.configure()


def require_app_shell() -> None:
    """Make sure the page runs inside ``app.py``'s ``st.navigation``.

    On a freshly started server, a first visit straight to a page URL (say ``/gradients``) makes
    Streamlit fall back to its legacy ``pages/`` directory mode: the page runs without ``app.py``
    (no wide layout, a sidebar listing file names). Switching the process to navigation mode and
    rerunning sends the same URL through ``app.py``; afterwards this is a no-op.
    """
    configure_jax()  # as app.py: a page opened first may run without it
    if leave_pages_directory_mode():
        st.rerun()


def run_page(page, lecture: urlstate.Lecture) -> None:
    """Run the page, then put the link to the view in the sidebar (also after a page's
    :func:`~rhel_viz.ui.guards.stop_page`).

    An :class:`~rhel_viz.lab.rules.InvalidInput` (a value its rule refuses, a run over the cost
    budget) that reaches here is shown as an error with its message, never as a traceback.
    """
    with run_slot() as waited:
        start = time.perf_counter()
        try:
            with guards.stoppable_page():
                page.run()
        except InvalidInput as error:
            guards.show_invalid(error)
        urlstate.link_box(st.sidebar, lecture)
        _log_run(page.url_path, time.perf_counter() - start, waited)


def _log_run(url_path: str, seconds: float, waited: float) -> None:
    """Append "url_path run_seconds wait_seconds" to the benchmark's run log, when one is set."""
    log = os.environ.get(RUN_LOG_ENV)
    if log:
        with Path(log).open("a", encoding="utf-8") as file:
            file.write(f"/{url_path} {seconds:.4f} {waited:.4f}\n")
