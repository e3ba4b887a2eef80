"""Experiments: a config in, NumPy results out. Pages (through ``rhel_viz.ui.cache``) call these."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import jax
import numpy as np

from rhel_viz.adjoint import bptt_costates, echo_costates
from rhel_viz.bptt import bptt_gradients
from rhel_viz.losses import Sequence, step_loss
from rhel_viz.metrics import agreement
from rhel_viz.problems import ProblemConfig, build_problem
from rhel_viz.rhel import ESTIMATORS, echo_retrace_error, rhel_gradients, rhel_trace
from rhel_viz.sweeps import DEFAULT_EPS_GRID, relative_errors_over_eps, rhel_gradients_over_eps
from rhel_viz.systems import Params, System


def _numpy(tree: Any) -> Any:
    return jax.tree.map(np.asarray, tree)


def run_echo_trace(config: ProblemConfig, eps: float, damping: float = 0.0, integrator: str = "leapfrog",
                   gradient_point: str = "half") -> dict[str, Any]:
    """Forward run, echoes at 0/+eps/-eps, RHEL and BPTT gradients, as NumPy arrays."""
    problem = build_problem(config)
    args = (problem.system, problem.params, problem.initial, problem.data, problem.step_size)
    trace = rhel_trace(*args, eps, damping, integrator=integrator, gradient_point=gradient_point)
    bptt = bptt_gradients(*args, damping, integrator=integrator)
    return {
        "trace": _numpy(trace),
        "bptt": _numpy(bptt),
        "retrace_error": float(echo_retrace_error(trace)),
        "params": _numpy(problem.params),
        "data": _numpy(problem.data),
    }


@dataclass(frozen=True)
class GradientLabSettings:
    """How the gradient lab runs RHEL: the physics of the echo plus the "what breaks it" choices."""

    eps: float = 1e-4
    damping: float = 0.0
    integrator: str = "leapfrog"
    gradient_point: str = "half"
    estimator: str = "centred"


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
    """Reasons why the comparison is meaningless (empty when it is meaningful); keys of ``gradients_messages.md``."""
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
    and ``problems`` (message keys; empty when the comparison is meaningful).
    """
    problem = build_problem(config)
    args = (problem.system, problem.params, problem.initial, problem.data, problem.step_size)
    trace = rhel_trace(*args, settings.eps, settings.damping, integrator=settings.integrator,
                       gradient_point=settings.gradient_point)
    if settings.estimator == "centred":
        rhel = trace.gradients
    else:
        rhel = rhel_gradients(*args, settings.eps, settings.damping, integrator=settings.integrator,
                              estimator=settings.estimator, gradient_point=settings.gradient_point)
    bptt = bptt_gradients(*args, settings.damping, integrator=settings.integrator)
    bptt_costate = bptt_costates(*args, settings.damping, integrator=settings.integrator)
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
        "settings": settings,
    }


def run_eps_sweep(config: ProblemConfig, settings: GradientLabSettings,
                  eps_values: np.ndarray = DEFAULT_EPS_GRID) -> dict[str, Any]:
    """Relative error of RHEL against float64 BPTT for every eps, in float32 and float64, both estimators.

    ``settings.eps`` is ignored (the sweep covers the grid); the rest (friction, integrator, gradient
    point) applies. Returns ``eps`` and ``errors``: {(dtype, estimator): array over eps}.
    """
    reference_problem = build_problem(replace(config, dtype="float64"))
    args = (reference_problem.system, reference_problem.params, reference_problem.initial,
            reference_problem.data, reference_problem.step_size)
    reference = _numpy(bptt_gradients(*args, settings.damping, integrator=settings.integrator).params)
    errors = {}
    for dtype in SWEEP_DTYPES:
        problem = build_problem(replace(config, dtype=dtype))
        for estimator in ESTIMATORS:
            gradients = rhel_gradients_over_eps(
                problem.system, problem.params, problem.initial, problem.data, problem.step_size, eps_values,
                settings.damping, integrator=settings.integrator, estimator=estimator,
                gradient_point=settings.gradient_point)
            errors[(dtype, estimator)] = relative_errors_over_eps(_numpy(gradients.params), reference)
    return {"eps": np.asarray(eps_values, np.float64), "errors": errors}
