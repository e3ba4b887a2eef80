"""Cached results for pages: bounded caches, hashed by config, returning NumPy (never jax arrays)."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import streamlit as st

from rhel_viz import experiments
from rhel_viz.problems import ProblemConfig

_HASH = {ProblemConfig: astuple}


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=_HASH)
def echo_trace(config: ProblemConfig, eps: float, damping: float, integrator: str,
               gradient_point: str = "half") -> dict[str, Any]:
    return experiments.run_echo_trace(config, eps, damping, integrator, gradient_point)


@st.cache_data(max_entries=32, show_spinner="Running forward and echoes...", hash_funcs=_HASH)
def echo_view(config: ProblemConfig, eps: float, damping: float, integrator: str) -> experiments.EchoView:
    """The Echo page's numbers: forward run, three echoes, energies, retrace error."""
    return experiments.run_echo_view(config, eps, damping, integrator)
