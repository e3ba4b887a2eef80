"""Error against eps: one jitted call per (dtype, estimator), vmapped over an array of eps values.

The truncation error of the centred estimator falls as eps^2 (one-sided: eps) while the round-off
of the finite difference grows as 1/eps, so the relative error against BPTT is U-shaped in eps
(spec f, teaching moment 4). The sweep reuses the jitted body of :func:`rhel_viz.core.rhel.rhel_gradients`
(eps is a traced argument, so ``jax.vmap`` batches only the echoes; the forward pass runs once).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import State, check_integrator
from rhel_viz.core.losses import Sequence
from rhel_viz.core.rhel import ESTIMATORS, TRACE_COUNTS, Gradients, _rhel_gradients
from rhel_viz.core.systems import Params, System

#: Default grid: 23 values from 1e-12 to 1e-1, two per decade.
DEFAULT_EPS_GRID: np.ndarray = np.logspace(-12, -1, 23)


@partial(jax.jit, static_argnames=("system", "integrator", "estimator", "gradient_point"))
def _rhel_gradients_over_eps(system, params, initial, data, step_size, eps_values, damping, integrator, estimator,
                             gradient_point):
    TRACE_COUNTS["rhel_gradients_over_eps"] += 1

    def at(eps: jax.Array) -> Gradients:
        return _rhel_gradients(system, params, initial, data, step_size, eps, damping, integrator, estimator,
                               gradient_point)

    return jax.vmap(at)(eps_values.astype(data.inputs.dtype))


def rhel_gradients_over_eps(system: System, params: Params, initial: State, data: Sequence,
                            step_size: jax.Array | float, eps_values: jax.Array | np.ndarray,
                            damping: jax.Array | float = 0.0, *, integrator: str = "leapfrog",
                            estimator: str = "centred", gradient_point: str = "half") -> Gradients:
    """RHEL gradients for every eps in ``eps_values`` (leading axis), in one compiled call.

    Equivalent to ``[rhel_gradients(..., eps) for eps in eps_values]`` stacked; the computation
    runs in the dtype of ``data`` (eps values are cast to it).
    """
    check_integrator(integrator)
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {list(ESTIMATORS)}")
    return _rhel_gradients_over_eps(system, params, initial, data, step_size, jnp.asarray(eps_values), damping,
                                    integrator, estimator, gradient_point)


def relative_errors_over_eps(estimates: Params, reference: Params) -> np.ndarray:
    """|est(eps) - ref| / |ref| over all parameters, one value per eps (leading axis of ``estimates``)."""
    names = sorted(reference)
    est = np.concatenate([np.asarray(estimates[n], np.float64).reshape(len(np.asarray(estimates[n])), -1)
                          for n in names], axis=1)
    ref = np.concatenate([np.ravel(np.asarray(reference[n], np.float64)) for n in names])
    norm = np.linalg.norm(ref)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.linalg.norm(est - ref[None, :], axis=1) / norm
