"""Backpropagation through time: ``jax.grad`` of the very same loss. The reference RHEL must match."""

from __future__ import annotations

from functools import partial

import jax

from rhel_viz.core.integrators import State
from rhel_viz.core.losses import Sequence, trajectory_loss
from rhel_viz.core.rhel import TRACE_COUNTS, Gradients, _cast, scalars
from rhel_viz.core.systems import Params, System


@partial(jax.jit, static_argnames=("system", "integrator"))
def _bptt_gradients(system, params, initial, data, step_size, damping, integrator):
    TRACE_COUNTS["bptt_gradients"] += 1
    dtype = data.inputs.dtype
    params, initial, step_size, damping = _cast((params, initial, step_size, damping), dtype)

    def loss_of(theta: Params, inputs: jax.Array, start: State) -> jax.Array:
        return trajectory_loss(system, theta, start, data._replace(inputs=inputs), step_size, damping, integrator)

    loss, (param_grads, input_grads, initial_grads) = jax.value_and_grad(loss_of, argnums=(0, 1, 2))(
        params, data.inputs, initial)
    return Gradients(loss, param_grads, input_grads, initial_grads)


def bptt_gradients(system: System, params: Params, initial: State, data: Sequence, step_size: jax.Array | float,
                   damping: jax.Array | float = 0.0, *, integrator: str = "leapfrog") -> Gradients:
    """Exact gradients of the discrete loss by reverse-mode autodiff through the whole trajectory."""
    step_size, damping = scalars(data, step_size, damping)
    return _bptt_gradients(system, params, initial, data, step_size, damping, integrator)


def loss_value(system: System, params: Params, initial: State, data: Sequence, step_size: jax.Array | float,
               damping: jax.Array | float = 0.0, integrator: str = "leapfrog") -> jax.Array:
    """The loss alone (for finite differences and training curves)."""
    step_size, damping = scalars(data, step_size, damping)
    return _loss_value(system, params, initial, data, step_size, damping, integrator)


@partial(jax.jit, static_argnames=("system", "integrator"))
def _loss_value(system, params, initial, data, step_size, damping, integrator):
    TRACE_COUNTS["loss_value"] += 1
    dtype = data.inputs.dtype
    params, initial, step_size, damping = _cast((params, initial, step_size, damping), dtype)
    return trajectory_loss(system, params, initial, data, step_size, damping, integrator)
