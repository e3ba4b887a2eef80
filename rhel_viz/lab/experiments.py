"""Experiments: a config in, NumPy results out. Pages (through ``rhel_viz.ui.cache``) call these."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.adjoint import bptt_costates, echo_costates
from rhel_viz.core.bptt import BPTT
from rhel_viz.core.integrators import GRADIENT_POINTS, INTEGRATORS, State, flip, integrator_named
from rhel_viz.core.losses import Sequence, nudge_force, step_loss
from rhel_viz.core.metrics import agreement
from rhel_viz.core.problem import gradients
from rhel_viz.core.rhel import ESTIMATORS, RHEL, echo_retrace_error, rhel_trace
from rhel_viz.core.sweeps import DEFAULT_EPS_GRID, relative_errors_over_eps, rhel_gradients_over_eps
from rhel_viz.core.systems import MassSpringChain, Params, System, energy, max_frequency
from rhel_viz.lab import guards
from rhel_viz.lab.guards import LEAPFROG_STABILITY_LIMIT, Stability
from rhel_viz.lab.problems import ProblemConfig, build_problem
from rhel_viz.lab.rules import OneOf, Range, check_fields, setting

__all__ = ["LEAPFROG_STABILITY_LIMIT", "EchoView", "GradientLabSettings", "Stability", "problem_stability",
           "run_echo_view", "run_eps_sweep", "run_gradient_lab"]

#: The nudging strength eps: its rule, and its default everywhere (pages, training, command line).
NUDGING = Range("nudging ε", 1e-12, 1.0)
DEFAULT_EPS = 1e-4


def _numpy(tree: Any) -> Any:
    return jax.tree.map(np.asarray, tree)


def _guard(config: ProblemConfig, kind: str, eps: float | None, damping: float, integrator: str,
           estimator: str = "centred", gradient_point: str = "half") -> None:
    """Entry guard of every experiment: values in range (InvalidInput), cost within budget (OverBudget).

    The values are checked by the rules of :class:`GradientLabSettings` (``eps=None``: runs that ignore eps).
    """
    GradientLabSettings(eps=DEFAULT_EPS if eps is None else eps, damping=damping, integrator=integrator,
                        estimator=estimator, gradient_point=gradient_point)
    guards.check_budget(kind, config.steps, config.make_system().position_size)


def problem_stability(config: ProblemConfig) -> Stability:
    """h * omega_max of the problem's initial parameters (checked before a page runs anything long)."""
    problem = build_problem(config)
    return guards.stability(problem.system, problem.params, config.step_size)


@dataclass(frozen=True)
class GradientLabSettings:
    """How an echo is run (eps, friction, integrator, estimator, where dH/dtheta is read); checked when made.

    The Echo page uses the first three; the gradient lab all five, including the "what breaks it" choices.
    """

    eps: float = setting(DEFAULT_EPS, NUDGING)
    damping: float = setting(0.0, Range("friction γ", 0.0, 1.0))
    integrator: str = setting("leapfrog", OneOf("integrator", tuple(INTEGRATORS)))
    gradient_point: str = setting("half", OneOf("gradient point", GRADIENT_POINTS))
    estimator: str = setting("centred", OneOf("estimator", ESTIMATORS))

    def __post_init__(self) -> None:
        check_fields(self)


#: Parameter element whose accumulator the lab shows first (spec teaching moment 2).
DEMO_PARAMETER = "k_coupling[0]"
SWEEP_DTYPES: tuple[str, ...] = ("float64", "float32")


@partial(jax.jit, static_argnames=("system",))
def _readout_gradients(system: System, params: Params, positions: jax.Array, data: Sequence) -> Params:
    """d/dtheta of sum_t l_t at the fixed forward positions: the part of dL/dtheta that no echo carries.

    A local derivative at each stored state (nothing is differentiated through time); it is zero for
    parameters that live only in the Hamiltonian, such as the springs' stiffnesses and masses.
    """
    per_step = jax.vmap(jax.grad(step_loss, argnums=1), in_axes=(None, None, 0, 0, 0, 0))(
        system, params, positions, data.inputs, data.targets, data.weights)
    return jax.tree.map(lambda leaf: leaf.sum(axis=0), per_step)


def _element_labels(params: dict[str, np.ndarray]) -> tuple[list[str], list[str]]:
    """Labels like ``k_coupling[0]`` or ``B[2,1]`` and the group (parameter name) of each element."""
    labels, groups = [], []
    for name in sorted(params):
        shape = np.shape(params[name])
        for index in np.ndindex(*shape):
            labels.append(f"{name}[{','.join(map(str, index))}]" if shape else name)
            groups.append(name)
    return labels, groups


def _flatten(params: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(params[name], np.float64)) for name in sorted(params)])


def diagnose(rhel_values: np.ndarray, bptt_values: np.ndarray, loss: float) -> list[str]:
    """Reasons why the comparison is meaningless (empty when it is meaningful).

    Each key names a message, ``assets/gradients_problem_<key>.md``.
    """
    if not np.isfinite(loss) or not np.all(np.isfinite(bptt_values)):
        return ["overflow"]
    problems = []
    if not np.all(np.isfinite(rhel_values)):
        problems.append("rhel_not_finite")
    if not np.any(bptt_values):
        problems.append("bptt_zero")
    elif not np.any(rhel_values):
        problems.append("rhel_zero")
    return problems


def _agreement_rows(rhel: dict[str, np.ndarray], bptt: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    for name in sorted(bptt):
        with np.errstate(all="ignore"):
            row = agreement(rhel[name], bptt[name])
        rows.append({"group": name, "size": int(np.size(bptt[name])), **row})
    return rows


def run_gradient_lab(config: ProblemConfig, settings: GradientLabSettings) -> dict[str, Any]:
    """RHEL against BPTT on one problem, everything the gradient lab draws, as NumPy.

    Keys: ``labels``/``groups`` (one per parameter element), ``rhel``/``bptt`` (flattened parameter
    gradients), ``table`` (agreement per parameter group, plus the inputs and the initial state),
    ``overall``, ``time``, ``rhel_inputs``/``bptt_inputs`` (N, input_size), the accumulator
    (``integrand`` (N, P): per echo step (S+ - S-)/(2 eps) in forward time, ``readout_part`` (P,)),
    the costates (``bptt_costate``/``echo_costate``: dicts of (N+1, n) arrays), ``retrace_error``
    and ``problems`` (message keys; empty when the comparison is meaningful), ``state_scale`` (largest
    |q|, |p| of the forward run, for the float32 round-off guard).
    """
    _guard(config, "gradient lab", settings.eps, settings.damping, settings.integrator, settings.estimator,
           settings.gradient_point)
    problem = build_problem(config)
    physics = {"integrator": integrator_named(settings.integrator), "damping": settings.damping}
    trace = rhel_trace(problem, settings.eps, gradient_point=settings.gradient_point, **physics)
    if settings.estimator == "centred":
        rhel = trace.gradients
    else:
        rhel = gradients(problem, RHEL(settings.eps, settings.estimator, settings.gradient_point), **physics)
    bptt = gradients(problem, BPTT(), **physics)
    bptt_costate = bptt_costates(problem, **physics)
    echo_costate = echo_costates(trace, settings.eps)

    rhel_params, bptt_params = _numpy(rhel.params), _numpy(bptt.params)
    labels, groups = _element_labels(bptt_params)
    rhel_flat, bptt_flat = _flatten(rhel_params), _flatten(bptt_params)

    # The accumulator: per echo step, the centred difference of h dH/dtheta (trace.echo_param_integrand
    # holds the echoes 0, +eps, -eps), mapped to forward time t = N - k + 1 (echo step k re-runs step t).
    integrand = _numpy(trace.echo_param_integrand)
    scale = 0.5 / settings.eps
    with np.errstate(all="ignore"):
        per_step = np.concatenate(
            [((integrand[name][1] - integrand[name][2]) * scale).reshape(config.steps, -1)
             for name in sorted(integrand)], axis=1)[::-1]
    # What the echoes do not carry: the readout's own parameter gradient, from the forward pass.
    readout_part = _flatten(_numpy(_readout_gradients(problem.system, problem.params, trace.forward.position[1:],
                                                      problem.data)))

    table = _agreement_rows(rhel_params, bptt_params)
    with np.errstate(all="ignore"):
        table.append({"group": "inputs u", "size": int(np.size(bptt.inputs)),
                      **agreement(np.asarray(rhel.inputs), np.asarray(bptt.inputs))})
        if settings.estimator == "centred":
            table.append({"group": "initial state", "size": 2 * int(np.size(bptt.initial_state.position)),
                          **agreement(_numpy(rhel.initial_state), _numpy(bptt.initial_state))})
        overall = agreement(rhel_flat, bptt_flat)
    loss = float(bptt.loss)
    return {
        "labels": labels,
        "groups": groups,
        "rhel": rhel_flat,
        "bptt": bptt_flat,
        "table": table,
        "overall": overall,
        "loss": loss,
        "time": config.step_size * np.arange(1, config.steps + 1),
        "costate_time": config.step_size * np.arange(config.steps + 1),
        "rhel_inputs": np.asarray(rhel.inputs, np.float64),
        "bptt_inputs": np.asarray(bptt.inputs, np.float64),
        "integrand": per_step,
        "readout_part": readout_part,
        "bptt_costate": {"position": np.asarray(bptt_costate.position), "momentum": np.asarray(bptt_costate.momentum)},
        "echo_costate": {"position": np.asarray(echo_costate.position), "momentum": np.asarray(echo_costate.momentum)},
        "retrace_error": float(echo_retrace_error(trace)),
        "problems": diagnose(rhel_flat, bptt_flat, loss),
        "state_scale": guards.state_scale(trace.forward.position, trace.forward.momentum),
        "settings": settings,
    }


def run_eps_sweep(config: ProblemConfig, settings: GradientLabSettings,
                  eps_values: np.ndarray = DEFAULT_EPS_GRID) -> dict[str, Any]:
    """Relative error of RHEL against float64 BPTT for every eps, in float32 and float64, both estimators.

    ``settings.eps`` is ignored (the sweep covers the grid); the rest (friction, integrator, gradient
    point) applies. Returns ``eps``, ``errors``: {(dtype, estimator): array over eps}, and ``finite``
    (False when no error is finite: nothing to draw).
    """
    _guard(config, "eps sweep", None, settings.damping, settings.integrator, settings.estimator,
           settings.gradient_point)
    physics = {"integrator": integrator_named(settings.integrator), "damping": settings.damping}
    reference_problem = build_problem(replace(config, dtype="float64"))
    reference = _numpy(gradients(reference_problem, BPTT(), **physics).params)
    errors = {}
    for dtype in SWEEP_DTYPES:
        problem = build_problem(replace(config, dtype=dtype))
        for estimator in ESTIMATORS:
            swept = rhel_gradients_over_eps(problem, eps_values, estimator=estimator,
                                            gradient_point=settings.gradient_point, **physics)
            errors[(dtype, estimator)] = relative_errors_over_eps(_numpy(swept.params), reference)
    finite = any(bool(np.isfinite(values).any()) for values in errors.values())
    return {"eps": np.asarray(eps_values, np.float64), "errors": errors, "finite": finite}


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
    """Energies, free-echo retrace error and the nudge directions, for fixed-length trajectories."""
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


def run_echo_view(config: ProblemConfig, eps: float, damping: float = 0.0,
                  integrator: str = "leapfrog") -> EchoView:
    """Forward run, echoes at 0/+eps/-eps and their energies and retrace error (no BPTT: it is not drawn)."""
    _guard(config, "echo view", eps, damping, integrator)
    problem = build_problem(config)
    trace = rhel_trace(problem, eps, integrator=integrator_named(integrator), damping=damping)
    diagnostics = _echo_diagnostics(problem.system, problem.params, trace.forward, trace.echoes, problem.data)
    forward_energy, echo_energy, retrace_error, nudge_direction, omega_max = _numpy(diagnostics)
    params = _numpy(problem.params)
    mass, stiffness = _oscillator_mass_and_stiffness(problem.system, params)
    target = target_mass = None
    if isinstance(problem.system, MassSpringChain):
        target = np.concatenate([[np.nan], np.asarray(problem.data.targets)[:, 0]])
        target_mass = problem.system.target_mass
    return EchoView(
        system=config.system, integrator=integrator, dtype=config.dtype, step_size=config.step_size,
        eps=float(eps), damping=float(damping), time=config.step_size * np.arange(config.steps + 1),
        forward=_numpy(trace.forward), echoes=_numpy(trace.echoes), forward_energy=forward_energy,
        echo_energy=echo_energy, retrace_error=retrace_error, nudge_direction=nudge_direction, target=target,
        target_mass=target_mass, mass=mass, stiffness=stiffness, max_frequency=float(omega_max),
    )
