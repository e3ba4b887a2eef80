"""Concrete problems: a system, its parameters, an initial state and an input/target sequence.

A :class:`ProblemConfig` is the typed, serialisable description of one experiment (what the CLI
flags and the page widgets set); :func:`build_problem` turns it into a :class:`rhel_viz.core.problem.Problem`
of the chosen dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import State
from rhel_viz.core.losses import loss_weights
from rhel_viz.core.problem import Problem, Sequence
from rhel_viz.core.systems import System, make_system
from rhel_viz.lab.validation import DTYPE_NAMES, validate_problem

DTYPES: dict[str, type] = {name: getattr(jnp, name) for name in DTYPE_NAMES}


@dataclass(frozen=True)
class ProblemConfig:
    """Everything that defines one run. Defaults: the paper's two-mass demo (spec teaching moment 2)."""

    system: str = "springs"
    loss: str = "sequence"
    steps: int = 200
    step_size: float = 0.1
    seed: int = 0
    dtype: str = "float64"
    # Sizes (springs use n_masses; the HRUs use oscillators / input_size / output_size).
    n_masses: int = 2
    oscillators: int = 6
    input_size: int = 3
    output_size: int = 2
    # The springs' drive and target, both sinusoidal (force on mass 0, target for the last mass).
    drive_amplitude: float = 1.0
    drive_frequency: float = 1.0
    target_amplitude: float = 0.5
    target_frequency: float = 0.7
    initial_position: float = 0.3
    # Parameter values that replace the defaults, as ((name, (values...)), ...): hashable, so a
    # config stays a cache key; the values become traced arrays (changing them never recompiles).
    param_overrides: tuple[tuple[str, tuple[float, ...]], ...] = ()

    def make_system(self) -> System:
        if self.system == "springs":
            return make_system("springs", n_masses=self.n_masses, target_mass=self.n_masses - 1)
        return make_system(self.system, oscillators=self.oscillators, input_size=self.input_size,
                           output_size=self.output_size)


def _springs_sequence(config: ProblemConfig) -> tuple[np.ndarray, np.ndarray]:
    time = config.step_size * np.arange(1, config.steps + 1)
    drive = config.drive_amplitude * np.sin(config.drive_frequency * time)[:, None]
    target = config.target_amplitude * np.sin(config.target_frequency * time)[:, None]
    return drive, target


def _random_sequence(config: ProblemConfig) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(config.seed + 1)
    inputs = rng.normal(0.0, 1.0, (config.steps, config.input_size))
    targets = rng.normal(0.0, 0.5, (config.steps, config.output_size))
    return inputs, targets


def _with_overrides(params: dict[str, np.ndarray], overrides) -> dict[str, np.ndarray]:
    params = dict(params)
    for name, values in overrides:
        if name not in params:
            raise ValueError(f"unknown parameter {name!r}; this system has {sorted(params)}")
        value = np.asarray(values, dtype=np.float64).reshape(np.shape(params[name]))
        params[name] = value
    return params


def build_problem(config: ProblemConfig) -> Problem:
    """Materialise a config as arrays of ``config.dtype``.

    The final guard: a value outside its :mod:`rhel_viz.lab.validation` rule (unknown name, out-of-range or
    non-finite number, NaN parameter override) raises :class:`~rhel_viz.lab.validation.InvalidInput` naming it.
    """
    validate_problem(config)
    dtype = DTYPES[config.dtype]
    system = config.make_system()
    params = _with_overrides(system.default_params(config.seed), config.param_overrides)
    params = {name: jnp.asarray(value, dtype) for name, value in params.items()}
    if config.system == "springs":
        inputs, targets = _springs_sequence(config)
        position = np.zeros(system.position_size)
        position[0] = config.initial_position
    else:
        inputs, targets = _random_sequence(config)
        position = np.zeros(system.position_size)
    weights = loss_weights(config.loss, config.steps)
    initial = State(jnp.asarray(position, dtype), jnp.zeros(system.position_size, dtype))
    data = Sequence(jnp.asarray(inputs, dtype), jnp.asarray(targets, dtype), jnp.asarray(weights, dtype))
    return Problem(system, params, initial, data, jnp.asarray(config.step_size, dtype))
