"""Backpropagation through time: ``jax.grad`` of the very same loss. The reference RHEL is compared with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax

from rhel_viz.core.integrators import LEAPFROG, Integrator, State, ensure_integrator
from rhel_viz.core.losses import trajectory_loss
from rhel_viz.core.problem import Gradients, Problem, cast, scalars, with_scalar_step
from rhel_viz.core.systems import Params


@dataclass(frozen=True)
class BPTT:
    """The gradient method that differentiates through time: exact for the discrete loss (to round-off),
    for any integrator and any friction, at the cost of storing the whole trajectory.

    A pytree without leaves. Use with :func:`rhel_viz.core.problem.gradients`.
    """

    def gradients(self, problem: Problem, *, integrator: Integrator = LEAPFROG,
                  damping: jax.Array | float = 0.0) -> Gradients:
        """dL/dtheta, dL/du and dL/dPhi_0 by reverse-mode autodiff through the whole forward scan."""
        ensure_integrator(integrator)
        (damping,) = scalars(problem.dtype, damping)
        return _bptt_gradients(with_scalar_step(problem), damping, integrator)


jax.tree_util.register_dataclass(BPTT, data_fields=[], meta_fields=[])


@partial(jax.jit, static_argnames=("integrator",))
def _bptt_gradients(problem: Problem, damping: jax.Array, integrator: Integrator) -> Gradients:
    problem, damping = cast((problem, damping), problem.dtype)

    def loss_of(theta: Params, inputs: jax.Array, start: State) -> jax.Array:
        changed = problem._replace(params=theta, initial=start, data=problem.data._replace(inputs=inputs))
        return trajectory_loss(changed, integrator, damping)

    loss, (param_grads, input_grads, initial_grads) = jax.value_and_grad(loss_of, argnums=(0, 1, 2))(
        problem.params, problem.data.inputs, problem.initial)
    return Gradients(loss, param_grads, input_grads, initial_grads)


def bptt_gradients(problem: Problem, *, integrator: Integrator = LEAPFROG,
                   damping: jax.Array | float = 0.0) -> Gradients:
    """``gradients(problem, BPTT(), ...)``: see :meth:`BPTT.gradients`."""
    return BPTT().gradients(problem, integrator=integrator, damping=damping)


def loss_value(problem: Problem, *, integrator: Integrator = LEAPFROG, damping: jax.Array | float = 0.0) -> jax.Array:
    """The loss L = sum_t w_t l_t alone (spec b; for finite differences and training curves)."""
    ensure_integrator(integrator)
    (damping,) = scalars(problem.dtype, damping)
    return _loss_value(with_scalar_step(problem), damping, integrator)


@partial(jax.jit, static_argnames=("integrator",))
def _loss_value(problem: Problem, damping: jax.Array, integrator: Integrator) -> jax.Array:
    problem, damping = cast((problem, damping), problem.dtype)
    return trajectory_loss(problem, integrator, damping)
