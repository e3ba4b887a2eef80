"""The gradient lab's experiments: a config in, frozen NumPy results out. The page calls them through
:mod:`rhel_viz.ui.cache`; :mod:`rhel_viz.plots.gradients` draws them.

* :func:`run_gradient_lab`: RHEL against BPTT on one problem, a :class:`GradientLabResult`.
* :func:`run_eps_sweep`: the relative error against eps in float32 and float64, an :class:`EpsSweep`.

Both compute at the padded length of :func:`rhel_viz.lab.runs.run_length` and keep the first N steps, and
the estimator and the gradient point are run-time values: one compiled program per system, dtype and
integrator serves every N, both estimators and both gradient points.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import jax
import numpy as np

from rhel_viz.core.adjoint import bptt_costates, echo_costates
from rhel_viz.core.bptt import BPTT
from rhel_viz.core.integrators import State, integrator_named
from rhel_viz.core.losses import Sequence, step_loss
from rhel_viz.core.metrics import agreement
from rhel_viz.core.problem import Gradients, Problem, gradients, unpadded_gradients
from rhel_viz.core.rhel import ESTIMATORS, EchoTrace, echo_retrace_error, rhel_trace, unpadded_trace
from rhel_viz.core.sweeps import DEFAULT_EPS_GRID, relative_errors_over_eps, rhel_gradients_over_eps
from rhel_viz.core.systems import Params, System
from rhel_viz.lab import costs, guards
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.lab.rules import check_fields, setting
from rhel_viz.lab.runs import (
    DEFAULT_EPS,
    ESTIMATOR,
    FRICTION,
    GRADIENT_POINT,
    INTEGRATOR,
    NUDGING,
    build_run_problem,
    check_run,
    program,
    run_length,
    to_numpy,
)

__all__ = ["DEMO_PARAMETER", "SWEEP_DTYPES", "Agreement", "EpsSweep", "GradientLabResult", "GradientLabSettings",
           "GroupAgreement", "diagnose", "run_eps_sweep", "run_gradient_lab"]

#: Parameter element whose accumulator the lab shows first (spec teaching moment 2).
DEMO_PARAMETER = "k_coupling[0]"
SWEEP_DTYPES: tuple[str, ...] = ("float64", "float32")


@dataclass(frozen=True)
class GradientLabSettings:
    """How an echo is run (eps, friction, integrator, estimator, where dH/dtheta is read); checked when made.

    The Echo page uses the first three; the gradient lab all five, including the "what breaks it" choices.
    """

    eps: float = setting(DEFAULT_EPS, NUDGING)
    damping: float = setting(0.0, FRICTION)
    integrator: str = setting("leapfrog", INTEGRATOR)
    gradient_point: str = setting("half", GRADIENT_POINT)
    estimator: str = setting("centred", ESTIMATOR)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class Agreement:
    """How far an estimate is from its reference (:func:`rhel_viz.core.metrics.agreement`)."""

    rel_error: float  # |estimate - reference| / |reference|
    cosine: float  # cosine similarity of the flattened gradients (nan if either is zero)
    norm_ratio: float  # |estimate| / |reference| (nan if the reference is zero)

    @classmethod
    def of(cls, estimate: Any, reference: Any) -> Agreement:
        """The agreement of two gradients (PyTrees or arrays); overflowing values give inf or nan, silently."""
        with np.errstate(all="ignore"):
            return cls(**agreement(estimate, reference))


@dataclass(frozen=True)
class GroupAgreement:
    """One row of the gradient lab's agreement table: a gradient group, its number of entries, its agreement."""

    group: str  # a parameter's name, "inputs u" or "initial state"
    size: int  # entries in the group
    rel_error: float
    cosine: float
    norm_ratio: float

    @classmethod
    def of(cls, group: str, estimate: Any, reference: Any, size: int | None = None) -> GroupAgreement:
        """RHEL (``estimate``) against BPTT (``reference``); ``size`` defaults to the reference's entries."""
        measures = Agreement.of(estimate, reference)
        return cls(group, int(np.size(reference)) if size is None else size, measures.rel_error, measures.cosine,
                   measures.norm_ratio)


@dataclass(frozen=True, eq=False)
class GradientLabResult:
    """RHEL against BPTT on one problem: everything the gradient lab draws, as NumPy.

    Parameter gradients are flattened to one entry per parameter element (P of them), parameters by name,
    each in C order, as ``labels`` names them. N is the sequence length, n the number of oscillators.
    """

    settings: GradientLabSettings  # what the run used
    labels: tuple[str, ...]  # (P,) "k_coupling[0]", "B[2,1]", ...
    groups: tuple[str, ...]  # (P,) the parameter (name) each element belongs to
    rhel: np.ndarray  # (P,) RHEL dL/dtheta
    bptt: np.ndarray  # (P,) BPTT dL/dtheta (jax.grad through the same forward scan)
    table: tuple[GroupAgreement, ...]  # per parameter, then the inputs u, then (centred estimator) the initial state
    overall: Agreement  # over all parameter elements
    loss: float  # the loss L of the forward run
    time: np.ndarray  # (N,) forward time t h of the steps t = 1..N
    rhel_inputs: np.ndarray  # (N, input_size) RHEL dL/du_t, float64
    bptt_inputs: np.ndarray  # (N, input_size) BPTT dL/du_t, float64
    integrand: np.ndarray  # (N, P) the accumulator: per echo step (S+ - S-)/(2 eps), in forward time
    readout_part: np.ndarray  # (P,) what no echo carries: the readout's own dL/dtheta, from the forward pass
    costate_time: np.ndarray  # (N+1,) forward time t h of t = 0..N
    bptt_costate: State  # (N+1, n) each: the BPTT adjoint dL/dq_t, dL/dp_t
    echo_costate: State  # (N+1, n) each: the echo's response mapped to the same costates
    retrace_error: float  # largest deviation of the free echo from the mirrored forward run
    problems: tuple[str, ...]  # why the comparison is meaningless (:func:`diagnose`); empty when it is meaningful
    state_scale: float  # largest |q|, |p| of the forward run, for the float32 round-off guard

    @property
    def input_channels(self) -> int:
        return int(self.rhel_inputs.shape[1])

    @property
    def coordinates(self) -> int:
        """Oscillators, i.e. the costates' coordinates."""
        return int(self.bptt_costate.position.shape[1])

    def index_of(self, label: str) -> int:
        """The index of a parameter element by its label; the first element's (0) for a label not in this run."""
        return self.labels.index(label) if label in self.labels else 0


@dataclass(frozen=True, eq=False)
class EpsSweep:
    """The relative error of RHEL against float64 BPTT over a grid of eps."""

    eps: np.ndarray  # (E,) the grid, float64, increasing
    errors: dict[tuple[str, str], np.ndarray]  # (dtype, estimator) -> (E,): SWEEP_DTYPES x the ESTIMATORS

    @property
    def finite(self) -> bool:
        """False when no error is finite: nothing to draw."""
        return any(bool(np.isfinite(values).any()) for values in self.errors.values())


@partial(jax.jit, static_argnames=("system",))
def _readout_gradients(system: System, params: Params, positions: jax.Array, data: Sequence) -> Params:
    """d/dtheta of sum_t l_t at the fixed forward positions: the part of dL/dtheta that no echo carries.

    A local derivative at each stored state (nothing is differentiated through time); it is zero for
    parameters that live only in the Hamiltonian, such as the springs' stiffnesses and masses.
    """
    per_step = jax.vmap(jax.grad(step_loss, argnums=1), in_axes=(None, None, 0, 0, 0, 0))(
        system, params, positions, data.inputs, data.targets, data.weights)
    return jax.tree.map(lambda leaf: leaf.sum(axis=0), per_step)


def element_labels(params: dict[str, np.ndarray]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Labels like ``k_coupling[0]`` or ``B[2,1]`` and the group (parameter name) of each element."""
    labels, groups = [], []
    for name in sorted(params):
        shape = np.shape(params[name])
        for index in np.ndindex(*shape):
            labels.append(f"{name}[{','.join(map(str, index))}]" if shape else name)
            groups.append(name)
    return tuple(labels), tuple(groups)


def _flatten(params: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(params[name], np.float64)) for name in sorted(params)])


def diagnose(rhel_values: np.ndarray, bptt_values: np.ndarray, loss: float) -> tuple[str, ...]:
    """Reasons why the comparison is meaningless (empty when it is meaningful).

    Each key names a message, ``assets/gradients_problem_<key>.md``.
    """
    if not np.isfinite(loss) or not np.all(np.isfinite(bptt_values)):
        return ("overflow",)
    problems = []
    if not np.all(np.isfinite(rhel_values)):
        problems.append("rhel_not_finite")
    if not np.any(bptt_values):
        problems.append("bptt_zero")
    elif not np.any(rhel_values):
        problems.append("rhel_zero")
    return tuple(problems)


def _physics(settings: GradientLabSettings) -> dict[str, Any]:
    """The integrator and friction keywords of the core's entry points."""
    return {"integrator": integrator_named(settings.integrator), "damping": settings.damping}


def _accumulator(problem: Problem, positions: jax.Array, trace: EchoTrace, eps: float) -> tuple[np.ndarray,
                                                                                                np.ndarray]:
    """(integrand (N, P), readout part (P,)): the centred estimator built up along the echo, in forward time.

    Per echo step, the centred difference of h dH/dtheta (``trace.echo_param_integrand`` holds the echoes
    0, +eps, -eps of the N-step trace), mapped to forward time t = N - k + 1 (echo step k re-runs step t);
    and what the echoes do not carry: the readout's own parameter gradient, from the forward ``positions``
    q_1.. of the padded ``problem`` (its switched-off steps weigh 0).
    """
    integrand = trace.echo_param_integrand
    steps = trace.forward.position.shape[0] - 1
    scale = 0.5 / eps
    with np.errstate(all="ignore"):
        per_step = np.concatenate(
            [((integrand[name][1] - integrand[name][2]) * scale).reshape(steps, -1)
             for name in sorted(integrand)], axis=1)[::-1]
    readout = _readout_gradients(problem.system, problem.params, positions, problem.data)
    return per_step, _flatten(to_numpy(readout))


def _agreement_table(rhel: Gradients, bptt: Gradients, estimator: str) -> tuple[GroupAgreement, ...]:
    """Per parameter, then the inputs u, then (the centred estimator has one) the initial state."""
    rhel_params, bptt_params = to_numpy(rhel.params), to_numpy(bptt.params)
    rows = [GroupAgreement.of(name, rhel_params[name], bptt_params[name]) for name in sorted(bptt_params)]
    rows.append(GroupAgreement.of("inputs u", np.asarray(rhel.inputs), np.asarray(bptt.inputs)))
    if estimator == "centred":
        rows.append(GroupAgreement.of("initial state", to_numpy(rhel.initial_state), to_numpy(bptt.initial_state),
                                      size=2 * int(np.size(bptt.initial_state.position))))
    return tuple(rows)


def gradient_lab_cost(config: ProblemConfig, settings: GradientLabSettings) -> costs.Cost:
    """What :func:`run_gradient_lab` will cost now (compiling only if nobody has run this shape and integrator
    yet: the estimator and the gradient point are run-time values)."""
    static = program("gradient lab", config, settings.integrator)
    length = run_length("gradient lab", config)
    return costs.estimate(static, guards.work(length, config.make_system().position_size, 1,
                                              guards.PASSES["gradient lab"]))


def eps_sweep_cost(config: ProblemConfig, settings: GradientLabSettings) -> costs.Cost:
    """What :func:`run_eps_sweep` will cost now (it runs both dtypes and both estimators, whatever the page's)."""
    static = program("eps sweep", replace(config, dtype="float64"), settings.integrator)
    length = run_length("eps sweep", config)
    return costs.estimate(static, guards.work(length, config.make_system().position_size, 1,
                                              guards.PASSES["eps sweep"]))


def run_gradient_lab(config: ProblemConfig, settings: GradientLabSettings) -> GradientLabResult:
    """RHEL against BPTT on one problem: everything the gradient lab draws, as a :class:`GradientLabResult`.

    Both estimators come from one trace (centred: the +eps and -eps echoes; one-sided: the +eps echo against
    the forward pass), computed at the padded length and cut back to N steps in NumPy.
    """
    check_run(config, "gradient lab", eps=settings.eps, damping=settings.damping, integrator=settings.integrator,
              estimator=settings.estimator, gradient_point=settings.gradient_point)
    steps, physics = config.steps, _physics(settings)
    problem = build_run_problem("gradient lab", config)
    padded_trace = rhel_trace(problem, settings.eps, gradient_point=settings.gradient_point, **physics)
    trace = unpadded_trace(to_numpy(padded_trace), steps)
    rhel = trace.gradients if settings.estimator == "centred" else trace.one_sided
    bptt = unpadded_gradients(to_numpy(gradients(problem, BPTT(), **physics)), steps)
    first_steps = partial(jax.tree.map, lambda leaf: leaf[:steps + 1])  # forward time t = 0..N
    bptt_costate = first_steps(to_numpy(bptt_costates(problem, **physics)))
    echo_costate = first_steps(to_numpy(echo_costates(padded_trace, settings.eps)))
    labels, groups = element_labels(bptt.params)
    rhel_flat, bptt_flat = _flatten(rhel.params), _flatten(bptt.params)
    integrand, readout_part = _accumulator(problem, padded_trace.forward.position[1:], trace, settings.eps)
    loss = float(bptt.loss)
    return GradientLabResult(
        settings=settings, labels=labels, groups=groups, rhel=rhel_flat, bptt=bptt_flat,
        table=_agreement_table(rhel, bptt, settings.estimator), overall=Agreement.of(rhel_flat, bptt_flat),
        loss=loss, time=config.step_size * np.arange(1, steps + 1),
        rhel_inputs=np.asarray(rhel.inputs, np.float64), bptt_inputs=np.asarray(bptt.inputs, np.float64),
        integrand=integrand, readout_part=readout_part, costate_time=config.step_size * np.arange(steps + 1),
        bptt_costate=bptt_costate, echo_costate=echo_costate,
        retrace_error=float(echo_retrace_error(padded_trace)), problems=diagnose(rhel_flat, bptt_flat, loss),
        state_scale=guards.state_scale(trace.forward.position, trace.forward.momentum),
    )


def run_eps_sweep(config: ProblemConfig, settings: GradientLabSettings,
                  eps_values: np.ndarray = DEFAULT_EPS_GRID) -> EpsSweep:
    """Relative error of RHEL against float64 BPTT for every eps, in float32 and float64, both estimators.

    ``settings.eps`` is ignored (the sweep covers the grid); the rest (friction, integrator, gradient
    point) applies.
    """
    check_run(config, "eps sweep", eps=None, damping=settings.damping, integrator=settings.integrator,
              estimator=settings.estimator, gradient_point=settings.gradient_point)
    physics = _physics(settings)
    reference_problem = build_run_problem("eps sweep", replace(config, dtype="float64"))
    reference = to_numpy(gradients(reference_problem, BPTT(), **physics).params)
    errors = {}
    for dtype in SWEEP_DTYPES:
        problem = build_run_problem("eps sweep", replace(config, dtype=dtype))
        for estimator in ESTIMATORS:
            swept = rhel_gradients_over_eps(problem, eps_values, estimator=estimator,
                                            gradient_point=settings.gradient_point, **physics)
            errors[(dtype, estimator)] = relative_errors_over_eps(to_numpy(swept.params), reference)
    return EpsSweep(eps=np.asarray(eps_values, np.float64), errors=errors)
