"""Physics of the integrators: energy conservation, exact reversibility, stability limits."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rhel_viz import INTEGRATORS, LEAPFROG, State, energy, flip, make_system, max_frequency, simulate
from rhel_viz.core.integrators import REVERSIBLE_INTEGRATORS, integrator_named


@partial(jax.jit, static_argnames=("system", "integrator"))
def _energies(system, params, initial, inputs, step_size, integrator=LEAPFROG):
    states = simulate(system, params, initial, inputs, step_size, 0.0, integrator)
    return jax.vmap(lambda q, p: energy(system, q, p, params, inputs[0]))(states.position, states.momentum)


def _free_springs():
    system = make_system("springs", n_masses=3, target_mass=2)
    params = {name: jnp.asarray(value) for name, value in system.default_params().items()}
    params["mass"] = jnp.asarray([1.0, 2.0, 0.5])
    initial = State(jnp.asarray([0.5, -0.2, 0.1]), jnp.asarray([0.0, 0.3, 0.0]))
    return system, params, initial


def _energy_error(step_size: float, total_time: float = 200.0) -> np.ndarray:
    system, params, initial = _free_springs()
    steps = int(round(total_time / step_size))
    energies = np.asarray(_energies(system, params, initial, jnp.zeros((steps, 1)), jnp.asarray(step_size)))
    return np.abs(energies - energies[0])


def test_leapfrog_energy_error_is_bounded_over_long_runs():
    error = _energy_error(0.1, total_time=2000.0)  # 20 000 steps, hundreds of periods
    first, last = error[: error.size // 10].max(), error[-error.size // 10 :].max()
    assert error.max() < 1e-2
    assert last < 1.5 * first  # no drift: the error oscillates instead of growing


def test_leapfrog_energy_error_shrinks_as_h_squared():
    ratio = _energy_error(0.1).max() / _energy_error(0.05).max()
    assert 3.5 < ratio < 4.5, ratio


def test_euler_energy_drifts():
    system, params, initial = _free_springs()
    energies = np.asarray(_energies(system, params, initial, jnp.zeros((2000, 1)), jnp.asarray(0.05),
                                   INTEGRATORS["euler"]))
    assert energies[-1] > 1.5 * energies[0]  # explicit Euler pumps energy in


def _step_back_error(name: str, integrator, damping: float = 0.0) -> float:
    """max |Sigma_z step(Sigma_z step(s)) - s| for one random state: zero for a reversible step."""
    system = make_system(name)
    params = {key: jnp.asarray(value) for key, value in system.default_params(3).items()}
    rng = np.random.default_rng(3)
    size = system.position_size
    state = State(jnp.asarray(rng.normal(size=size)), jnp.asarray(rng.normal(size=size)))
    drive_input = jnp.asarray(rng.normal(size=system.input_size))
    step_size, damping = jnp.asarray(0.1), jnp.asarray(damping)
    forward, _ = integrator.step(system, params, state, drive_input, step_size, damping)
    back = flip(integrator.step(system, params, flip(forward), drive_input, step_size, damping)[0])
    return max(float(jnp.max(jnp.abs(back.position - state.position))),
               float(jnp.max(jnp.abs(back.momentum - state.momentum))))


@pytest.mark.parametrize("name", ["springs", "linear", "nonlinear"])
def test_leapfrog_step_is_exactly_reversible(name):
    assert _step_back_error(name, LEAPFROG) < 1e-14


@pytest.mark.parametrize("integrator", list(INTEGRATORS.values()), ids=list(INTEGRATORS))
def test_the_reversible_flag_says_whether_a_step_undoes_itself(integrator):
    error = _step_back_error("nonlinear", integrator)
    assert (error < 1e-14) == integrator.reversible, error
    assert _step_back_error("nonlinear", integrator, damping=0.05) > 1e-6  # friction: no flip undoes it
    assert (integrator.name in REVERSIBLE_INTEGRATORS) == integrator.reversible


def test_integrators_are_static_values_looked_up_by_name():
    assert integrator_named("leapfrog") is LEAPFROG
    assert {integrator: integrator.name for integrator in INTEGRATORS.values()}  # hashable: static under jit
    assert LEAPFROG.reversible and LEAPFROG.symplectic
    with pytest.raises(ValueError, match="leapfrog"):
        integrator_named("verlet")


def test_stability_limit_of_the_leapfrog():
    """Beyond h * omega_max = 2 the leapfrog blows up; below it the motion stays bounded."""
    system, params, initial = _free_springs()
    omega = float(max_frequency(system, params))
    bounded = _energies(system, params, initial, jnp.zeros((2000, 1)), jnp.asarray(1.9 / omega))
    unstable = _energies(system, params, initial, jnp.zeros((2000, 1)), jnp.asarray(2.1 / omega))
    assert np.max(np.abs(bounded)) < 10 * float(bounded[0])
    assert not np.all(np.isfinite(unstable)) or np.max(np.abs(unstable)) > 1e6


def test_max_frequency_matches_the_normal_modes():
    system = make_system("springs", n_masses=2, target_mass=1)
    params = {name: jnp.asarray(value) for name, value in system.default_params().items()}
    # Unit masses, unit wall springs, coupling 0.5: modes sqrt(1) and sqrt(1 + 2 * 0.5).
    assert float(max_frequency(system, params)) == pytest.approx(np.sqrt(2.0), rel=1e-12)
