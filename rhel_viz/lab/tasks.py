"""Training tasks: a registry mapping a name to a builder of data, a system and what is trained.

Every task returns a :class:`TaskData`: a system, its initial parameters (and which of them are
trained), the initial state, and a *dataset* of sequences with a leading sample axis. Each update
uses a batch of ``batch_size`` consecutive samples (cycling through the dataset), so RHEL and BPTT
see exactly the same batches. Sequence lengths come from a few fixed choices per task, so one
compilation serves a whole training run.

The losses are the project's weighted per-step losses (:class:`rhel_viz.core.losses.Sequence`):
``sequence`` weights (mean over time) for trajectory following, one weight on a single step for
recall and classification (MSE on one-hot targets, read at the final step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import State, simulate
from rhel_viz.core.losses import Sequence, final_weights, sequence_weights
from rhel_viz.core.systems import LinearHRU, MassSpringChain, NonlinearHRU, Params, System
from rhel_viz.lab.problems import DTYPES, PRECISION, SEED, SEQUENCE_LENGTH
from rhel_viz.lab.rules import InvalidInput, OneOf, check_fields, setting

__all__ = ["DELAY_CHOICES", "HRU_SYSTEMS", "TASKS", "WIDTH_CHOICES", "Task", "TaskData", "TaskSettings", "build_task",
           "get_task"]

#: The springs that generate the coupling-spring target (the "teacher"), and the student's start.
TEACHER_SPRINGS = {"k_coupling": (1.5,), "k_wall": (1.2, 0.8)}
#: The student starts with unequal walls: with equal walls (and equal masses) the two wall gradients
#: are equal by reciprocity, so k_wall[0] = k_wall[1] would be kept by every update.
STUDENT_SPRINGS = {"k_coupling": (0.5,), "k_wall": (0.7, 1.0)}
SPRING_STEP_SIZE = 0.1
HRU_STEP_SIZE = 0.1
#: Sum of sines the ``signal`` task must produce: (amplitude, angular frequency, phase).
SIGNAL_COMPONENTS = ((0.6, 0.7, 0.0), (0.3, 1.3, 0.5))
MEMORY_SAMPLES = 64
MEMORY_BATCH = 16
DIGITS_SAMPLES = 512
DIGITS_BATCH = 32
DIGITS_CLASSES = 10
# Shapes are compiled once per value, so the widths, delays and (per task) sequence lengths a task
# accepts come from fixed lists.
HRU_SYSTEMS: tuple[str, ...] = ("nonlinear", "linear")
WIDTH_CHOICES: tuple[int, ...] = (4, 8, 16, 32)  # oscillators of the training HRUs
DELAY_CHOICES: tuple[int, ...] = (10, 25, 50, 90, 250, 500, 900, 2000, 3900)  # the memory task uses those below N


@dataclass(frozen=True)
class TaskSettings:
    """What the user chose; hashable, so it can key caches and session state.

    Making it checks every field against its rule, and N against the task's ``step_choices``
    (:class:`~rhel_viz.lab.rules.InvalidInput` names the value and what is allowed).
    """

    task: str = setting("coupling-spring", OneOf("task", source=lambda: TASKS))
    system: str = setting("nonlinear", OneOf("system", ("springs", *HRU_SYSTEMS)))  # HRU tasks only
    width: int = setting(8, OneOf("width", WIDTH_CHOICES))  # oscillators of the HRU tasks
    steps: int = setting(100, SEQUENCE_LENGTH)  # sequence length N, one of the task's ``step_choices``
    delay: int = setting(25, OneOf("delay d", DELAY_CHOICES))  # memory task: recall after this many steps
    dtype: str = setting("float64", PRECISION)
    seed: int = setting(0, SEED)

    def __post_init__(self) -> None:
        check_fields(self)
        choices = TASKS[self.task].step_choices
        if self.steps not in choices:
            raise InvalidInput(f"sequence length N = {self.steps} is not one of {list(choices)} "
                               f"(the lengths of the task {self.task!r})")


class TaskData(NamedTuple):
    """Arrays ready to train on."""

    system: System
    params: Params  # every parameter, initial values
    trainable: tuple[str, ...]  # names of the parameters that are learned; the others stay fixed
    initial: State
    dataset: Sequence  # leading axis: samples
    batch_size: int
    step_size: jax.Array
    labels: np.ndarray | None  # class of each sample (classification tasks), else None


@dataclass(frozen=True)
class Task:
    """A registry entry: the builder and what a user should know (shown on the page)."""

    name: str
    title: str
    description: str  # one sentence: what the task tests
    systems: tuple[str, ...]
    step_choices: tuple[int, ...]
    build: Callable[[TaskSettings], TaskData]
    #: Default learning rate (Adam) and the promise tested in tests/lab/test_training.py: on default
    #: settings (seed 0, float64, eps 1e-4) the RHEL loss falls below ``target_loss`` within
    #: ``target_updates`` updates.
    learning_rate: float
    target_loss: float
    target_updates: int


def _as(dtype_name: str, tree):
    dtype = DTYPES[dtype_name]
    return jax.tree.map(lambda leaf: jnp.asarray(leaf, dtype), tree)


def _hru(settings: TaskSettings, input_size: int, output_size: int) -> System:
    if settings.system not in HRU_SYSTEMS:
        raise ValueError(f"unknown system {settings.system!r} for this task; choose one of {list(HRU_SYSTEMS)}")
    factory = NonlinearHRU if settings.system == "nonlinear" else LinearHRU
    return factory(oscillators=settings.width, input_size=input_size, output_size=output_size)


def _kick(steps: int, amplitudes: np.ndarray) -> np.ndarray:
    """Inputs that are zero except at step 1, where they give each sample a momentum kick ``amplitude``."""
    inputs = np.zeros((len(amplitudes), steps, 1))
    inputs[:, 0, 0] = amplitudes / HRU_STEP_SIZE
    return inputs


def _coupling_spring(settings: TaskSettings) -> TaskData:
    system = MassSpringChain(n_masses=2, target_mass=1)
    defaults = {name: np.asarray(value, float) for name, value in system.default_params().items()}
    params = {**defaults, **{name: np.asarray(value, float) for name, value in STUDENT_SPRINGS.items()}}
    teacher = {**defaults, **{name: np.asarray(value, float) for name, value in TEACHER_SPRINGS.items()}}
    time = SPRING_STEP_SIZE * np.arange(1, settings.steps + 1)
    inputs = np.sin(time)[:, None]
    initial = State(np.array([0.3, 0.0]), np.zeros(2))
    trajectory = simulate(system, _as("float64", teacher), _as("float64", initial), jnp.asarray(inputs),
                          jnp.asarray(SPRING_STEP_SIZE))
    targets = np.asarray(trajectory.position[1:, 1:2])
    dataset = Sequence(inputs[None], targets[None], sequence_weights(settings.steps)[None])
    return TaskData(system, _as(settings.dtype, params), ("k_coupling", "k_wall"), _as(settings.dtype, initial),
                    _as(settings.dtype, dataset), 1, _as(settings.dtype, SPRING_STEP_SIZE), None)


def _signal(settings: TaskSettings) -> TaskData:
    system = _hru(settings, input_size=1, output_size=1)
    time = HRU_STEP_SIZE * np.arange(1, settings.steps + 1)
    target = sum(amp * np.sin(freq * time + phase) for amp, freq, phase in SIGNAL_COMPONENTS)
    dataset = Sequence(_kick(settings.steps, np.ones(1)), target[None, :, None], sequence_weights(settings.steps)[None])
    return _hru_task(settings, system, dataset, 1, None)


def _memory(settings: TaskSettings) -> TaskData:
    if not 1 <= settings.delay < settings.steps:
        raise ValueError(f"the delay must be from 1 to N - 1 = {settings.steps - 1}, got {settings.delay}")
    system = _hru(settings, input_size=1, output_size=1)
    rng = np.random.default_rng(settings.seed + 1)
    amplitudes = rng.uniform(-1.0, 1.0, MEMORY_SAMPLES)
    targets = np.zeros((MEMORY_SAMPLES, settings.steps, 1))
    targets[:, settings.delay, 0] = amplitudes  # step 1 + delay (index delay)
    weights = np.zeros((MEMORY_SAMPLES, settings.steps))
    weights[:, settings.delay] = 1.0
    dataset = Sequence(_kick(settings.steps, amplitudes), targets, weights)
    return _hru_task(settings, system, dataset, MEMORY_BATCH, None)


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits (ships inside the package: no download)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data / 16.0, digits.target


def _digit_sequences(settings: TaskSettings) -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = _digits()
    rng = np.random.default_rng(settings.seed + 1)
    order = rng.permutation(len(labels))[:DIGITS_SAMPLES]
    pixels, labels = pixels[order], labels[order]
    per_step = 64 // settings.steps  # 8 steps: one row (8 pixels) per step; 64 steps: one pixel per step
    return pixels.reshape(len(labels), settings.steps, per_step), labels


def _digits_task(settings: TaskSettings) -> TaskData:
    inputs, labels = _digit_sequences(settings)
    system = _hru(settings, input_size=inputs.shape[-1], output_size=DIGITS_CLASSES)
    targets = np.zeros((len(labels), settings.steps, DIGITS_CLASSES))
    targets[np.arange(len(labels)), -1, labels] = 1.0
    weights = np.broadcast_to(final_weights(settings.steps), (len(labels), settings.steps))
    return _hru_task(settings, system, Sequence(inputs, targets, weights), DIGITS_BATCH, labels)


def _hru_task(settings: TaskSettings, system: System, dataset: Sequence, batch_size: int,
              labels: np.ndarray | None) -> TaskData:
    params = system.default_params(settings.seed)
    initial = State(np.zeros(system.position_size), np.zeros(system.position_size))
    return TaskData(system, _as(settings.dtype, params), tuple(sorted(params)), _as(settings.dtype, initial),
                    _as(settings.dtype, dataset), batch_size, _as(settings.dtype, HRU_STEP_SIZE), labels)


TASKS: Mapping[str, Task] = {
    task.name: task
    for task in (
        Task("coupling-spring", "Two masses, learn the springs",
             "The author's demo page, trained: two masses learn their three springs so that the second mass "
             "follows a target trajectory (made by the same system with other springs).",
             ("springs",), (100, 200), _coupling_spring, learning_rate=0.05, target_loss=1e-4,
             target_updates=200),
        Task("signal", "Generate a waveform",
             "An HRU kicked once at the start learns to output a sum of two sines: fitting a "
             "trajectory with the oscillators' own dynamics.",
             HRU_SYSTEMS, (100, 200), _signal, learning_rate=0.02, target_loss=5e-3, target_updates=200),
        Task("memory", "Recall after a delay",
             "An HRU must output, d steps later, the amplitude of a kick it received at the start: "
             "a long-range dependency that a conservative system keeps without forgetting.",
             HRU_SYSTEMS, (100, 1000, 4000), _memory, learning_rate=0.05, target_loss=1e-2, target_updates=200),
        Task("digits", "Handwritten digits",
             "Real data: 8x8 handwritten digits read row by row (8 steps) or pixel by pixel (64 steps); "
             "the final state's readout is compared with the one-hot class (MSE).",
             HRU_SYSTEMS, (8, 64), _digits_task, learning_rate=0.02, target_loss=0.4, target_updates=200),
    )
}


def get_task(name: str) -> Task:
    """The registry entry; unknown names raise with the valid ones."""
    try:
        return TASKS[name]
    except (KeyError, TypeError):  # TypeError: not even a name (a list from a JSON file)
        raise InvalidInput(f"unknown task {name!r}; choose one of {sorted(TASKS)}") from None


@lru_cache(maxsize=8)
def build_task(settings: TaskSettings) -> TaskData:
    """Materialise a task (its settings were checked when they were made).

    Deterministic in ``settings`` (seeded), so the few most recent are kept and shared: every session
    of a classroom starts from the same default task without rebuilding it (arrays are never mutated).
    """
    return get_task(settings.task).build(settings)
