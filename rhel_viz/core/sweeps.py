"""Error against eps: one jitted call per (dtype, estimator), vmapped over an array of eps values.

The truncation error of the centred estimator falls as eps^2 (one-sided: eps) while the round-off
of the finite difference grows as 1/eps, so the relative error against BPTT is U-shaped in eps
(spec f, teaching moment 4). The sweep vmaps :func:`rhel_viz.core.rhel.rhel_estimate` (the body of
:meth:`~rhel_viz.core.rhel.RHEL.gradients`) over eps, so ``jax.vmap`` batches only the echoes and the forward
pass runs once; the gradient point is traced (one program for both), the estimator selects the program.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import LEAPFROG, Integrator, ensure_integrator, reads_at_half
from rhel_viz.core.problem import Gradients, Problem, scalars, with_scalar_step
from rhel_viz.core.rhel import RHEL, rhel_estimate
from rhel_viz.core.systems import Params

#: Default grid: 23 values from 1e-12 to 1e-1, two per decade.
DEFAULT_EPS_GRID: np.ndarray = np.logspace(-12, -1, 23)


@partial(jax.jit, static_argnames=("integrator", "estimator"))
def _rhel_gradients_over_eps(problem: Problem, eps_values: jax.Array, damping: jax.Array, read_at_half: jax.Array,
                             integrator: Integrator, estimator: str) -> Gradients:
    def at(eps: jax.Array) -> Gradients:
        return rhel_estimate(problem, eps, damping, read_at_half, integrator, estimator)

    return jax.vmap(at)(eps_values)


def rhel_gradients_over_eps(problem: Problem, eps_values: jax.Array | np.ndarray, *,
                            integrator: Integrator = LEAPFROG, damping: jax.Array | float = 0.0,
                            estimator: str = "centred", gradient_point: str = "half") -> Gradients:
    """RHEL gradients for every eps in ``eps_values`` (leading axis), in one compiled call.

    Equivalent to ``[RHEL(eps, estimator, gradient_point).gradients(problem, ...) for eps in eps_values]``
    stacked; the computation runs in the dtype of ``problem.data`` (eps values are cast to it).
    """
    ensure_integrator(integrator)
    RHEL(0.0, estimator, gradient_point)  # checks both names
    (damping,) = scalars(problem.dtype, damping)
    eps_values = jnp.asarray(eps_values).astype(problem.dtype)
    return _rhel_gradients_over_eps(with_scalar_step(problem), eps_values, damping, reads_at_half(gradient_point),
                                    integrator, estimator)


def relative_errors_over_eps(estimates: Params, reference: Params) -> np.ndarray:
    """|est(eps) - ref| / |ref| over all parameters, one value per eps (leading axis of ``estimates``)."""
    names = sorted(reference)
    est = np.concatenate([np.asarray(estimates[n], np.float64).reshape(len(np.asarray(estimates[n])), -1)
                          for n in names], axis=1)
    ref = np.concatenate([np.ravel(np.asarray(reference[n], np.float64)) for n in names])
    norm = np.linalg.norm(ref)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.linalg.norm(est - ref[None, :], axis=1) / norm
