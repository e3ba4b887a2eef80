"""The gradient lab's numerics: eps sweep, what breaks RHEL, echo = adjoint, the default view."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, fields, replace

import numpy as np
import pytest

from rhel_viz.core.adjoint import bptt_costates, echo_costates
from rhel_viz.core.bptt import bptt_gradients
from rhel_viz.core.rhel import ESTIMATORS, rhel_gradients, rhel_trace
from rhel_viz.core.sweeps import relative_errors_over_eps, rhel_gradients_over_eps
from rhel_viz.lab.gradient_lab import EpsSweep, GradientLabSettings, diagnose, run_eps_sweep, run_gradient_lab
from rhel_viz.lab.problems import ProblemConfig, build_problem

SMALL = ProblemConfig(steps=50)
SWEEP_EPS = np.logspace(-12, -1, 12)


def _error_at(sweep: EpsSweep, key: tuple[str, str], eps: float) -> float:
    index = int(np.argmin(np.abs(np.log10(sweep.eps) - np.log10(eps))))
    assert np.isclose(sweep.eps[index], eps)
    return float(sweep.errors[key][index])


def test_default_view_agrees_to_1e_7_with_cosine_one():
    result = run_gradient_lab(ProblemConfig(), GradientLabSettings())
    assert result.problems == ()
    for row in result.table:
        assert row.rel_error < 1e-7, row
        assert f"{row.cosine:.6f}" == "1.000000", row
    assert result.overall.rel_error < 1e-7


def test_sweep_matches_one_call_per_eps():
    problem = build_problem(SMALL)
    eps_values = np.array([1e-2, 1e-4])
    swept = rhel_gradients_over_eps(problem, eps_values)
    for i, eps in enumerate(eps_values):
        single = rhel_gradients(problem, eps)
        for name in single.params:
            np.testing.assert_allclose(swept.params[name][i], single.params[name], rtol=1e-12, atol=1e-15)


def test_sweep_shows_eps_squared_then_round_off_in_float64():
    sweep = run_eps_sweep(SMALL, GradientLabSettings(), eps_values=SWEEP_EPS)
    centred = ("float64", "centred")
    ratio = _error_at(sweep, centred, 1e-2) / _error_at(sweep, centred, 1e-3)
    assert 70 < ratio < 130, ratio  # eps^2: a decade in eps is two decades in error
    best = float(np.min(sweep.errors[centred]))
    assert best < 1e-8
    assert _error_at(sweep, centred, 1e-12) > 100 * best  # round-off grows as 1/eps
    one_sided = ("float64", "one-sided")
    assert 7 < _error_at(sweep, one_sided, 1e-2) / _error_at(sweep, one_sided, 1e-3) < 13  # O(eps)
    # float32 bottoms out far higher than float64
    assert np.min(sweep.errors[("float32", "centred")]) > 100 * best


@pytest.mark.parametrize("breaker", [
    {"damping": 0.05},
    {"integrator": "euler"},
    {"integrator": "rk4"},
    {"gradient_point": "full"},
])
def test_each_breaker_leaves_a_bias_that_does_not_shrink_with_eps(breaker):
    settings = replace(GradientLabSettings(), **breaker)
    sweep = run_eps_sweep(SMALL, settings, eps_values=SWEEP_EPS)
    clean = run_eps_sweep(SMALL, GradientLabSettings(), eps_values=SWEEP_EPS)
    errors = sweep.errors[("float64", "centred")]
    floor = float(np.min(errors))
    assert floor > 1e-4, floor  # a floor, not round-off
    assert floor > 1e4 * float(np.min(clean.errors[("float64", "centred")]))
    # from eps = 1e-3 down to 1e-6 the error stays on the floor instead of falling as eps^2
    assert _error_at(sweep, ("float64", "centred"), 1e-6) > 0.5 * _error_at(sweep, ("float64", "centred"), 1e-3)


def test_sweep_errors_are_relative_to_the_reference():
    reference = {"a": np.array([1.0, 0.0])}
    estimates = {"a": np.array([[1.0, 0.0], [1.0, 0.5]])}
    np.testing.assert_allclose(relative_errors_over_eps(estimates, reference), [0.0, 0.5])


@pytest.mark.parametrize("system", ["springs", "linear", "nonlinear"])
@pytest.mark.parametrize("loss", ["sequence", "final"])
def test_echo_response_is_the_bptt_adjoint(system, loss):
    problem = build_problem(ProblemConfig(system=system, loss=loss, steps=40))
    eps = 1e-5
    bptt = bptt_costates(problem)
    echo = echo_costates(rhel_trace(problem, eps), eps)
    for reference, estimate in zip(bptt, echo, strict=True):
        reference, estimate = np.asarray(reference), np.asarray(estimate)
        assert np.max(np.abs(estimate - reference)) < 1e-8 * np.max(np.abs(reference))
    # the end points: lambda_N = (g_N, 0) and lambda_0 = the initial-state gradient
    initial = bptt_gradients(problem).initial_state
    np.testing.assert_allclose(bptt.position[0], initial.position, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(bptt.momentum[0], initial.momentum, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(bptt.momentum[-1], 0.0, atol=1e-15)


def test_adjoint_alignment_is_post_nudge_and_off_by_one_fails():
    """lambda_t matches the echo state *after* its nudge at k = N - t; shifting k by one step does not."""
    problem = build_problem(SMALL)
    eps = 1e-5
    bptt = np.asarray(bptt_costates(problem).position)
    echo = np.asarray(echo_costates(rhel_trace(problem, eps), eps).position)
    scale = np.max(np.abs(bptt))
    assert np.max(np.abs(echo - bptt)) < 1e-8 * scale
    assert np.max(np.abs(echo[1:] - bptt[:-1])) > 1e-3 * scale
    assert np.max(np.abs(echo[:-1] - bptt[1:])) > 1e-3 * scale


def test_accumulator_ends_at_the_rhel_gradient_and_springs_have_no_readout_part():
    result = run_gradient_lab(SMALL, GradientLabSettings())
    total = result.readout_part + result.integrand.sum(axis=0)
    np.testing.assert_allclose(total, result.rhel, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(result.readout_part, 0.0)
    k = result.labels.index("k_coupling[0]")
    assert abs(total[k] - result.bptt[k]) < 1e-8 * abs(result.bptt[k])


def test_hru_readout_part_is_not_zero():
    result = run_gradient_lab(replace(SMALL, system="linear"), GradientLabSettings())
    readout = [i for i, group in enumerate(result.groups) if group in ("C", "D")]
    assert np.all(np.abs(result.readout_part[readout]) > 0)
    assert np.all(result.integrand[:, readout] == 0)


def test_meaningless_comparisons_are_diagnosed():
    blown_up = run_gradient_lab(ProblemConfig(step_size=1.0, steps=800), GradientLabSettings(integrator="euler"))
    assert blown_up.problems == ("overflow",)
    too_small = run_gradient_lab(replace(SMALL, dtype="float32"), GradientLabSettings(eps=1e-10))
    assert "rhel_zero" in too_small.problems
    assert diagnose(np.ones(3), np.zeros(3), 1.0) == ("bptt_zero",)
    assert diagnose(np.array([np.nan, 1.0]), np.ones(2), 1.0) == ("rhel_not_finite",)


def test_results_are_frozen_and_survive_pickling():
    """st.cache_data pickles what it returns (ui/cache.py): the frozen results must come back whole."""
    result = run_gradient_lab(SMALL, GradientLabSettings())
    sweep = run_eps_sweep(SMALL, GradientLabSettings(), eps_values=np.array([1e-3, 1e-4]))
    with pytest.raises(FrozenInstanceError):
        result.loss = 0.0  # type: ignore[misc]
    for original in (result, sweep):
        copy = pickle.loads(pickle.dumps(original))
        for field in fields(original):
            np.testing.assert_equal(getattr(copy, field.name), getattr(original, field.name), err_msg=field.name)
    assert sweep.finite
    assert set(sweep.errors) == {(dtype, estimator) for dtype in ("float64", "float32") for estimator in ESTIMATORS}
    assert result.index_of("k_coupling[0]") == result.labels.index("k_coupling[0]") and result.index_of("nope") == 0
    assert result.coordinates == 2 and result.input_channels == 1
