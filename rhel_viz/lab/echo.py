"""The Echo page's experiment: a config in, an :class:`EchoView` (NumPy) out. The page calls it through
:mod:`rhel_viz.ui.cache`; :mod:`rhel_viz.plots.echo` draws it.

The run computes at the padded length of :func:`rhel_viz.lab.runs.run_length` (one compiled program for
every N the page offers) and the view keeps its first N steps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import State, flip, integrator_named
from rhel_viz.core.losses import Sequence, nudge_force
from rhel_viz.core.rhel import rhel_trace, unpadded_trace
from rhel_viz.core.systems import MassSpringChain, Params, System, energy, max_frequency
from rhel_viz.lab import costs, guards
from rhel_viz.lab.guards import Stability
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.lab.runs import build_run_problem, check_run, program, run_length, to_numpy

__all__ = ["EchoView", "echo_view_cost", "run_echo_view"]


@dataclass(frozen=True)
class EchoView:
    """What the Echo page draws: a forward run, its three echoes and their diagnostics, as NumPy.

    Echo arrays are in *echo order*: index k is echo step k, the mirror image of forward step N - k.
    The three echoes are stacked on a leading axis: free (eps = 0), nudged +eps, nudged -eps.
    """

    system: str
    integrator: str
    dtype: str
    step_size: float
    eps: float
    damping: float
    time: np.ndarray  # (N+1,) forward time t * h
    forward: State  # (N+1, n) positions and momenta
    echoes: State  # (3, N+1, n), echo order
    forward_energy: np.ndarray  # (N+1,) H(q_t, p_t; u_t)
    echo_energy: np.ndarray  # (3, N+1), echo order, with the input of the mirrored forward step
    retrace_error: np.ndarray  # (N+1,) max |E_k - Sigma_z Phi_{N-k}| of the free echo, echo order
    nudge_direction: np.ndarray  # (N+1, n) -dl/dq applied (times eps) to the echo momentum after echo step k
    target: np.ndarray | None  # (N+1,) the target of the readout mass in forward time (springs only)
    target_mass: int | None
    mass: np.ndarray  # (n,) inertia of each oscillator
    stiffness: np.ndarray  # springs: (n+1,) wall, couplings, wall; HRUs: (n,) (linearised) stiffness
    max_frequency: float

    @property
    def steps(self) -> int:
        return len(self.time) - 1

    @property
    def stability(self) -> float:
        """h * omega_max: the leapfrog is stable below 2."""
        return self.guard.value

    @property
    def guard(self) -> Stability:
        """The shared stability guard of these parameters."""
        return Stability(self.step_size, self.max_frequency)

    @property
    def stable(self) -> bool:
        return self.guard.stable

    @property
    def state_scale(self) -> float:
        """Largest |q|, |p| of the forward run (the float32 round-off guard compares eps with it)."""
        return guards.state_scale(self.forward.position, self.forward.momentum)

    @property
    def max_retrace_error(self) -> float:
        """Largest deviation of the free echo from the mirrored forward run."""
        return float(np.max(self.retrace_error))

    @property
    def finite(self) -> bool:
        arrays = (*self.forward, *self.echoes, self.forward_energy, self.echo_energy)
        return all(bool(np.all(np.isfinite(array))) for array in arrays)


@partial(jax.jit, static_argnames=("system",))
def _echo_diagnostics(system: System, params: Params, forward: State, echoes: State, data: Sequence):
    """Energies, free-echo retrace error and the nudge directions, for fixed-length trajectories (padded ones
    too: over the switched-off steps the echo is the flipped Phi_N, not nudged, and its retrace error is 0)."""
    # The state at forward time t was reached under u_t (t >= 1); the initial state is shown with u_1.
    inputs = jnp.concatenate([data.inputs[:1], data.inputs])
    energy_along = jax.vmap(lambda q, p, u: energy(system, q, p, params, u))
    forward_energy = energy_along(forward.position, forward.momentum, inputs)
    echo_energy = jax.vmap(lambda echo: energy_along(echo.position, echo.momentum, inputs[::-1]))(echoes)
    mirrored = flip(jax.tree.map(lambda leaf: leaf[::-1], forward))
    free_echo = jax.tree.map(lambda leaf: leaf[0], echoes)
    retrace_error = jnp.maximum(jnp.max(jnp.abs(free_echo.position - mirrored.position), axis=-1),
                                jnp.max(jnp.abs(free_echo.momentum - mirrored.momentum), axis=-1))

    # The nudge after echo step k uses the loss of forward step N - k (none for k = N, as in rhel.echo).
    def padded_reversed(values: jax.Array) -> jax.Array:
        return jnp.concatenate([jnp.zeros_like(values[:1]), values])[::-1]

    nudged_positions = echoes.position[1]
    loss_gradient = jax.vmap(lambda q, u, y, w: nudge_force(system, params, q, u, y, w))(
        nudged_positions, padded_reversed(data.inputs), padded_reversed(data.targets), padded_reversed(data.weights))
    return forward_energy, echo_energy, retrace_error, -loss_gradient, max_frequency(system, params)


def _oscillator_mass_and_stiffness(system: System, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(system, MassSpringChain):
        stiffness = np.concatenate([params["k_wall"][:1], params["k_coupling"], params["k_wall"][1:]])
        return np.asarray(params["mass"]), stiffness
    stiffness = np.asarray(system.squared_frequencies({k: jnp.asarray(v) for k, v in params.items()}))
    return np.ones(system.position_size), stiffness


def echo_view_cost(config: ProblemConfig, integrator: str = "leapfrog") -> costs.Cost:
    """What :func:`run_echo_view` will cost now (compiling only if nobody has run this shape yet)."""
    length = run_length("echo view", config)
    work = guards.work(length, config.make_system().position_size, 1, guards.PASSES["echo view"])
    return costs.estimate(program("echo view", config, integrator), work)


def run_echo_view(config: ProblemConfig, eps: float, damping: float = 0.0,
                  integrator: str = "leapfrog") -> EchoView:
    """Forward run, echoes at 0/+eps/-eps and their energies and retrace error (no BPTT: it is not drawn)."""
    check_run(config, "echo view", eps=eps, damping=damping, integrator=integrator)
    steps = config.steps
    problem = build_run_problem("echo view", config)
    trace = rhel_trace(problem, eps, integrator=integrator_named(integrator), damping=damping)
    diagnostics = _echo_diagnostics(problem.system, problem.params, trace.forward, trace.echoes, problem.data)
    forward_energy, echo_energy, retrace_error, nudge_direction, omega_max = to_numpy(diagnostics)
    # Back to N steps (echo-order arrays end with the N-step echo: it first crosses the padding).
    skipped = problem.data.inputs.shape[0] - steps
    trace = unpadded_trace(to_numpy(trace), steps)
    forward_energy, echo_energy = forward_energy[:steps + 1], echo_energy[:, skipped:]
    retrace_error, nudge_direction = retrace_error[skipped:], nudge_direction[skipped:]
    params = to_numpy(problem.params)
    mass, stiffness = _oscillator_mass_and_stiffness(problem.system, params)
    target = target_mass = None
    if isinstance(problem.system, MassSpringChain):
        target = np.concatenate([[np.nan], np.asarray(problem.data.targets)[:steps, 0]])
        target_mass = problem.system.target_mass
    return EchoView(
        system=config.system, integrator=integrator, dtype=config.dtype, step_size=config.step_size,
        eps=float(eps), damping=float(damping), time=config.step_size * np.arange(config.steps + 1),
        forward=trace.forward, echoes=trace.echoes, forward_energy=forward_energy,
        echo_energy=echo_energy, retrace_error=retrace_error, nudge_direction=nudge_direction, target=target,
        target_mass=target_mass, mass=mass, stiffness=stiffness, max_frequency=float(omega_max),
    )
