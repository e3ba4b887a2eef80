"""RHEL against BPTT (float64): exactness, eps scaling, what breaks it, reuse of compiled code."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rhel_viz import (
    BPTT,
    INTEGRATORS,
    LEAPFROG,
    RHEL,
    build_problem,
    echo_retrace_error,
    gradients,
    relative_error,
    rhel_gradients,
    rhel_trace,
)
from rhel_viz.core.bptt import bptt_gradients, loss_value
from rhel_viz.core.metrics import cosine
from rhel_viz.core.problem import Problem
from rhel_viz.lab.problems import ProblemConfig
from tests.helpers import compiled_versions

SYSTEMS = ["springs", "linear", "nonlinear"]
LOSSES = ["sequence", "final"]


def _problem(system: str, loss: str = "sequence", **changes):
    return build_problem(ProblemConfig(system=system, loss=loss, **changes))


def _gradients(problem, eps, damping=0.0, integrator=LEAPFROG, **options):
    rhel = gradients(problem, RHEL(eps, **options), integrator=integrator, damping=damping)
    bptt = gradients(problem, BPTT(), integrator=integrator, damping=damping)
    return rhel, bptt


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("loss", LOSSES)
def test_rhel_equals_bptt(system, loss):
    rhel, bptt = _gradients(_problem(system, loss), 1e-4)
    assert float(rhel.loss) == pytest.approx(float(bptt.loss), rel=1e-12)
    assert relative_error(rhel.params, bptt.params) < 1e-7
    assert relative_error(rhel.inputs, bptt.inputs) < 1e-7
    for name in bptt.params:
        assert relative_error(rhel.params[name], bptt.params[name]) < 1e-6, name
    # Spec a: the end of the echo is the adjoint at t = 0 (gradient w.r.t. the initial state).
    assert relative_error(rhel.initial_state, bptt.initial_state) < 1e-7


@pytest.mark.parametrize("system", SYSTEMS)
def test_free_echo_retraces_forward(system):
    problem = _problem(system)
    trace = rhel_trace(problem, 1e-3)
    assert float(echo_retrace_error(trace)) < 1e-12
    # The echo ends where the forward run started (momenta flipped).
    free_end = jax.tree.map(lambda leaf: leaf[0, -1], trace.echoes)
    np.testing.assert_allclose(free_end.position, problem.initial.position, atol=1e-12)
    np.testing.assert_allclose(-free_end.momentum, problem.initial.momentum, atol=1e-12)
    # The nudged echoes split from the free one by an amount proportional to eps.
    plus_gap = np.max(np.abs(trace.echoes.position[1] - trace.echoes.position[0]))
    assert 0 < plus_gap < 1e-1


def _error_at(problem, eps, estimator):
    rhel, bptt = _gradients(problem, eps, estimator=estimator)
    return relative_error(rhel.params, bptt.params)


def test_centred_error_falls_as_eps_squared():
    problem = _problem("nonlinear")
    ratio = _error_at(problem, 1e-2, "centred") / _error_at(problem, 1e-3, "centred")
    assert 70 < ratio < 130, ratio


def test_one_sided_error_falls_as_eps():
    problem = _problem("nonlinear")
    ratio = _error_at(problem, 1e-2, "one-sided") / _error_at(problem, 1e-3, "one-sided")
    assert 7 < ratio < 13, ratio
    assert _error_at(problem, 1e-6, "one-sided") < 1e-5


def test_damping_breaks_the_echo_but_not_bptt():
    problem = _problem("springs")
    damping = 0.05
    trace = rhel_trace(problem, 1e-4, damping=damping)
    assert float(echo_retrace_error(trace)) > 1e-2  # friction: no return to the start
    errors = []
    for eps in (1e-3, 1e-4, 1e-5):
        rhel, bptt = _gradients(problem, eps, damping)
        errors.append(relative_error(rhel.params, bptt.params))
    assert min(errors) > 1e-2, errors  # a bias that no eps removes
    assert max(errors) / min(errors) < 1.5, errors
    # BPTT is still the exact gradient of the damped loss (central finite differences).
    name = "k_coupling"
    step = 1e-6

    def loss_with(value):
        params = {**problem.params, name: problem.params[name] + value}
        return float(loss_value(problem._replace(params=params), damping=jnp.asarray(damping)))

    finite_difference = (loss_with(step) - loss_with(-step)) / (2 * step)
    _, bptt = _gradients(problem, 1e-4, damping)
    assert float(bptt.params[name][0]) == pytest.approx(finite_difference, rel=1e-6)


@pytest.mark.parametrize("integrator", ["euler", "rk4"])
def test_non_reversible_integrators_do_not_retrace(integrator):
    problem = _problem("springs", steps=100)
    trace = rhel_trace(problem, 1e-4, integrator=INTEGRATORS[integrator])
    assert float(echo_retrace_error(trace)) > 1e-8


def test_full_step_reading_is_biased_whatever_eps():
    problem = _problem("linear")
    errors = []
    for eps in (1e-3, 1e-5):
        rhel, bptt = _gradients(problem, eps, gradient_point="full")
        errors.append(relative_error({"A": rhel.params["A"], "B": rhel.params["B"]},
                                     {"A": bptt.params["A"], "B": bptt.params["B"]}))
    assert min(errors) > 1e-3, errors


def test_float32_runs_in_float32_and_agrees():
    problem = _problem("springs", dtype="float32")
    rhel, bptt = _gradients(problem, 1e-2)
    assert rhel.inputs.dtype == jnp.float32
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(rhel.params))
    assert cosine(rhel.params, bptt.params) > 0.999


def test_bptt_matches_central_finite_differences():
    problem = _problem("nonlinear", steps=20)
    _, bptt = _gradients(problem, 1e-4)
    damping = jnp.asarray(0.0)
    step = 1e-6
    for name, value in problem.params.items():
        flat = np.asarray(value, dtype=np.float64).ravel()
        estimate = np.zeros_like(flat)
        for index in range(flat.size):
            shifted = []
            for sign in (1, -1):
                trial = flat.copy()
                trial[index] += sign * step
                params = {**problem.params, name: jnp.asarray(trial.reshape(np.shape(value)))}
                shifted.append(float(loss_value(problem._replace(params=params), damping=damping)))
            estimate[index] = (shifted[0] - shifted[1]) / (2 * step)
        np.testing.assert_allclose(np.ravel(bptt.params[name]), estimate, rtol=1e-6, atol=1e-9, err_msg=name)


def test_changing_values_does_not_recompile():
    problem = _problem("springs")
    rhel_gradients(problem, 1e-4)
    bptt_gradients(problem)
    rhel_trace(problem, 1e-4)
    before = compiled_versions()
    stiffer = {**problem.params, "k_coupling": problem.params["k_coupling"] * 2, "mass": problem.params["mass"] + 1}
    changed = build_problem(dataclasses.replace(ProblemConfig(), step_size=0.05, drive_amplitude=0.3))
    for params in (problem.params, stiffer):
        for eps in (1e-3, 1e-5):
            for step_size in (0.05, 0.2):
                new = Problem(problem.system, params, changed.initial, changed.data, step_size)
                gradients(new, RHEL(eps), damping=0.01)
                gradients(new, BPTT(), damping=0.01)
                rhel_trace(new, eps, damping=0.02)
    assert compiled_versions() == before


def test_methods_are_pytrees_whose_eps_is_traced():
    problem = _problem("springs", steps=50)
    assert jax.tree.leaves(RHEL(1e-3, "one-sided")) == [1e-3]  # estimator and gradient point are static
    assert jax.tree.leaves(BPTT()) == []
    assert jax.tree.leaves(problem)[0] is jax.tree.leaves(problem.params)[0]  # the system is not a leaf
    jitted = jax.jit(gradients)  # jit's cache is keyed on the function, so other tests' calls may be in it
    sizes = []
    for eps in (1e-3, 1e-4, 1e-5):
        inside = jitted(problem, RHEL(jnp.asarray(eps)))
        outside = gradients(problem, RHEL(eps))
        np.testing.assert_allclose(inside.params["k_coupling"], outside.params["k_coupling"], rtol=1e-12)
        sizes.append(jitted._cache_size())
    assert sizes[0] == sizes[1] == sizes[2]  # a new eps is a new value, not a new program


def test_unknown_names_raise_with_the_valid_ones():
    problem = _problem("springs", steps=50)
    with pytest.raises(TypeError, match="leapfrog"):
        gradients(problem, RHEL(1e-4), integrator="verlet")
    with pytest.raises(ValueError, match="centred"):
        RHEL(1e-4, estimator="backward")
    with pytest.raises(ValueError, match="half"):
        RHEL(1e-4, gradient_point="quarter")
    with pytest.raises(ValueError, match="springs"):
        build_problem(ProblemConfig(system="pendulum"))
    with pytest.raises(ValueError, match="sequence"):
        build_problem(ProblemConfig(loss="hinge"))


def test_rhel_memory_does_not_grow_with_state_size():
    """Compiled temp memory per step: RHEL's depends on the inputs only, BPTT's on the stored states."""
    jitted = jax.jit(gradients)

    def temp_bytes(oscillators: int, steps: int) -> tuple[int, int]:
        problem = _problem("nonlinear", steps=steps, oscillators=oscillators, input_size=2)
        zero = jnp.asarray(0.0)
        rhel = jitted.lower(problem, RHEL(jnp.asarray(1e-4)), damping=zero).compile()
        bptt = jitted.lower(problem, BPTT(), damping=zero).compile()
        return rhel.memory_analysis().temp_size_in_bytes, bptt.memory_analysis().temp_size_in_bytes

    growth = {}
    for oscillators in (4, 64):
        short, long = temp_bytes(oscillators, 500), temp_bytes(oscillators, 2000)
        growth[oscillators] = [(b - a) / 1500 for a, b in zip(short, long, strict=True)]
    rhel_small, bptt_small = growth[4]
    rhel_large, bptt_large = growth[64]
    input_bytes_per_step = 2 * 8
    assert rhel_large == rhel_small  # independent of the state size
    assert rhel_large == 0 < input_bytes_per_step  # no per-step temporaries: the echo pair adds dL/du in place
    assert bptt_large > 10 * rhel_large  # BPTT stores the trajectory
