"""Concrete problems: a system, its parameters, an initial state and an input/target sequence.

A :class:`ProblemConfig` is the typed, serialisable description of one experiment (what the CLI
flags and the page widgets set); every field carries its rule (:mod:`rhel_viz.lab.rules`), checked when
the config is made. :func:`build_problem` turns a config into a :class:`rhel_viz.core.problem.Problem` of the
chosen dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import State
from rhel_viz.core.losses import LOSSES, loss_weights
from rhel_viz.core.problem import Problem, Sequence
from rhel_viz.core.systems import SYSTEMS, System, make_system
from rhel_viz.lab.rules import OneOf, Overrides, Range, check_fields, setting

DTYPES: dict[str, type] = {"float32": jnp.float32, "float64": jnp.float64}
MAX_STEPS = 100_000  # longest sequence the library accepts (command line, scripts)
MAX_SIZE = 256  # most oscillators, inputs or outputs of an HRU problem

#: Rules shared by the configs of several pages (problems, tasks, the deep page).
PRECISION = OneOf("precision", tuple(DTYPES))
SEED = Range("seed", 0, 2**32 - 1, integer=True)
SEQUENCE_LENGTH = Range("sequence length N", 1, MAX_STEPS, integer=True)
#: Ranges of the masses-and-springs parameters (masses stay positive); any other parameter need only be finite.
PARAMETERS = Overrides(ranges={"mass": Range("mass", 0.01, 100.0),
                               "k_wall": Range("wall spring k_wall", 0.0, 100.0),
                               "k_coupling": Range("coupling spring k₁₂", 0.0, 100.0)},
                       other=Range("parameter value", -1e6, 1e6))


@dataclass(frozen=True)
class ProblemConfig:
    """Everything that defines one run. Defaults: the two masses of the author's demo page (spec teaching moment 2).

    Making a config checks every field against its rule: an invalid value raises
    :class:`~rhel_viz.lab.rules.InvalidInput` naming it and the allowed range or names.
    """

    system: str = setting("springs", OneOf("system", tuple(SYSTEMS)))
    loss: str = setting("sequence", OneOf("loss", tuple(sorted(LOSSES))))
    steps: int = setting(200, SEQUENCE_LENGTH)
    step_size: float = setting(0.1, Range("step size h", 0.001, 1.0))
    seed: int = setting(0, SEED)
    dtype: str = setting("float64", PRECISION)
    # Sizes (springs use n_masses; the HRUs use oscillators / input_size / output_size).
    n_masses: int = setting(2, Range("number of masses", 2, 16, integer=True))
    oscillators: int = setting(6, Range("oscillators", 1, MAX_SIZE, integer=True))
    input_size: int = setting(3, Range("input size", 1, MAX_SIZE, integer=True))
    output_size: int = setting(2, Range("output size", 1, MAX_SIZE, integer=True))
    # The springs' drive and target, both sinusoidal (force on mass 0, target for the last mass).
    drive_amplitude: float = setting(1.0, Range("drive amplitude", -10.0, 10.0))
    drive_frequency: float = setting(1.0, Range("drive frequency ω", 0.0, 10.0))
    target_amplitude: float = setting(0.5, Range("target amplitude", -10.0, 10.0))
    target_frequency: float = setting(0.7, Range("target frequency", 0.0, 10.0))
    initial_position: float = setting(0.3, Range("initial position q₁(0)", -5.0, 5.0))
    # Parameter values that replace the defaults, as ((name, (values...)), ...): hashable, so a
    # config stays a cache key; the values become traced arrays (changing them never recompiles).
    param_overrides: tuple[tuple[str, tuple[float, ...]], ...] = setting((), PARAMETERS)

    def __post_init__(self) -> None:
        check_fields(self)

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

    Every value was checked when the config was made (unknown name, out-of-range or non-finite number,
    NaN parameter override: :class:`~rhel_viz.lab.rules.InvalidInput`), so none reaches a jitted function.
    """
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
