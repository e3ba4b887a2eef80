"""A padded problem (its steps beyond N switched off: h_t = 0, w_t = 0) gives the N-step numbers, in one program.

The Echo page and the Gradient lab run every N at one padded length (:func:`rhel_viz.core.problem.padded`),
so the forward run, the loss, both RHEL estimators (from the echoes), BPTT and the costates of a padded run
must be those of the unpadded N-step run to round-off, for every integrator, with friction, at either
gradient point.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from rhel_viz import BPTT, INTEGRATORS, RHEL, build_problem, gradients, rhel_trace, simulate
from rhel_viz.core.adjoint import bptt_costates, echo_costates
from rhel_viz.core.problem import padded, unpadded_gradients
from rhel_viz.core.rhel import unpadded_trace
from rhel_viz.core.sweeps import rhel_gradients_over_eps
from rhel_viz.lab.problems import ProblemConfig
from tests.helpers import compiled_versions

STEPS, LENGTH = 37, 64
RTOL = 1e-12
CASES = [  # (system, loss, integrator, friction, gradient point): each integrator once
    ("springs", "sequence", "leapfrog", 0.0, "half"),
    ("nonlinear", "final", "rk4", 0.05, "full"),
    ("linear", "sequence", "euler", 0.0, "half"),
]


def _same(actual, expected, what: str) -> None:
    """Every leaf equal to round-off: RTOL relative to each leaf's largest value."""
    for got, want in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
        assert got.shape == want.shape, what
        finite = np.isfinite(want)
        assert np.array_equal(finite, np.isfinite(got)), what
        scale = float(np.max(np.abs(want[finite]), initial=0.0))
        np.testing.assert_allclose(got[finite], want[finite], rtol=RTOL, atol=RTOL * scale, err_msg=what)


@pytest.mark.parametrize(("system", "loss", "integrator_name", "damping", "gradient_point"), CASES)
def test_padded_run_gives_the_n_step_numbers(system, loss, integrator_name, damping, gradient_point):
    problem = build_problem(ProblemConfig(system=system, loss=loss, steps=STEPS))
    long = padded(problem, LENGTH)
    assert long.data.inputs.shape[0] == LENGTH and long.step_size.shape == (LENGTH,)
    physics = {"integrator": INTEGRATORS[integrator_name], "damping": damping}
    eps = 1e-4

    short_states = simulate(problem.system, problem.params, problem.initial, problem.data.inputs,
                            problem.step_size, damping, physics["integrator"])
    long_states = simulate(long.system, long.params, long.initial, long.data.inputs, long.step_size, damping,
                           physics["integrator"])
    _same(jax.tree.map(lambda leaf: leaf[:STEPS + 1], long_states), short_states, "simulate")
    for leaf, last in zip(long_states, short_states, strict=True):  # the padding holds Phi_N exactly
        assert np.array_equal(np.asarray(leaf[STEPS:]), np.broadcast_to(np.asarray(last[-1]), leaf[STEPS:].shape))

    short_trace = rhel_trace(problem, eps, gradient_point=gradient_point, **physics)
    long_trace = rhel_trace(long, eps, gradient_point=gradient_point, **physics)
    _same(unpadded_trace(long_trace, STEPS), short_trace, "trace (forward, echoes, both estimators)")
    numpy_trace = unpadded_trace(jax.tree.map(np.asarray, long_trace), STEPS)  # NumPy leaves slice the same
    _same(numpy_trace, short_trace, "trace sliced in NumPy")
    _same(echo_costates(numpy_trace, eps), echo_costates(short_trace, eps), "echo costates")

    for estimator in ("centred", "one-sided"):
        method = RHEL(eps, estimator, gradient_point)
        _same(unpadded_gradients(gradients(long, method, **physics), STEPS), gradients(problem, method, **physics),
              f"RHEL {estimator}")
    _same(unpadded_gradients(gradients(long, BPTT(), **physics), STEPS), gradients(problem, BPTT(), **physics),
          "BPTT")
    _same(bptt_costates(long, **physics)[0][:STEPS + 1], bptt_costates(problem, **physics)[0], "BPTT costates")


def test_every_length_up_to_the_padding_shares_one_program_and_so_do_both_gradient_points_of_a_trace():
    def run(steps: int, gradient_point: str) -> None:
        problem = padded(build_problem(ProblemConfig(system="springs", steps=steps)), LENGTH)
        rhel_trace(problem, 1e-4, gradient_point=gradient_point)  # the gradient point is traced here
        rhel_gradients_over_eps(problem, [1e-3, 1e-4], gradient_point=gradient_point)  # and here
        gradients(problem, RHEL(1e-4))  # RHEL's gradient point is static (one program each)
        gradients(problem, BPTT())

    run(STEPS, "half")
    before = compiled_versions()
    for steps in (1, 20, LENGTH):
        for gradient_point in ("half", "full"):
            run(steps, gradient_point)
    assert compiled_versions() == before


def test_padding_to_fewer_steps_is_refused():
    with pytest.raises(ValueError, match="cannot pad"):
        padded(build_problem(ProblemConfig(steps=STEPS)), STEPS - 1)
