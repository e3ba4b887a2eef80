"""How one step of a Hamiltonian system is taken: integrators as objects, and the per-step "action" RHEL reads.

An integrator is a small frozen object (hashable, so it is a static argument of a jitted function) with
a :meth:`~Integrator.step` and two flags. The reversible one is the position-Verlet leapfrog
(drift-kick-drift, spec b, the HRU update): ``step(flip(s); u) == flip(previous s)``. The others exist
to *show what breaks the echo*:

* :class:`Leapfrog` (``"leapfrog"``): drift h/2, kick h, drift h/2; reversible and symplectic;
* :class:`Euler` (``"euler"``, explicit Euler): neither reversible nor symplectic;
* :class:`RK4` (``"rk4"``, classical Runge-Kutta): accurate but neither reversible nor symplectic.

**Friction** is not a fourth integrator: it is the ``damping`` argument every :meth:`~Integrator.step`
takes, a traced scalar gamma (changing it never recompiles, and any integrator can be damped). It adds
the force -gamma p; the leapfrog applies it as a factor exp(-gamma h / 2) on the momentum before and
after the kick (a "damped leapfrog"). No momentum flip undoes friction, so the ``reversible`` flag
describes an integrator at gamma = 0.

Each step also has a *step integrand*: the per-step contribution to the RHEL sum S = sum_k h dH/dtheta
(spec b), the gradient of the step's action h H read at the points where the step read H. For the
leapfrog it is exact for the splitting: the kinetic part is read at the momenta held during the two
drifts and the potential part at the half-step position where the force was evaluated
(``gradient_point="half"``); ``"full"`` reads the potential part at the full-step position instead, as
the published LinHRU code does (an O(h) bias). Inside a jitted function the gradient point may also be a
traced boolean (:func:`reads_at_half`), so that both readings share one compiled program.

**Step sizes.** The scans over a problem take the step size as a scalar h or as one value per step, h_t
(:func:`scanned_step_sizes`). A step of size 0 is an exact identity for every integrator here (each moves
the state by h times a rate, and the friction factor is exp(0) = 1), and its step integrand h dH/dtheta is
exactly 0: that is how a padded problem switches off its steps beyond N (:func:`rhel_viz.core.problem.padded`).

Adding an integrator touches this file only: a subclass of :class:`Integrator`, and one entry in
:data:`INTEGRATORS` (whose names are what configurations refer to).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from rhel_viz.core.systems import Params, System

GRADIENT_POINTS: tuple[str, ...] = ("half", "full")
#: Where the step integrand reads dV/dtheta: a name of :data:`GRADIENT_POINTS`, or (inside a jitted function,
#: so that both share one program) a boolean array, True for the half step.
GradientPoint = str | jax.Array


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


class Integrator(abc.ABC):
    """One step of h with the input held fixed (spec b). Subclasses are frozen dataclasses without fields.

    ``name`` is the registry key; ``reversible``: step(Sigma_z Phi_t; u_t) = Sigma_z Phi_{t-1} at zero
    friction (the condition for an HRU, spec b); ``symplectic``: the step preserves phase-space volume.
    """

    name: ClassVar[str]
    reversible: ClassVar[bool]
    symplectic: ClassVar[bool]

    @abc.abstractmethod
    def step(self, system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
             damping: jax.Array) -> tuple[State, jax.Array]:
        """(new state, force-evaluation position): where the step evaluated the potential, at which the
        step integrand reads dV/dtheta (``gradient_point="half"``)."""

    def kinetic_action(self, system: System, before: State, after: State, params: Params) -> jax.Array:
        """The kinetic part of the step's action divided by h: T at the mean of the two momenta."""
        return system.kinetic(0.5 * (before.momentum + after.momentum), params)


@dataclass(frozen=True)
class Leapfrog(Integrator):
    """Position Verlet, drift-kick-drift (spec b, the HRU update); friction as exp(-gamma h/2) around the kick.

        q_{t-1/2} = q_{t-1} + h/2 dT/dp(p_{t-1}),   p_t = p_{t-1} - h dV/dq(q_{t-1/2}; u_t),
        q_t = q_{t-1/2} + h/2 dT/dp(p_t).
    """

    name: ClassVar[str] = "leapfrog"
    reversible: ClassVar[bool] = True
    symplectic: ClassVar[bool] = True

    def step(self, system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
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

    def kinetic_action(self, system: System, before: State, after: State, params: Params) -> jax.Array:
        """The mean of T at the momenta held during the two drifts (exact for the splitting)."""
        return 0.5 * (system.kinetic(before.momentum, params) + system.kinetic(after.momentum, params))


def _vector_field(system: System, params: Params, state: State, drive_input: jax.Array, damping: jax.Array) -> State:
    """(dq/dt, dp/dt) = (dT/dp, -dV/dq - gamma p)."""
    momentum_rate = force(system, state.position, params, drive_input) - damping * state.momentum
    return State(velocity(system, state.momentum, params), momentum_rate)


def _midpoint(before: State, after: State) -> jax.Array:
    """Where the explicit (non-splitting) steps report their force evaluation: the mean of the end positions."""
    return 0.5 * (before.position + after.position)


@dataclass(frozen=True)
class Euler(Integrator):
    """Explicit Euler: Phi_t = Phi_{t-1} + h f(Phi_{t-1}). Neither reversible nor symplectic."""

    name: ClassVar[str] = "euler"
    reversible: ClassVar[bool] = False
    symplectic: ClassVar[bool] = False

    def step(self, system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
             damping: jax.Array) -> tuple[State, jax.Array]:
        rate = _vector_field(system, params, state, drive_input, damping)
        new_state = State(state.position + step_size * rate.position, state.momentum + step_size * rate.momentum)
        return new_state, _midpoint(state, new_state)


@dataclass(frozen=True)
class RK4(Integrator):
    """Classical fourth-order Runge-Kutta: accurate, but neither reversible nor symplectic."""

    name: ClassVar[str] = "rk4"
    reversible: ClassVar[bool] = False
    symplectic: ClassVar[bool] = False

    def step(self, system: System, params: Params, state: State, drive_input: jax.Array, step_size: jax.Array,
             damping: jax.Array) -> tuple[State, jax.Array]:
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
        new_state = shifted(combined, step_size)
        return new_state, _midpoint(state, new_state)


#: The default integrator: the only reversible one.
LEAPFROG: Integrator = Leapfrog()
#: Integrators by name: the names configurations use.
INTEGRATORS: Mapping[str, Integrator] = MappingProxyType({
    integrator.name: integrator for integrator in (LEAPFROG, Euler(), RK4())
})
REVERSIBLE_INTEGRATORS: tuple[str, ...] = tuple(name for name, value in INTEGRATORS.items() if value.reversible)


def integrator_named(name: str) -> Integrator:
    """The integrator registered under ``name``; an unknown name raises ValueError with the valid ones."""
    try:
        return INTEGRATORS[name]
    except KeyError:
        raise ValueError(f"unknown integrator {name!r}; choose one of {list(INTEGRATORS)}") from None


def ensure_integrator(integrator: object) -> None:
    """Raise TypeError unless ``integrator`` is an :class:`Integrator` (look names up with :func:`integrator_named`)."""
    if not isinstance(integrator, Integrator):
        raise TypeError(f"integrator must be an Integrator such as INTEGRATORS[name], name one of {list(INTEGRATORS)}; "
                        f"got {integrator!r}")


def check_gradient_point(gradient_point: str) -> None:
    """Raise ValueError naming the valid gradient points unless ``gradient_point`` is one of them."""
    if gradient_point not in GRADIENT_POINTS:
        raise ValueError(f"unknown gradient point {gradient_point!r}; choose one of {list(GRADIENT_POINTS)}")


def reads_at_half(gradient_point: GradientPoint) -> jax.Array:
    """True (a boolean array) where dV/dtheta is read at the half step: a name is checked and converted, a
    boolean array (possibly traced) is returned as it is."""
    if isinstance(gradient_point, str):
        check_gradient_point(gradient_point)
        return jnp.asarray(gradient_point == "half")
    return jnp.asarray(gradient_point, bool)


def scanned_step_sizes(step_size: jax.Array | float, steps: int) -> jax.Array | None:
    """What a scan over ``steps`` steps reads its step size from, beside its other per-step values: the (N,)
    array of h_t, or None for a scalar h, which the scan body closes over (no (N,) array is made, so a
    scalar h keeps the scan's memory independent of N). Use :func:`step_size_at` in the body.

    h_t = 0 makes step t an exact identity (see the module docstring): a padded problem's switched-off steps.
    """
    step_size = jnp.asarray(step_size)
    if step_size.ndim == 0:
        return None
    if step_size.shape != (steps,):
        raise ValueError(f"a per-step step size must have shape ({steps},), got {step_size.shape}")
    return step_size


def step_size_at(step_size: jax.Array, scanned: jax.Array | None) -> jax.Array:
    """The step size of the current step inside a scan body: the scanned h_t, or the scalar h."""
    return step_size if scanned is None else scanned


def step_action(system: System, before: State, after: State, force_position: jax.Array, step_size: jax.Array,
                integrator: Integrator = LEAPFROG,
                gradient_point: GradientPoint = "half") -> Callable[[Params, jax.Array], jax.Array]:
    """The step's action h H as a function of (theta, u) at a fixed state: its gradient is the step integrand.

    The kinetic part is read where the integrator read it (:meth:`Integrator.kinetic_action`), the
    potential part at ``force_position`` (``gradient_point="half"``) or at the new full-step position.
    """
    potential_position = jnp.where(reads_at_half(gradient_point), force_position, after.position)

    def action(theta: Params, drive: jax.Array) -> jax.Array:
        kinetic = integrator.kinetic_action(system, before, after, theta)
        return step_size * (kinetic + system.potential(potential_position, theta, drive))

    return action


def step_integrand(system: System, params: Params, before: State, after: State, force_position: jax.Array,
                   drive_input: jax.Array, step_size: jax.Array, integrator: Integrator = LEAPFROG,
                   gradient_point: GradientPoint = "half") -> tuple[Params, jax.Array]:
    """(h dH/dtheta, h dH/du) for one step: the local partial derivatives of the step's action.

    These are derivatives of the *Hamiltonian at fixed state* (spec b, S(eps)); nothing is
    differentiated through time here.
    """
    action = step_action(system, before, after, force_position, step_size, integrator, gradient_point)
    return jax.grad(action, argnums=(0, 1))(params, drive_input)


def step_integrand_difference(system: System, params: Params, before: State, after: State,
                              force_position: jax.Array, drive_input: jax.Array, step_size: jax.Array,
                              integrator: Integrator = LEAPFROG,
                              gradient_point: GradientPoint = "half") -> tuple[Params, jax.Array]:
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
             damping: jax.Array | float = 0.0, integrator: Integrator = LEAPFROG) -> State:
    """Run the system over an input sequence; returns the N+1 states (initial state first).

    ``step_size``: h, or one h_t per step (:func:`scanned_step_sizes`).
    """
    damping = jnp.asarray(damping, inputs.dtype)

    def body(state: State, per_step: tuple[jax.Array, jax.Array | None]) -> tuple[State, State]:
        drive_input, scanned_step_size = per_step
        step_size_t = step_size_at(step_size, scanned_step_size)
        new_state, _ = integrator.step(system, params, state, drive_input, step_size_t, damping)
        return new_state, new_state

    _, states = jax.lax.scan(body, initial, (inputs, scanned_step_sizes(step_size, inputs.shape[0])))
    return jax.tree.map(lambda first, rest: jnp.concatenate([first[None], rest]), initial, states)
