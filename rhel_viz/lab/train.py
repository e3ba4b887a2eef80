"""Train two copies of the same parameters side by side: one with RHEL gradients, one with BPTT.

Both copies start from the same initialisation, use the same optax optimiser (SGD or Adam) and
the same batches; only the gradient method differs. The update for one method is one jitted
function at module level; learning rate and eps are traced (changing them never recompiles) and
the optimiser is rebuilt inside the trace from its registry name.

:class:`TrainState` is a plain value (arrays, optimiser states, lists of floats) that a Streamlit
session can hold; :func:`train` is a generator that advances it and yields one :class:`StepRecord`
per update. A loss or parameter that stops being finite ends training with a message
(:class:`Diverged`), never with a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rhel_viz.core.bptt import BPTT
from rhel_viz.core.integrators import State, simulate
from rhel_viz.core.losses import Sequence
from rhel_viz.core.metrics import cosine
from rhel_viz.core.problem import Problem, gradients
from rhel_viz.core.rhel import RHEL
from rhel_viz.core.systems import Params, System
from rhel_viz.lab import costs, guards
from rhel_viz.lab.rules import OneOf, Range, check_fields, require, setting
from rhel_viz.lab.runs import DEFAULT_EPS, NUDGING
from rhel_viz.lab.tasks import TaskData, TaskSettings, build_task

OPTIMISERS: Mapping[str, Callable[[Any], optax.GradientTransformation]] = {"adam": optax.adam, "sgd": optax.sgd}
OPTIMISER = OneOf("optimiser", tuple(OPTIMISERS))
DEFAULT_OPTIMISER = "adam"
METHODS: tuple[str, ...] = ("rhel", "bptt")
#: Training is declared diverged when a loss exceeds this multiple of the first loss (or is not finite).
BLOW_UP_FACTOR = 1e6
MAX_UPDATES = 3000  # most training updates in one run (the app pauses there; an export runs at most this many)
UPDATES = Range("updates", 1, MAX_UPDATES, integer=True)


@dataclass(frozen=True)
class Hyper:
    """Values that can change during training without recompiling or resetting (checked when made)."""

    learning_rate: float = setting(0.05, Range("learning rate", 1e-6, 100.0))
    eps: float = setting(DEFAULT_EPS, NUDGING)

    def __post_init__(self) -> None:
        check_fields(self)


class StepRecord(NamedTuple):
    """Metrics of one update (losses are those of the batch, before the update)."""

    step: int
    loss_rhel: float
    loss_bptt: float
    cosine: float  # between the RHEL and the BPTT gradient of this update


class Diverged(Exception):
    """Training produced a non-finite loss or parameter; the message says what to change."""


@dataclass
class TrainState:
    """Everything a session holds between updates."""

    settings: TaskSettings
    data: TaskData
    optimiser: str
    params: dict[str, Params]  # method -> trainable parameters
    opt_states: dict[str, Any]  # method -> optax state
    step: int = 0
    history: list[StepRecord] = field(default_factory=list)
    snapshots: dict[str, list[dict[str, np.ndarray]]] = field(default_factory=dict)  # method -> per step
    error: str | None = None

    @property
    def max_relative_loss_gap(self) -> float:
        """max over steps of |L_RHEL - L_BPTT| / |L_BPTT| (nan before the first update)."""
        if not self.history:
            return float("nan")
        rhel = np.array([r.loss_rhel for r in self.history])
        bptt = np.array([r.loss_bptt for r in self.history])
        return float(np.max(np.abs(rhel - bptt) / np.maximum(np.abs(bptt), np.finfo(float).tiny)))


def check_optimiser(name: str) -> None:
    """Raise :class:`~rhel_viz.lab.rules.InvalidInput` naming an optimiser that is not registered."""
    require({"optimiser": OPTIMISER}, {"optimiser": name})


def update_cost(data: TaskData) -> int:
    """Oscillator-steps of one update (raises :class:`~rhel_viz.lab.guards.OverBudget` above the budget)."""
    return guards.check_budget("training update", data.dataset.inputs.shape[1], data.system.position_size,
                               data.batch_size)


def training_program(settings: TaskSettings, optimiser: str) -> costs.Program:
    """The compiled update of a task: its shapes (task, system, width, N, dtype; the batch follows the task)
    and the optimiser. Learning rate, eps and seed are traced."""
    return costs.Program("training update", (settings.task, settings.system, settings.width, settings.steps,
                                             settings.dtype, optimiser))


def training_cost(state: TrainState) -> costs.Cost:
    """What the next :func:`train_step` will cost now (the first update of a task's shapes compiles)."""
    data = state.data
    work = guards.work(data.dataset.inputs.shape[1], data.system.position_size, data.batch_size,
                       guards.PASSES["training update"])
    return costs.estimate(training_program(state.settings, state.optimiser), work)


def unstable_copy(state: TrainState) -> tuple[str, guards.Stability] | None:
    """The first copy (method) whose current parameters make the leapfrog unstable (h * omega_max >= 2)."""
    data = state.data
    frozen = {name: leaf for name, leaf in data.params.items() if name not in data.trainable}
    for method in METHODS:
        check = guards.stability(data.system, {**frozen, **state.params[method]}, float(data.step_size))
        if not check.stable:
            return method, check
    return None


def _numpy(tree: Any) -> Any:
    return jax.tree.map(lambda leaf: np.array(leaf), tree)


def init_state(settings: TaskSettings, optimiser: str = DEFAULT_OPTIMISER) -> TrainState:
    """Same initialisation for both copies; step 0, empty history."""
    check_optimiser(optimiser)
    data = build_task(settings)
    update_cost(data)
    trainable = {name: data.params[name] for name in data.trainable}
    opt_state = OPTIMISERS[optimiser](0.0).init(trainable)
    snapshot = _numpy(trainable)
    return TrainState(settings=settings, data=data, optimiser=optimiser,
                      params={method: trainable for method in METHODS},
                      opt_states={method: opt_state for method in METHODS},
                      snapshots={method: [snapshot] for method in METHODS})


def batch_at(data: TaskData, step: int) -> Sequence:
    """The batch used by update ``step``: consecutive samples, cycling through the dataset."""
    samples = data.dataset.inputs.shape[0]
    start = (step * data.batch_size) % samples
    index = (start + np.arange(data.batch_size)) % samples
    return jax.tree.map(lambda leaf: leaf[index], data.dataset)


def _batch_gradients(method: str, system: System, params: Params, initial: State, batch: Sequence,
                     step_size: jax.Array, eps: jax.Array) -> tuple[jax.Array, Params]:
    """Mean loss and mean parameter gradient over the batch, by RHEL or BPTT."""
    gradient_method = RHEL(eps) if method == "rhel" else BPTT()
    one = lambda data: gradients(Problem(system, params, initial, data, step_size), gradient_method)
    per_sample = jax.vmap(one)(batch)
    mean = lambda leaf: jnp.mean(leaf, axis=0)
    return mean(per_sample.loss), jax.tree.map(mean, per_sample.params)


@partial(jax.jit, static_argnames=("method", "system", "optimiser"))
def update(method: str, system: System, optimiser: str, trainable: Params, frozen: Params, opt_state: Any,
           initial: State, batch: Sequence, step_size: jax.Array, eps: jax.Array,
           learning_rate: jax.Array) -> tuple[Params, Any, jax.Array, Params]:
    """One optimiser update of the trainable parameters; returns (params, opt state, loss, gradient)."""
    loss, grads = _batch_gradients(method, system, {**frozen, **trainable}, initial, batch, step_size, eps)
    grads = {name: grads[name] for name in trainable}
    updates, opt_state = OPTIMISERS[optimiser](learning_rate).update(grads, opt_state, trainable)
    return optax.apply_updates(trainable, updates), opt_state, loss, grads


def _finite(tree: Any) -> bool:
    return all(bool(np.all(np.isfinite(np.asarray(leaf)))) for leaf in jax.tree.leaves(tree))


def train_step(state: TrainState, hyper: Hyper) -> StepRecord:
    """Advance both copies by one update (in place) and return its metrics; raises :class:`Diverged`."""
    if state.error:
        raise Diverged(state.error)
    unstable = unstable_copy(state)
    if unstable is not None:
        method, check = unstable
        state.error = (f"training stopped before update {state.step + 1}: the {method.upper()} copy's parameters "
                       f"made the leapfrog {check.message()}. Lower the learning rate, then reset.")
        raise Diverged(state.error)
    data = state.data
    dtype = data.dataset.inputs.dtype
    batch = batch_at(data, state.step)
    frozen = {name: leaf for name, leaf in data.params.items() if name not in data.trainable}
    eps, learning_rate = jnp.asarray(hyper.eps, dtype), jnp.asarray(hyper.learning_rate, dtype)
    results = {}
    for method in METHODS:
        results[method] = update(method, data.system, state.optimiser, state.params[method], frozen,
                                 state.opt_states[method], data.initial, batch, data.step_size, eps, learning_rate)
    losses = {method: float(results[method][2]) for method in METHODS}
    first = state.history[0] if state.history else None
    ceiling = BLOW_UP_FACTOR * max(first.loss_rhel, first.loss_bptt) if first else np.inf
    finite = all(np.isfinite(list(losses.values()))) and _finite([r[0] for r in results.values()])
    if not finite or max(losses.values()) > ceiling:
        state.error = (f"training stopped at update {state.step + 1}: the loss blew up (RHEL {losses['rhel']:.3g}, "
                       f"BPTT {losses['bptt']:.3g}; more than {BLOW_UP_FACTOR:.0e} times the first loss, or not "
                       "finite). "
                       "Lower the learning rate, or use float64 / a larger eps in float32, then reset.")
        raise Diverged(state.error)
    record = StepRecord(state.step + 1, losses["rhel"], losses["bptt"],
                        cosine(results["rhel"][3], results["bptt"][3]))
    for method in METHODS:
        state.params[method], state.opt_states[method] = results[method][0], results[method][1]
        state.snapshots[method].append(_numpy(state.params[method]))
    state.step += 1
    state.history.append(record)
    return record


def train(state: TrainState, hyper: Hyper, updates: int) -> Iterator[StepRecord]:
    """Yield the metrics of ``updates`` successive updates (stops early, raising, if training diverges)."""
    for _ in range(updates):
        yield train_step(state, hyper)


@partial(jax.jit, static_argnames=("system",))
def _predict(system: System, params: Params, initial: State, inputs: jax.Array, step_size: jax.Array):
    states = simulate(system, params, initial, inputs, step_size)
    readout = jax.vmap(lambda q, u: system.readout(q, params, u))(states.position[1:], inputs)
    return states.position, readout


def predictions(state: TrainState, sample: int = 0) -> dict[str, np.ndarray]:
    """Readouts of both copies and the target on one sample (plus positions for the springs plot)."""
    data = state.data
    sequence = jax.tree.map(lambda leaf: leaf[sample], data.dataset)
    result: dict[str, np.ndarray] = {
        "time": np.asarray(data.step_size) * np.arange(1, sequence.inputs.shape[0] + 1),
        "target": np.asarray(sequence.targets),
        "weights": np.asarray(sequence.weights),
    }
    for method in METHODS:
        params = {**data.params, **state.params[method]}
        positions, readout = _predict(data.system, params, data.initial, sequence.inputs, data.step_size)
        result[f"readout_{method}"] = np.asarray(readout)
        result[f"positions_{method}"] = np.asarray(positions)
    return result


def accuracy(state: TrainState, method: str = "rhel") -> float | None:
    """Classification accuracy of a copy on the whole dataset (None for tasks without classes)."""
    data = state.data
    if data.labels is None:
        return None
    params = {**data.params, **state.params[method]}
    readouts = jax.vmap(lambda inputs: _predict(data.system, params, data.initial, inputs, data.step_size)[1])(
        data.dataset.inputs)
    return float(np.mean(np.argmax(np.asarray(readouts)[:, -1], axis=-1) == data.labels))
