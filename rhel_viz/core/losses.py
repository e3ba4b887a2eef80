"""The training signal: a readout compared with a target, weighted per step.

L = sum_t w_t * 1/2 |readout(q_t, u_t) - y*_t|^2   (spec b, discrete loss)

The weights w_t select the loss family without recompiling anything: ``sequence`` is the per-step
mean squared error (w_t = 1/N), ``final`` looks at the last step only (w_N = 1, the HEB setting).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import Integrator, State, scanned_step_sizes, step_size_at
from rhel_viz.core.problem import Problem
from rhel_viz.core.problem import Sequence as Sequence  # re-exported: the data a loss reads
from rhel_viz.core.systems import Params, System


def sequence_weights(steps: int) -> np.ndarray:
    """Per-step mean: every step counts 1/N."""
    return np.full(steps, 1.0 / steps)


def final_weights(steps: int) -> np.ndarray:
    """Only the final step counts."""
    weights = np.zeros(steps)
    weights[-1] = 1.0
    return weights


LOSSES: Mapping[str, Callable[[int], np.ndarray]] = {"sequence": sequence_weights, "final": final_weights}


def loss_weights(name: str, steps: int) -> np.ndarray:
    """Weights of a named loss; unknown names raise with the valid ones."""
    try:
        return LOSSES[name](steps)
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}") from None


def step_loss(system: System, params: Params, position: jax.Array, drive_input: jax.Array,
              target: jax.Array, weight: jax.Array) -> jax.Array:
    """w_t * 1/2 |readout - target|^2 at one step."""
    error = system.readout(position, params, drive_input) - target
    return 0.5 * weight * jnp.sum(error**2)


def nudge_force(system: System, params: Params, position: jax.Array, drive_input: jax.Array,
                target: jax.Array, weight: jax.Array) -> jax.Array:
    """g_t = d l_t / d q: the loss gradient that nudges the echo momentum (spec b)."""
    return jax.grad(step_loss, argnums=2)(system, params, position, drive_input, target, weight)


def trajectory_loss(problem: Problem, integrator: Integrator, damping: jax.Array) -> jax.Array:
    """Run forward and sum the weighted per-step losses: L of spec b, the function BPTT differentiates."""
    system, params, initial, data, step_size = problem

    def body(carry: tuple[State, jax.Array], per_step_values: tuple[jax.Array, ...]):
        state, total = carry
        drive_input, target, weight, scanned_step_size = per_step_values
        step_size_t = step_size_at(step_size, scanned_step_size)
        state, _ = integrator.step(system, params, state, drive_input, step_size_t, damping)
        total = total + step_loss(system, params, state.position, drive_input, target, weight)
        return (state, total), None

    zero = jnp.zeros((), data.inputs.dtype)
    step_sizes = scanned_step_sizes(step_size, data.inputs.shape[0])
    (_, total), _ = jax.lax.scan(body, (initial, zero), (data.inputs, data.targets, data.weights, step_sizes))
    return total
