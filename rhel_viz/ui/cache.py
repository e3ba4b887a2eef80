"""Cached results for pages: bounded caches, hashed by config, returning NumPy (never jax arrays)."""

from __future__ import annotations

from dataclasses import astuple, replace
from typing import Any

import streamlit as st

from rhel_viz import experiments
from rhel_viz.experiments import GradientLabSettings
from rhel_viz.problems import ProblemConfig

_HASH = {ProblemConfig: astuple, GradientLabSettings: astuple}


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=_HASH)
def echo_trace(config: ProblemConfig, eps: float, damping: float, integrator: str,
               gradient_point: str = "half") -> dict[str, Any]:
    return experiments.run_echo_trace(config, eps, damping, integrator, gradient_point)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=_HASH)
def gradient_lab(config: ProblemConfig, settings: GradientLabSettings) -> dict[str, Any]:
    return experiments.run_gradient_lab(config, settings)


def eps_sweep(config: ProblemConfig, settings: GradientLabSettings) -> dict[str, Any]:
    """The sweep ignores ``settings.eps``, so moving the eps slider reuses the cached sweep."""
    return _eps_sweep(config, replace(settings, eps=0.0))


@st.cache_data(max_entries=32, show_spinner="Sweeping ε (compiles once per system and length)…",
               hash_funcs=_HASH)
def _eps_sweep(config: ProblemConfig, settings: GradientLabSettings) -> dict[str, Any]:
    return experiments.run_eps_sweep(config, settings)


@st.cache_data(max_entries=32, show_spinner="Running forward and echoes...", hash_funcs=_HASH)
def echo_view(config: ProblemConfig, eps: float, damping: float, integrator: str) -> experiments.EchoView:
    """The Echo page's numbers: forward run, three echoes, energies, retrace error."""
    return experiments.run_echo_view(config, eps, damping, integrator)
