"""One step of a Hamiltonian system, and the per-step "action" whose parameter gradient RHEL reads.

The reversible integrator is the position-Verlet leapfrog (drift-kick-drift, spec b, eq. of the
HRU update). It is the only one that makes an HRU: ``step(flip(s); u) == flip(previous s)``.
The others exist to *show what breaks the echo*, and say so in their names:

* ``leapfrog``: drift h/2, kick h, drift h/2; reversible and symplectic. With ``damping > 0`` the
  momentum is multiplied by exp(-damping h / 2) before and after the kick: friction, which no
  momentum flip undoes;
* ``euler`` (explicit Euler): neither reversible nor symplectic;
* ``rk4`` (classical Runge-Kutta): accurate but not reversible nor symplectic.

Each step also returns its *step integrand*: the per-step contribution to the RHEL sum
S = sum_k h dH/dtheta (spec b). For the leapfrog it is exact for the splitting: the kinetic part
is read at the momenta held during the two drifts and the potential part at the half-step
position where the force was evaluated (``gradient_point="half"``); ``"full"`` reads the potential
part at the full-step position instead, as the published LinHRU code does (an O(h) bias).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp

from rhel_viz.core.systems import Params, System

IntegratorName = Literal["leapfrog", "euler", "rk4"]
INTEGRATORS: tuple[str, ...] = ("leapfrog", "euler", "rk4")
REVERSIBLE_INTEGRATORS: tuple[str, ...] = ("leapfrog",)
GRADIENT_POINTS: tuple[str, ...] = ("half", "full")


class State(NamedTuple):
    """Phase-space point: positions q and momenta p (same shape)."""

    position: jax.Array
    momentum: jax.Array


def flip(state: State) -> State:
    """The time-reversal operator Sigma_z: flip every momentum (spec a)."""
    return State(state.position, -state.momentum)


def velocity(system: System, momentum: jax.Array, params: Params) -> jax.Array:
    """dq/dt = dT/dp."""
    return jax.grad(system.kinetic)(momentum, params)


def force(system: System, position: jax.Array, params: Params, drive_input: jax.Array) -> jax.Array:
    """dp/dt = -dV/dq."""
    return -jax.grad(system.potential)(position, params, drive_input)


def check_integrator(name: str) -> None:
    if name not in INTEGRATORS:
        raise ValueError(f"unknown integrator {name!r}; choose one of {list(INTEGRATORS)}")


def _leapfrog(system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
              damping: jax.Array) -> tuple[State, jax.Array]:
    """Drift-kick-drift; returns the new state and the half-step position."""
    half = 0.5 * step_size
    friction = jnp.exp(-damping * half)
    half_position = state.position + half * velocity(system, state.momentum, params)
    momentum = friction * state.momentum
    momentum = momentum + step_size * force(system, half_position, params, drive_input)
    momentum = friction * momentum
    position = half_position + half * velocity(system, momentum, params)
    return State(position, momentum), half_position


def _vector_field(system: System, params: Params, state: State, drive_input: jax.Array, damping: jax.Array) -> State:
    momentum_rate = force(system, state.position, params, drive_input) - damping * state.momentum
    return State(velocity(system, state.momentum, params), momentum_rate)


def _euler(system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
           damping: jax.Array) -> State:
    rate = _vector_field(system, params, state, drive_input, damping)
    return State(state.position + step_size * rate.position, state.momentum + step_size * rate.momentum)


def _rk4(system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
         damping: jax.Array) -> State:
    def shifted(rate: State, scale: jax.Array) -> State:
        return State(state.position + scale * rate.position, state.momentum + scale * rate.momentum)

    k1 = _vector_field(system, params, state, drive_input, damping)
    k2 = _vector_field(system, params, shifted(k1, 0.5 * step_size), drive_input, damping)
    k3 = _vector_field(system, params, shifted(k2, 0.5 * step_size), drive_input, damping)
    k4 = _vector_field(system, params, shifted(k3, step_size), drive_input, damping)
    combined = State(
        (k1.position + 2 * k2.position + 2 * k3.position + k4.position) / 6,
        (k1.momentum + 2 * k2.momentum + 2 * k3.momentum + k4.momentum) / 6,
    )
    return shifted(combined, step_size)


def step(system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
         damping: jax.Array, integrator: str = "leapfrog") -> tuple[State, jax.Array]:
    """One integrator step with the input held fixed; returns (new state, force-evaluation position).

    The second value is where the step evaluated the potential: the half-step position for the
    leapfrog, the mean of the two end positions for the non-reversible integrators.
    """
    if integrator == "leapfrog":
        return _leapfrog(system, params, state, drive_input, step_size, damping)
    if integrator == "euler":
        new_state = _euler(system, params, state, drive_input, step_size, damping)
    elif integrator == "rk4":
        new_state = _rk4(system, params, state, drive_input, step_size, damping)
    else:
        check_integrator(integrator)
        raise AssertionError("unreachable")
    return new_state, 0.5 * (state.position + new_state.position)


def step_action(system: System, before: State, after: State, force_position: jax.Array, step_size: jax.Array,
                integrator: str = "leapfrog", gradient_point: str = "half") -> Callable[[Params, jax.Array], jax.Array]:
    """The step's action h H as a function of (theta, u) at a fixed state: its gradient is the step integrand.

    For the leapfrog the kinetic part is read at the momenta held during the two drifts and the
    potential part at ``force_position`` (``gradient_point="half"``) or at the new full-step position.
    """
    if gradient_point not in GRADIENT_POINTS:
        raise ValueError(f"unknown gradient point {gradient_point!r}; choose one of {list(GRADIENT_POINTS)}")
    potential_position = force_position if gradient_point == "half" else after.position
    if integrator == "leapfrog":
        def action(theta: Params, drive: jax.Array) -> jax.Array:
            kinetic = 0.5 * (system.kinetic(before.momentum, theta) + system.kinetic(after.momentum, theta))
            return step_size * (kinetic + system.potential(potential_position, theta, drive))
    else:
        mid_momentum = 0.5 * (before.momentum + after.momentum)

        def action(theta: Params, drive: jax.Array) -> jax.Array:
            kinetic = system.kinetic(mid_momentum, theta)
            return step_size * (kinetic + system.potential(potential_position, theta, drive))

    return action


def step_integrand(system: System, params: Params, before: State, after: State, force_position: jax.Array,
                   drive_input: jax.Array, step_size: jax.Array, integrator: str = "leapfrog",
                   gradient_point: str = "half") -> tuple[Params, jax.Array]:
    """(h dH/dtheta, h dH/du) for one step: the local partial derivatives of the step's action.

    These are derivatives of the *Hamiltonian at fixed state* (spec b, S(eps)); nothing is
    differentiated through time here.
    """
    action = step_action(system, before, after, force_position, step_size, integrator, gradient_point)
    return jax.grad(action, argnums=(0, 1))(params, drive_input)


def step_integrand_difference(system: System, params: Params, before: State, after: State,
                              force_position: jax.Array, drive_input: jax.Array, step_size: jax.Array,
                              integrator: str = "leapfrog", gradient_point: str = "half") -> tuple[Params, jax.Array]:
    """Step integrand of echo 0 minus that of echo 1, for a pair of states (leading axis 2).

    The same numbers as the difference of two :func:`step_integrand` calls, but computed as the
    gradient of the *difference of the two actions*, with theta and u shared: a term linear in a
    parameter (such as the drive (B u) . q) costs one outer product of the position difference
    instead of two, and the difference is formed before the products (less float cancellation).
    """

    def paired_action(theta: Params, drive: jax.Array) -> jax.Array:
        def one(before_i: State, after_i: State, force_i: jax.Array) -> jax.Array:
            return step_action(system, before_i, after_i, force_i, step_size, integrator, gradient_point)(theta, drive)

        actions = jax.vmap(one)(before, after, force_position)
        return actions[0] - actions[1]

    return jax.grad(paired_action, argnums=(0, 1))(params, drive_input)


def simulate(system: System, params: Params, initial: State, inputs: jax.Array, step_size: jax.Array,
             damping: jax.Array | float = 0.0, integrator: str = "leapfrog") -> State:
    """Run the system over an input sequence; returns the N+1 states (initial state first)."""
    damping = jnp.asarray(damping, inputs.dtype)

    def body(state: State, drive_input: jax.Array) -> tuple[State, State]:
        new_state, _ = step(system, params, state, drive_input, step_size, damping, integrator)
        return new_state, new_state

    _, states = jax.lax.scan(body, initial, inputs)
    return jax.tree.map(lambda first, rest: jnp.concatenate([first[None], rest]), initial, states)
