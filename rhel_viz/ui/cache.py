"""Cached results for pages: bounded caches, hashed by config, returning the lab's frozen results (NumPy, never
jax arrays; ``st.cache_data`` pickles them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, replace
from functools import partial
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from rhel_viz.lab import costs, deep, guards, runs, scaling
from rhel_viz.lab.echo import EchoView, echo_view_cost, run_echo_view
from rhel_viz.lab.gradient_lab import (
    EpsSweep,
    GradientLabResult,
    GradientLabSettings,
    eps_sweep_cost,
    gradient_lab_cost,
    run_eps_sweep,
    run_gradient_lab,
)
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.ui import slots, streamlit_internals

_HASH = {ProblemConfig: astuple, GradientLabSettings: astuple}
#: Every cache is bounded in entries and in age: a classroom of sessions cannot grow the server's memory
#: without limit (a result is a few MB at most: N = 800 steps of a few oscillators, three echoes).
TTL_S = 3600


def figure(builder: Callable[..., go.Figure], *args: Any, key: object) -> go.Figure:
    """``builder(*args)``, built once per (builder, ``key``) and shared by every session.

    ``key`` must determine ``args`` (say, the config and settings a cached result was computed
    from); its ``repr`` is the cache key, so dataclasses of plain values work as they are. Figure
    builders are pure, and a shared figure is only ever read (``st.plotly_chart`` serialises a copy,
    presentation mode restyles a copy), so a classroom on the default view builds each figure once.
    """
    return _figure(f"{builder.__module__}.{builder.__qualname__}", repr(key), partial(builder, *args))


#: A figure holds 0.1 to 3 MB of Python objects (the Echo page's four: 3.3 MB at N = 200, 4.4 MB at
#: N = 800), so 64 of them stay under ~100 MB whatever the classroom does.
@st.cache_resource(max_entries=64, ttl=TTL_S, show_spinner=False)
def _figure(builder_name: str, key: str, _build: Callable[[], go.Figure]) -> go.Figure:
    return _build()


@st.cache_data(max_entries=128, ttl=TTL_S, show_spinner=False, hash_funcs=_HASH)
def stability(config: ProblemConfig) -> guards.Stability:
    """h * omega_max of the config's parameters, checked before anything long runs."""
    return runs.problem_stability(config)


@contextmanager
def preparing(cost: costs.Cost) -> Iterator[None]:
    """Say "preparing…" while the body runs, when it must compile a program nobody compiled in this process
    yet (the background warm-up, :mod:`rhel_viz.ui.warmup`, had not reached it): the visitor waits seconds
    and sees why, instead of a page that hangs silently. Silent when the program is compiled."""
    if cost.program in costs.COMPILED:
        yield
        return
    with st.spinner(f"Preparing this setting: compiling it for the first time on this server (about "
                    f"{max(1.0, cost.compile_s):.0f} s, once)…", show_time=True):
        yield


def owner() -> str:
    """Who asks: this browser session's id (the compute ledger's and the export pool's owner), or "local"
    outside a script run."""
    return streamlit_internals.session_id() or "local"


def gradient_lab(config: ProblemConfig, settings: GradientLabSettings) -> GradientLabResult:
    """RHEL against BPTT on one problem (:func:`~rhel_viz.lab.gradient_lab.run_gradient_lab`), shared by sessions."""
    # waiting for another session's run of the same key holds no page slot
    with slots.off_page_slot(), preparing(gradient_lab_cost(config, settings)):
        return _gradient_lab(config, settings, _owner=owner())


@st.cache_data(max_entries=64, ttl=TTL_S, show_spinner=False, hash_funcs=_HASH)
def _gradient_lab(config: ProblemConfig, settings: GradientLabSettings, _owner: str) -> GradientLabResult:
    return slots.compute(gradient_lab_cost(config, settings), _owner, run_gradient_lab, config, settings)


def eps_sweep(config: ProblemConfig, settings: GradientLabSettings) -> EpsSweep:
    """The sweep ignores ``settings.eps``, so moving the eps slider reuses the cached sweep (one eps for all)."""
    with slots.off_page_slot(), preparing(eps_sweep_cost(config, settings)):
        return _eps_sweep(config, replace(settings, eps=runs.DEFAULT_EPS), _owner=owner())


@st.cache_data(max_entries=32, ttl=TTL_S, show_spinner="Sweeping ε…",
               hash_funcs=_HASH)
def _eps_sweep(config: ProblemConfig, settings: GradientLabSettings, _owner: str) -> EpsSweep:
    return slots.compute(eps_sweep_cost(config, settings), _owner, run_eps_sweep, config, settings)


def echo_view(config: ProblemConfig, eps: float, damping: float, integrator: str) -> EchoView:
    """The Echo page's numbers: forward run, three echoes, energies, retrace error."""
    with slots.off_page_slot(), preparing(echo_view_cost(config, integrator)):
        return _echo_view(config, eps, damping, integrator, _owner=owner())


@st.cache_data(max_entries=32, ttl=TTL_S, show_spinner=False, hash_funcs=_HASH)
def _echo_view(config: ProblemConfig, eps: float, damping: float, integrator: str, _owner: str) -> EchoView:
    return slots.compute(echo_view_cost(config, integrator), _owner, run_echo_view, config, eps, damping, integrator)


# ----------------------------------------------------------------------------------------------
# Deep and long

def layer_agreement(settings: deep.AgreementSettings) -> deep.LayerAgreement:
    """Per-layer cosine and norm ratio of RHEL against BPTT in a 4-layer HSSM."""
    with slots.off_page_slot(), preparing(deep.agreement_cost(settings)):
        return _layer_agreement(settings, _owner=owner())


@st.cache_data(max_entries=32, ttl=TTL_S, show_spinner=False, hash_funcs={deep.AgreementSettings: astuple})
def _layer_agreement(settings: deep.AgreementSettings, _owner: str) -> deep.LayerAgreement:
    return slots.compute(deep.agreement_cost(settings), _owner, deep.run_layer_agreement, settings)


def live_scaling(model: str) -> deep.LiveScaling:
    """Time and XLA memory at short lengths, measured once per server process, step by step (one method at one
    length each): a progress bar says how far it got, each step holds the compute slot alone (no other
    computation runs while it times) and between steps other sessions' computations go first. Changing any
    control meanwhile ends the page run between two steps; the steps already measured stay cached."""
    plan = deep.live_scaling_plan(model)
    bar = st.progress(0.0, text=f"Measuring live: step 1 of {len(plan)}…")
    rows = []
    for number, (seq_len, method) in enumerate(plan):
        bar.progress(number / len(plan), text=f"Measuring live: {method.upper()} at N = {seq_len} "
                                              f"(step {number + 1} of {len(plan)}; each compiles, then times)…")
        with slots.off_page_slot():
            rows.append(_live_step(model, seq_len, method, _owner=owner()))
    bar.empty()
    return deep.live_scaling_of(model, rows)


@st.cache_data(max_entries=64, ttl=TTL_S, show_spinner=False)
def _live_step(model: str, seq_len: int, method: str, _owner: str) -> dict[str, Any]:
    return slots.compute(deep.live_step_cost(model, seq_len, method), _owner, deep.measure_live_step, model,
                         seq_len, method)


def scaling_report() -> dict[str, Any] | None:
    """The saved benchmark (assets/bench/scaling.json), re-read when the file changes."""
    path = scaling.RESULTS_PATH
    return _scaling_report(path.stat().st_mtime if path.exists() else 0.0)


@st.cache_data(max_entries=2, ttl=TTL_S, show_spinner=False)
def _scaling_report(modified: float) -> dict[str, Any] | None:
    return scaling.load_results()
