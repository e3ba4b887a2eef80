"""Training with RHEL and BPTT side by side: the same gradient at the same point over 1,000 updates, targets
reached, the copies' drift measured apart from the agreement, bounded history, divergence handled."""

from __future__ import annotations

import numpy as np
import pytest

from rhel_viz.lab import train as train_module
from rhel_viz.lab.tasks import TASKS, TaskSettings, build_task, get_task
from rhel_viz.lab.train import (
    Diverged,
    Hyper,
    ThinnedLog,
    accuracy,
    apply_gradients,
    batch_gradients,
    init_state,
    predictions,
    train,
    train_step,
)

UPDATES = 1000  # the acceptance run: every task, float64, eps 1e-4, Adam, seed 0, the task's shortest N, width 8
MIN_COSINE = 1 - 1e-9
MAX_REL_ERROR = 1e-6
#: RHEL's error is absolute (O(eps^2) plus round-off of about 1e-16 / eps), so its *relative* error grows without
#: bound as the gradient vanishes at a minimum: the springs task reaches a loss of 2e-11, where the gradient is a
#: millionth of its first value and the relative error 2e-4 with an absolute error as small as ever. The
#: relative criteria are therefore checked while the gradient is at least this fraction of its first norm, and
#: the absolute error (relative to the first gradient's norm) at every update.
GRADIENT_FLOOR = 1e-3


def _settings(name: str) -> TaskSettings:
    return TaskSettings(task=name, steps=TASKS[name].step_choices[0])


@pytest.fixture(scope="module", params=sorted(TASKS))
def trained(request):
    """Each task trained for 1,000 updates on its default settings, the same-point agreement at every update."""
    task = TASKS[request.param]
    state = init_state(_settings(task.name))
    records = list(train(state, Hyper(learning_rate=task.learning_rate, eps=1e-4), UPDATES))
    return task, state, records


def test_rhel_equals_bptt_at_the_same_point_at_every_update(trained):
    task, state, records = trained
    assert len(records) == UPDATES
    cosines = np.array([r.cosine for r in records])
    rel_errors = np.array([r.rel_error for r in records])
    norms = np.array([r.gradient_norm for r in records])
    steep = norms >= GRADIENT_FLOOR * norms[0]
    worst_cosine, worst_rel = cosines[steep].min(), rel_errors[steep].max()
    print(f"\n{task.name}: {steep.sum()} of {UPDATES} updates above the gradient floor: worst 1 - cosine "
          f"{1 - worst_cosine:.1e}, worst relative error {worst_rel:.1e}; over all updates "
          f"{1 - cosines.min():.1e} and {rel_errors.max():.1e} (gradient down to {norms.min() / norms[0]:.1e} "
          f"of its first norm)")
    assert steep[:100].all(), task.name  # the check covers at least the first 100 updates of every task
    assert worst_cosine > MIN_COSINE, (task.name, 1 - worst_cosine, int(np.argmin(np.where(steep, cosines, 2))) + 1)
    assert worst_rel < MAX_REL_ERROR, (task.name, worst_rel, int(np.argmax(np.where(steep, rel_errors, 0))) + 1)
    absolute = rel_errors * norms / norms[0]
    assert absolute.max() < MAX_REL_ERROR, (task.name, absolute.max(), int(absolute.argmax()) + 1)
    assert state.worst_cosine == pytest.approx(cosines.min()) and state.worst_rel_error == pytest.approx(
        rel_errors.max())


def test_the_copies_drift_apart_while_the_agreement_holds(trained):
    """The copies start equal and stay close at first; their distance is measured, not mixed into the agreement."""
    task, state, records = trained
    distances = np.array([r.param_distance for r in records])
    assert np.isfinite(distances).all() and (distances >= 0).all()
    # Adam divides each gradient entry by its size: an entry zero up to round-off moves by up to a full step, so
    # even one update can part the copies by more than the gradients differ (signal: 3e-6 after update 1).
    assert distances[0] < 1e-4, (task.name, distances[0])
    flat = lambda params: np.concatenate([np.ravel(np.asarray(leaf)) for leaf in params.values()])
    rhel, bptt = flat(state.params["rhel"]), flat(state.params["bptt"])
    assert distances[-1] == pytest.approx(np.linalg.norm(rhel - bptt) / np.linalg.norm(bptt))
    gaps = [abs(r.loss_rhel - r.loss_bptt) / r.loss_bptt for r in records]
    assert state.max_relative_loss_gap == pytest.approx(max(gaps))


def test_each_task_reaches_its_stated_target(trained):
    task, _, records = trained
    losses = np.array([r.loss_rhel for r in records[: task.target_updates]])
    assert losses.min() < task.target_loss, (task.name, losses.min())
    assert losses.min() < 0.5 * losses[0]


def test_state_keeps_a_bounded_history_snapshots_and_predictions(trained):
    task, state, records = trained
    assert state.step == UPDATES and state.last == records[-1]
    assert state.history == records  # 1,000 records fit under HISTORY_CAP: none thinned
    steps = state.snapshot_steps
    assert len(steps) <= train_module.SNAPSHOT_CAP + 1 < UPDATES  # snapshots were thinned
    assert steps[0] == 0 and steps[-1] == UPDATES and len(set(np.diff(steps[:-1]))) == 1  # evenly spread
    assert all(len(state.snapshots[m]) == len(steps) for m in ("rhel", "bptt"))
    for name, value in state.snapshots["rhel"][-1].items():
        np.testing.assert_array_equal(value, state.params["rhel"][name])
    result = predictions(state)
    length = state.settings.steps
    assert result["readout_rhel"].shape == result["target"].shape == (length, result["target"].shape[-1])
    if task.name == "digits":
        assert accuracy(state) > 0.3


def test_measuring_the_agreement_compiles_nothing_more():
    """The same-point BPTT gradient runs the BPTT copy's compiled program: one program per method, one optimiser
    step, whether the agreement is measured or not."""
    settings = TaskSettings(task="signal", width=4, steps=100, seed=3)
    state = init_state(settings)
    hyper = Hyper(learning_rate=0.01)
    before = batch_gradients._cache_size(), apply_gradients._cache_size()
    list(train(state, hyper, 2, check_agreement=False))
    without = batch_gradients._cache_size(), apply_gradients._cache_size()
    assert without[0] - before[0] <= 2 and without[1] - before[1] <= 1  # at most RHEL + BPTT, one optimiser step
    records = list(train(state, hyper, 2))
    assert (batch_gradients._cache_size(), apply_gradients._cache_size()) == without
    assert np.isfinite([r.cosine for r in records]).all()


def test_thinned_log_stays_within_its_cap_over_a_long_run():
    log: ThinnedLog[int] = ThinnedLog(cap=64)
    for step in range(100_000):
        log.add(step, step)
        assert len(log) <= 65
    steps = [step for step, _ in log.entries()]
    assert steps[0] == 0 and steps[-1] == 99_999
    assert len(set(np.diff(steps[:-1]))) == 1 and len(steps) > 32  # evenly spread, at least half full
    with pytest.raises(ValueError, match="at least 2"):
        ThinnedLog(cap=1)


def test_a_long_play_keeps_the_sessions_history_within_the_bound(monkeypatch):
    """A session playing 300 updates with the caps shrunk to 16 and 8 keeps at most cap + 1 entries, and the bytes
    it keeps stay under the bound they give, however many updates it plays."""
    monkeypatch.setattr(train_module, "HISTORY_CAP", 16)
    monkeypatch.setattr(train_module, "SNAPSHOT_CAP", 8)
    state = init_state(_settings("coupling-spring"))
    hyper = Hyper(learning_rate=0.05)
    sizes = []
    for _ in range(6):
        list(train(state, hyper, 50, check_agreement=False))
        assert len(state.history) <= 17 and len(state.snapshot_steps) <= 9
        sizes.append(state.kept_bytes())
    assert state.step == 300 and state.history[-1].step == 300 and state.snapshot_steps[-1] == 300
    snapshot_bytes = sum(np.asarray(leaf).nbytes for leaf in state.params["rhel"].values()) * 2
    assert max(sizes) <= 9 * snapshot_bytes + 17 * 400, sizes  # 400 B: a generous size of one record


def test_both_copies_start_from_the_same_initialisation():
    state = init_state(_settings("signal"))
    for name, value in state.params["rhel"].items():
        np.testing.assert_array_equal(value, state.params["bptt"][name])


def test_a_diverging_learning_rate_stops_training_with_a_message():
    state = init_state(_settings("signal"), optimiser="sgd")
    with pytest.raises(Diverged, match="Lower the learning rate"):
        for _ in train(state, Hyper(learning_rate=10.0), 50):
            pass
    assert state.error and "blew up" in state.error
    steps_done = state.step
    with pytest.raises(Diverged):
        train_step(state, Hyper())
    assert state.step == steps_done


def test_unknown_names_raise_with_the_valid_ones():
    with pytest.raises(ValueError, match="coupling-spring"):
        get_task("nope")
    with pytest.raises(ValueError, match=r"\[100, 200\]"):
        build_task(TaskSettings(task="signal", steps=7))
    with pytest.raises(ValueError, match="adam"):
        init_state(_settings("signal"), optimiser="rmsprop")
    with pytest.raises(ValueError, match="nonlinear"):
        build_task(TaskSettings(task="signal", system="springs"))


def test_memory_recall_after_thousands_of_steps():
    """The delay goes up to thousands of steps; RHEL and BPTT still give the same gradient at the same point."""
    state = init_state(TaskSettings(task="memory", steps=4000, delay=3900))
    records = list(train(state, Hyper(learning_rate=0.05, eps=1e-4), 3))
    for record in records:
        assert record.cosine > MIN_COSINE and record.rel_error < MAX_REL_ERROR, record
    with pytest.raises(ValueError, match="delay"):
        build_task(TaskSettings(task="memory", steps=100, delay=250))


def test_digits_figure_draws_each_image_titled_by_its_label_and_marks_wrong_predictions():
    from rhel_viz.plots.training import digits_figure

    images = np.random.default_rng(0).random((10, 8, 8))
    labels = np.arange(10)
    before = digits_figure(images, labels)
    assert len(before.data) == 10 and all(trace.type == "heatmap" for trace in before.data)
    assert [annotation.text for annotation in before.layout.annotations] == [str(label) for label in labels]
    np.testing.assert_array_equal(before.data[3].z, images[3][::-1])  # row 0 at the top
    after = digits_figure(images, labels, predicted=np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 0]))
    texts = [annotation.text for annotation in after.layout.annotations]
    assert texts[:9] == [f"{label} → {label}" for label in range(9)] and texts[9] == "9 → 0 ✗"
