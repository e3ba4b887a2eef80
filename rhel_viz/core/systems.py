"""Hamiltonian systems as data: an energy function, a readout, and default parameters.

Every system is separable, H(q, p; theta, u) = T(p; theta) + V(q; theta, u) (spec section a),
with a kinetic energy that is even in the momentum, so flipping every momentum is a time
reversal. Forces and velocities are *derived* from the energies by autodiff: the energy is the
single source of truth. A system object holds only static facts (names, sizes); parameter values
live in a separate PyTree (a dict of arrays) so they can be traced and changed without recompiling.

Three systems are provided:

* :class:`MassSpringChain`: n masses on a line between two walls (spec teaching moment 2);
* :class:`LinearHRU`: P independent oscillators, the linear Hamiltonian Recurrent Unit (spec d);
* :class:`NonlinearHRU`: the log-cosh (UnICORNN-like) nonlinear HRU (spec d).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

Params = dict[str, jax.Array]


def _inverse_softplus(value: np.ndarray) -> np.ndarray:
    """Raw value whose softplus is ``value`` (used to initialise squashed parameters)."""
    return value + np.log(-np.expm1(-value))


@dataclass(frozen=True)
class MassSpringChain:
    """A chain of ``n_masses`` masses between two walls, driven by one input force.

    Positions are displacements from rest. Springs: one from the left wall to mass 0, one between
    each neighbouring pair (the *coupling* springs), one from the last mass to the right wall.

        T = sum_i p_i^2 / (2 m_i)
        V = 1/2 k_wall[0] q_0^2 + 1/2 sum_i k_coupling[i] (q_{i+1} - q_i)^2
            + 1/2 k_wall[1] q_{n-1}^2 - u * sum_i drive_i q_i

    The readout is the position of mass ``target_mass``; the loss asks it to follow a target.
    All parameters are physical values used as they are (no squashing); masses must stay positive.
    """

    n_masses: int = 2
    target_mass: int = 1
    name: str = "springs"

    @property
    def position_size(self) -> int:
        return self.n_masses

    @property
    def input_size(self) -> int:
        return 1

    @property
    def output_size(self) -> int:
        return 1

    def kinetic(self, momentum: jax.Array, params: Params) -> jax.Array:
        return 0.5 * jnp.sum(momentum**2 / params["mass"])

    def potential(self, position: jax.Array, params: Params, drive_input: jax.Array) -> jax.Array:
        stretch = position[1:] - position[:-1]
        wall = params["k_wall"][0] * position[0] ** 2 + params["k_wall"][1] * position[-1] ** 2
        coupling = jnp.sum(params["k_coupling"] * stretch**2)
        drive = drive_input[0] * jnp.dot(params["drive"], position)
        return 0.5 * (wall + coupling) - drive

    def readout(self, position: jax.Array, params: Params, drive_input: jax.Array) -> jax.Array:
        return position[self.target_mass : self.target_mass + 1]

    def default_params(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Unit masses, unit wall springs, a softer coupling spring, the drive on mass 0."""
        del seed  # the chain's defaults are fixed physical values
        drive = np.zeros(self.n_masses)
        drive[0] = 1.0
        return {
            "mass": np.ones(self.n_masses),
            "k_wall": np.ones(2),
            "k_coupling": np.full(self.n_masses - 1, 0.5),
            "drive": drive,
        }

    def squared_frequencies(self, params: Params) -> jax.Array:
        """Eigenvalues of M^-1/2 K M^-1/2: the squared normal-mode frequencies."""
        stiffness = jax.hessian(lambda q: self.potential(q, params, jnp.zeros(1, q.dtype)))(
            jnp.zeros(self.n_masses, params["mass"].dtype)
        )
        inv_sqrt_mass = 1.0 / jnp.sqrt(params["mass"])
        return jnp.linalg.eigvalsh(inv_sqrt_mass[:, None] * stiffness * inv_sqrt_mass[None, :])


@dataclass(frozen=True)
class _OscillatorBank:
    """What both HRUs share: P unit-mass oscillators driven through B, read out as C q + D u."""

    oscillators: int = 6
    input_size: int = 3
    output_size: int = 2

    @property
    def position_size(self) -> int:
        return self.oscillators

    def kinetic(self, momentum: jax.Array, params: Params) -> jax.Array:
        return 0.5 * jnp.sum(momentum**2)

    def readout(self, position: jax.Array, params: Params, drive_input: jax.Array) -> jax.Array:
        return params["C"] @ position + params["D"] @ drive_input

    def _input_and_readout_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        p, h, o = self.oscillators, self.input_size, self.output_size
        return {
            "B": rng.normal(0.0, 1.0 / np.sqrt(h), (p, h)),
            "C": rng.normal(0.0, 1.0 / np.sqrt(p), (o, p)),
            "D": rng.normal(0.0, 0.1, (o, h)),
        }


@dataclass(frozen=True)
class LinearHRU(_OscillatorBank):
    """Linear Hamiltonian Recurrent Unit: P independent oscillators (spec d, LinHRU).

        T = 1/2 |p|^2,   V = 1/2 sum_i A_i q_i^2 - (B u) . q,   readout C q + D u

    Stiffness A = relu(A_raw) >= 0 is squashed once, in :meth:`physical`.
    """

    name: str = "linear"

    @staticmethod
    def physical(params: Params) -> Params:
        """The one place where raw parameters are squashed into physical ones."""
        return {**params, "A": jax.nn.relu(params["A"])}

    def potential(self, position: jax.Array, params: Params, drive_input: jax.Array) -> jax.Array:
        stiffness = self.physical(params)["A"]
        return 0.5 * jnp.sum(stiffness * position**2) - jnp.dot(params["B"] @ drive_input, position)

    def default_params(self, seed: int = 0) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        stiffness = rng.uniform(0.2, 1.0, self.oscillators)
        return {"A": stiffness, **self._input_and_readout_params(rng)}

    def squared_frequencies(self, params: Params) -> jax.Array:
        return self.physical(params)["A"]


@dataclass(frozen=True)
class NonlinearHRU(_OscillatorBank):
    """Nonlinear HRU with the log-cosh potential (spec d, NonlinHRU), reversible form.

        T = 1/2 |p|^2
        V = alpha/2 |q|^2 + sum_i sigmoid(c_i) [log cosh(W_i q_i + (B u)_i + b_i) - log cosh((B u)_i + b_i)] / W_i

    The force is -alpha q - sigmoid(c) tanh(W q + B u + b). The subtracted q-independent term keeps
    V finite and zero at q = 0; it changes neither the dynamics nor any gradient (it cancels in the
    difference of the two echoes). Squashing happens once, in :meth:`physical`:
    W = softplus(W_raw) > 0, alpha = softplus(alpha_raw) > 0, sigmoid(c) in (0, 1).
    """

    name: str = "nonlinear"

    @staticmethod
    def physical(params: Params) -> Params:
        """The one place where raw parameters are squashed into physical ones."""
        return {
            **params,
            "W": jax.nn.softplus(params["W"]),
            "alpha": jax.nn.softplus(params["alpha"]),
            "c": jax.nn.sigmoid(params["c"]),
        }

    def potential(self, position: jax.Array, params: Params, drive_input: jax.Array) -> jax.Array:
        phys = self.physical(params)
        offset = params["B"] @ drive_input + params["b"]
        log_cosh = _log_cosh(phys["W"] * position + offset) - _log_cosh(offset)
        return 0.5 * phys["alpha"] * jnp.sum(position**2) + jnp.sum(phys["c"] * log_cosh / phys["W"])

    def default_params(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Initialisation of spec d, expressed in raw (pre-squash) coordinates."""
        rng = np.random.default_rng(seed)
        p = self.oscillators
        hamiltonian = {
            "W": _inverse_softplus(rng.uniform(0.5, 1.0, p)),
            "b": np.zeros(p),
            "c": rng.uniform(-1.0, 1.0, p),
            "alpha": _inverse_softplus(np.asarray(rng.uniform(0.1, 1.0))),
        }
        return {**hamiltonian, **self._input_and_readout_params(rng)}

    def squared_frequencies(self, params: Params) -> jax.Array:
        """Upper bound of V'' per oscillator: alpha + sigmoid(c) W (sech^2 <= 1)."""
        phys = self.physical(params)
        return phys["alpha"] + phys["c"] * phys["W"]


def _log_cosh(x: jax.Array) -> jax.Array:
    """log(cosh(x)) without overflow for large |x|."""
    return jnp.logaddexp(x, -x) - jnp.log(2.0).astype(x.dtype)


System = MassSpringChain | LinearHRU | NonlinearHRU

SYSTEMS: Mapping[str, Callable[..., System]] = {
    "springs": MassSpringChain,
    "linear": LinearHRU,
    "nonlinear": NonlinearHRU,
}


def make_system(name: str, **sizes: int) -> System:
    """Build a system by registry name; unknown names raise with the valid ones."""
    try:
        factory = SYSTEMS[name]
    except KeyError:
        raise ValueError(f"unknown system {name!r}; choose one of {sorted(SYSTEMS)}") from None
    return factory(**sizes)


def energy(system: System, position: jax.Array, momentum: jax.Array, params: Params,
           drive_input: jax.Array) -> jax.Array:
    """Total energy H = T + V at one instant."""
    return system.kinetic(momentum, params) + system.potential(position, params, drive_input)


def max_frequency(system: System, params: Params) -> jax.Array:
    """Largest (upper bound of the) angular frequency; the leapfrog is stable while h * omega < 2."""
    return jnp.sqrt(jnp.max(jnp.maximum(system.squared_frequencies(params), 0.0)))
