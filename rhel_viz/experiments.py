"""Experiments: a config in, NumPy results out. Pages (through ``rhel_viz.ui.cache``) call these."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from rhel_viz.bptt import bptt_gradients
from rhel_viz.problems import ProblemConfig, build_problem
from rhel_viz.rhel import echo_retrace_error, rhel_trace


def _numpy(tree: Any) -> Any:
    return jax.tree.map(np.asarray, tree)


def run_echo_trace(config: ProblemConfig, eps: float, damping: float = 0.0, integrator: str = "leapfrog",
                   gradient_point: str = "half") -> dict[str, Any]:
    """Forward run, echoes at 0/+eps/-eps, RHEL and BPTT gradients, as NumPy arrays."""
    problem = build_problem(config)
    args = (problem.system, problem.params, problem.initial, problem.data, problem.step_size)
    trace = rhel_trace(*args, eps, damping, integrator=integrator, gradient_point=gradient_point)
    bptt = bptt_gradients(*args, damping, integrator=integrator)
    return {
        "trace": _numpy(trace),
        "bptt": _numpy(bptt),
        "retrace_error": float(echo_retrace_error(trace)),
        "params": _numpy(problem.params),
        "data": _numpy(problem.data),
    }
