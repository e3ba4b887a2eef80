"""Train two copies of the same parameters side by side: one with RHEL gradients, one with BPTT.

Both copies start from the same initialisation, use the same optax optimiser (SGD or Adam) and
the same batches; only the gradient method differs. Each update also measures the claim RHEL makes
at one point: the RHEL gradient (from the echoes) and the BPTT gradient (``jax.grad`` through the
same forward scan) *at the same parameters*, the RHEL copy's. The two copies themselves drift apart
over many updates (round-off-level differences are amplified by the training dynamics), so comparing
their gradients would mix that drift into the agreement; :class:`StepRecord` keeps both facts apart.

Compiled programs: one jitted batch gradient per method (``method`` and the system are static) and one
jitted optimiser step; the same-point BPTT gradient reuses the BPTT program, so measuring the
agreement compiles nothing more. Learning rate and eps are traced (changing them never recompiles).

:class:`TrainState` is a plain value that a Streamlit session can hold, and bounded: however long
training plays, it keeps at most :data:`HISTORY_CAP` update records and :data:`SNAPSHOT_CAP` parameter
snapshots (each holding both copies), thinned to every 2**k-th update as they fill (:class:`ThinnedLog`).
:func:`train` is a generator that advances it and yields one :class:`StepRecord` per update (every
one, thinned or not). A loss or parameter that stops being finite ends training with a message
(:class:`Diverged`), never with a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, NamedTuple, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rhel_viz.core.bptt import BPTT
from rhel_viz.core.integrators import State, simulate
from rhel_viz.core.losses import Sequence
from rhel_viz.core.metrics import cosine, relative_error
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
MAX_UPDATES = 3000  # most training updates one export runs
UPDATES = Range("updates", 1, MAX_UPDATES, integer=True)
#: The most update records a :class:`TrainState` keeps (thinned to every 2**k-th update beyond), plus the latest.
HISTORY_CAP = 1024
#: The most parameter snapshots (both copies each) a :class:`TrainState` keeps, thinned likewise, plus the latest.
SNAPSHOT_CAP = 256

Item = TypeVar("Item")


@dataclass(frozen=True)
class Hyper:
    """Values that can change during training without recompiling or resetting (checked when made)."""

    learning_rate: float = setting(0.05, Range("learning rate", 1e-6, 100.0))
    eps: float = setting(DEFAULT_EPS, NUDGING)

    def __post_init__(self) -> None:
        check_fields(self)


class StepRecord(NamedTuple):
    """Metrics of one update (losses are those of the batch, before the update).

    ``cosine`` and ``rel_error`` compare the RHEL gradient with the BPTT gradient at the same parameters
    (the RHEL copy's, before the update; nan when not measured), ``gradient_norm`` is that BPTT gradient's
    norm (RHEL's error is absolute, about the same at every update, so its relative error grows as the
    gradient shrinks near a minimum). ``param_distance`` is
    |theta_RHEL - theta_BPTT| / |theta_BPTT| after the update: how far the two copies have drifted apart.
    """

    step: int
    loss_rhel: float
    loss_bptt: float
    cosine: float = float("nan")
    rel_error: float = float("nan")
    gradient_norm: float = float("nan")
    param_distance: float = float("nan")


class ThinnedLog(Generic[Item]):
    """At most ``cap`` entries (step, item) spread over every step so far, plus the latest one.

    Steps that are a multiple of ``stride`` are kept; when more than ``cap`` are kept, the stride doubles
    and every other entry goes. So the kept steps stay evenly spread from the first to the latest, and
    memory stays bounded however many steps are added.
    """

    def __init__(self, cap: int) -> None:
        if cap < 2:
            raise ValueError(f"a thinned log keeps at least 2 entries, got cap = {cap}")
        self.cap, self.stride = cap, 1
        self._kept: list[tuple[int, Item]] = []
        self._latest: tuple[int, Item] | None = None

    def add(self, step: int, item: Item) -> None:
        self._latest = (step, item)
        if step % self.stride:
            return
        self._kept.append((step, item))
        if len(self._kept) > self.cap:
            self.stride *= 2
            self._kept = [(kept, value) for kept, value in self._kept if kept % self.stride == 0]

    def entries(self) -> list[tuple[int, Item]]:
        """Kept entries in step order, ending with the latest step added."""
        if self._latest is not None and (not self._kept or self._kept[-1][0] != self._latest[0]):
            return [*self._kept, self._latest]
        return list(self._kept)

    def __len__(self) -> int:
        return len(self.entries())


class Diverged(Exception):
    """Training produced a non-finite loss or parameter; the message says what to change."""


Snapshot = dict[str, dict[str, np.ndarray]]  # method -> parameter name -> values


@dataclass
class TrainState:
    """Everything a session holds between updates; bounded (see :data:`HISTORY_CAP`, :data:`SNAPSHOT_CAP`)."""

    settings: TaskSettings
    data: TaskData
    optimiser: str
    params: dict[str, Params]  # method -> trainable parameters
    opt_states: dict[str, Any]  # method -> optax state
    step: int = 0
    records: ThinnedLog[StepRecord] = field(default_factory=lambda: ThinnedLog(HISTORY_CAP))
    snapshot_log: ThinnedLog[Snapshot] = field(default_factory=lambda: ThinnedLog(SNAPSHOT_CAP))
    first_loss: float | None = None  # the larger of the two copies' losses at update 1
    worst_cosine: float = float("nan")  # lowest same-point cosine over every update so far
    worst_rel_error: float = float("nan")  # highest same-point relative error over every update so far
    max_relative_loss_gap: float = float("nan")  # max over updates of |L_RHEL - L_BPTT| / |L_BPTT|
    error: str | None = None

    @property
    def history(self) -> list[StepRecord]:
        """The kept update records, in order, ending with the latest update."""
        return [record for _, record in self.records.entries()]

    @property
    def last(self) -> StepRecord | None:
        """The latest update's record (None before the first update)."""
        entries = self.records.entries()
        return entries[-1][1] if entries else None

    @property
    def snapshot_steps(self) -> np.ndarray:
        """The update after which each kept snapshot was taken (0: the initialisation)."""
        return np.array([step for step, _ in self.snapshot_log.entries()], dtype=int)

    @property
    def snapshots(self) -> dict[str, list[dict[str, np.ndarray]]]:
        """method -> the kept parameter snapshots, in the order of :attr:`snapshot_steps`."""
        entries = self.snapshot_log.entries()
        return {method: [snapshot[method] for _, snapshot in entries] for method in METHODS}

    def kept_bytes(self) -> int:
        """Bytes of the arrays and records kept in the history and snapshots (what grows while playing)."""
        snapshot_bytes = sum(leaf.nbytes for _, snapshot in self.snapshot_log.entries()
                             for leaf in jax.tree.leaves(snapshot))
        record_bytes = sum(sys.getsizeof(record) + sum(sys.getsizeof(value) for value in record)
                           for _, record in self.records.entries())
        return snapshot_bytes + record_bytes


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
    state = TrainState(settings=settings, data=data, optimiser=optimiser,
                       params={method: trainable for method in METHODS},
                       opt_states={method: opt_state for method in METHODS})
    snapshot = _numpy(trainable)
    state.snapshot_log.add(0, {method: snapshot for method in METHODS})
    return state


def batch_at(data: TaskData, step: int) -> Sequence:
    """The batch used by update ``step``: consecutive samples, cycling through the dataset."""
    samples = data.dataset.inputs.shape[0]
    start = (step * data.batch_size) % samples
    index = (start + np.arange(data.batch_size)) % samples
    return jax.tree.map(lambda leaf: leaf[index], data.dataset)


@partial(jax.jit, static_argnames=("method", "system"))
def batch_gradients(method: str, system: System, trainable: Params, frozen: Params, initial: State,
                    batch: Sequence, step_size: jax.Array, eps: jax.Array) -> tuple[jax.Array, Params]:
    """Mean loss and mean gradient of the trainable parameters over the batch, by RHEL or BPTT.

    One compiled program per method and task shapes: the BPTT copy's update and the same-point BPTT
    gradient at the RHEL copy's parameters run the same program (eps is unused by BPTT).
    """
    gradient_method = RHEL(eps) if method == "rhel" else BPTT()
    params = {**frozen, **trainable}
    one = lambda data: gradients(Problem(system, params, initial, data, step_size), gradient_method)
    per_sample = jax.vmap(one)(batch)
    mean = lambda leaf: jnp.mean(leaf, axis=0)
    return mean(per_sample.loss), {name: mean(per_sample.params[name]) for name in trainable}


@partial(jax.jit, static_argnames=("optimiser",))
def apply_gradients(optimiser: str, trainable: Params, grads: Params, opt_state: Any,
                    learning_rate: jax.Array) -> tuple[Params, Any]:
    """One optimiser step of the trainable parameters; returns (params, opt state)."""
    updates, opt_state = OPTIMISERS[optimiser](learning_rate).update(grads, opt_state, trainable)
    return optax.apply_updates(trainable, updates), opt_state


def _norm(tree: Any) -> float:
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(leaf, np.float64))) for leaf in jax.tree.leaves(tree))))


def _finite(tree: Any) -> bool:
    return all(bool(np.all(np.isfinite(np.asarray(leaf)))) for leaf in jax.tree.leaves(tree))


def train_step(state: TrainState, hyper: Hyper, check_agreement: bool = True) -> StepRecord:
    """Advance both copies by one update (in place) and return its metrics; raises :class:`Diverged`.

    ``check_agreement``: also compute the BPTT gradient at the RHEL copy's parameters (one more BPTT
    pass) for the record's same-point cosine and relative error; otherwise they are nan.
    """
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
    shared = (frozen, data.initial, batch, data.step_size, eps)
    losses, grads = {}, {}
    for method in METHODS:
        loss, grads[method] = batch_gradients(method, data.system, state.params[method], *shared)
        losses[method] = float(loss)
    same_point = batch_gradients("bptt", data.system, state.params["rhel"], *shared)[1] if check_agreement else None
    stepped = {method: apply_gradients(state.optimiser, state.params[method], grads[method],
                                       state.opt_states[method], learning_rate) for method in METHODS}
    ceiling = BLOW_UP_FACTOR * state.first_loss if state.first_loss is not None else np.inf
    finite = all(np.isfinite(list(losses.values()))) and _finite([params for params, _ in stepped.values()])
    if not finite or max(losses.values()) > ceiling:
        state.error = (f"training stopped at update {state.step + 1}: the loss blew up (RHEL {losses['rhel']:.3g}, "
                       f"BPTT {losses['bptt']:.3g}; more than {BLOW_UP_FACTOR:.0e} times the first loss, or not "
                       "finite). "
                       "Lower the learning rate, or use float64 / a larger eps in float32, then reset.")
        raise Diverged(state.error)
    for method in METHODS:
        state.params[method], state.opt_states[method] = stepped[method]
    agreement = ((cosine(grads["rhel"], same_point), relative_error(grads["rhel"], same_point),
                  _norm(same_point)) if same_point is not None else (float("nan"),) * 3)
    record = StepRecord(state.step + 1, losses["rhel"], losses["bptt"], *agreement,
                        relative_error(state.params["rhel"], state.params["bptt"]))
    _account(state, record)
    return record


def _account(state: TrainState, record: StepRecord) -> None:
    """Log the update just made: its record, a snapshot of both copies, and the running extremes."""
    state.step = record.step
    if state.first_loss is None:
        state.first_loss = max(record.loss_rhel, record.loss_bptt)
    gap = abs(record.loss_rhel - record.loss_bptt) / max(abs(record.loss_bptt), np.finfo(float).tiny)
    state.max_relative_loss_gap = float(np.nanmax([state.max_relative_loss_gap, gap]))
    if np.isfinite(record.cosine):
        state.worst_cosine = float(np.nanmin([state.worst_cosine, record.cosine]))
        state.worst_rel_error = float(np.nanmax([state.worst_rel_error, record.rel_error]))
    state.records.add(record.step, record)
    state.snapshot_log.add(record.step, {method: _numpy(state.params[method]) for method in METHODS})


def train(state: TrainState, hyper: Hyper, updates: int, check_agreement: bool = True) -> Iterator[StepRecord]:
    """Yield the metrics of ``updates`` successive updates (stops early, raising, if training diverges)."""
    for _ in range(updates):
        yield train_step(state, hyper, check_agreement)


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


def predicted_labels(state: TrainState, method: str = "rhel") -> np.ndarray | None:
    """The class a copy predicts for every sequence of the dataset (the largest readout at the last step);
    None for tasks without classes."""
    data = state.data
    if data.labels is None:
        return None
    params = {**data.params, **state.params[method]}
    readouts = jax.vmap(lambda inputs: _predict(data.system, params, data.initial, inputs, data.step_size)[1])(
        data.dataset.inputs)
    return np.argmax(np.asarray(readouts)[:, -1], axis=-1)


def digit_images(state: TrainState, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The first ``count`` sequences of the digits task as 8x8 images (rows of pixels in [0, 1]) and their
    labels; None for other tasks."""
    if state.settings.task != "digits" or state.data.labels is None:
        return None
    images = np.asarray(state.data.dataset.inputs, np.float64)[:count].reshape(-1, 8, 8)
    return images, np.asarray(state.data.labels)[:count]


def accuracy(state: TrainState, method: str = "rhel") -> float | None:
    """Classification accuracy of a copy on the whole dataset (None for tasks without classes)."""
    predicted = predicted_labels(state, method)
    return None if predicted is None else float(np.mean(predicted == state.data.labels))
