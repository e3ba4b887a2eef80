"""Error against eps: one jitted call per (dtype, estimator), vmapped over an array of eps values.

The truncation error of the centred estimator falls as eps^2 (one-sided: eps) while the round-off
of the finite difference grows as 1/eps, so the relative error against BPTT is U-shaped in eps
(spec f, teaching moment 4). The sweep vmaps :meth:`rhel_viz.core.rhel.RHEL.gradients` over eps (a
traced leaf of the method, so ``jax.vmap`` batches only the echoes; the forward pass runs once).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import LEAPFROG, Integrator, ensure_integrator
from rhel_viz.core.problem import Gradients, Problem, scalars, with_scalar_step
from rhel_viz.core.rhel import RHEL
from rhel_viz.core.systems import Params

#: Default grid: 23 values from 1e-12 to 1e-1, two per decade.
DEFAULT_EPS_GRID: np.ndarray = np.logspace(-12, -1, 23)


@partial(jax.jit, static_argnames=("integrator",))
def _rhel_gradients_over_eps(problem: Problem, methods: RHEL, damping: jax.Array, integrator: Integrator) -> Gradients:
    """``methods`` holds an array of eps values (its leaf) and the estimator and gradient point they share."""

    def at(eps: jax.Array) -> Gradients:
        return RHEL(eps, methods.estimator, methods.gradient_point).gradients(problem, integrator=integrator,
                                                                              damping=damping)

    return jax.vmap(at)(methods.eps)


def rhel_gradients_over_eps(problem: Problem, eps_values: jax.Array | np.ndarray, *,
                            integrator: Integrator = LEAPFROG, damping: jax.Array | float = 0.0,
                            estimator: str = "centred", gradient_point: str = "half") -> Gradients:
    """RHEL gradients for every eps in ``eps_values`` (leading axis), in one compiled call.

    Equivalent to ``[RHEL(eps, estimator, gradient_point).gradients(problem, ...) for eps in eps_values]``
    stacked; the computation runs in the dtype of ``problem.data`` (eps values are cast to it).
    """
    ensure_integrator(integrator)
    (damping,) = scalars(problem.dtype, damping)
    methods = RHEL(jnp.asarray(eps_values).astype(problem.dtype), estimator, gradient_point)
    return _rhel_gradients_over_eps(with_scalar_step(problem), methods, damping, integrator)


def relative_errors_over_eps(estimates: Params, reference: Params) -> np.ndarray:
    """|est(eps) - ref| / |ref| over all parameters, one value per eps (leading axis of ``estimates``)."""
    names = sorted(reference)
    est = np.concatenate([np.asarray(estimates[n], np.float64).reshape(len(np.asarray(estimates[n])), -1)
                          for n in names], axis=1)
    ref = np.concatenate([np.ravel(np.asarray(reference[n], np.float64)) for n in names])
    norm = np.linalg.norm(ref)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.linalg.norm(est - ref[None, :], axis=1) / norm
