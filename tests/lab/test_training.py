"""Training with RHEL and BPTT side by side: same curves, targets reached, divergence handled."""

from __future__ import annotations

import numpy as np
import pytest

from rhel_viz.lab.tasks import TASKS, TaskSettings, build_task, get_task
from rhel_viz.lab.train import Diverged, Hyper, accuracy, init_state, predictions, train, train_step

UPDATES = 200
MAX_RELATIVE_GAP = 1e-4


def _settings(name: str) -> TaskSettings:
    return TaskSettings(task=name, steps=TASKS[name].step_choices[0])


@pytest.fixture(scope="module", params=sorted(TASKS))
def trained(request):
    """Each task trained for 200 updates on its default settings (float64, eps 1e-4, Adam, seed 0)."""
    task = TASKS[request.param]
    state = init_state(_settings(task.name))
    records = list(train(state, Hyper(learning_rate=task.learning_rate, eps=1e-4), UPDATES))
    return task, state, records


def test_rhel_and_bptt_loss_curves_agree_at_every_step(trained):
    task, state, records = trained
    rhel = np.array([r.loss_rhel for r in records])
    bptt = np.array([r.loss_bptt for r in records])
    gap = np.abs(rhel - bptt) / np.abs(bptt)
    assert len(records) == UPDATES
    assert gap.max() < MAX_RELATIVE_GAP, (task.name, gap.max(), int(gap.argmax()))
    assert state.max_relative_loss_gap == pytest.approx(gap.max())
    assert min(r.cosine for r in records) > 0.999, task.name


def test_each_task_reaches_its_stated_target(trained):
    task, _, records = trained
    losses = np.array([r.loss_rhel for r in records[: task.target_updates]])
    assert losses.min() < task.target_loss, (task.name, losses.min())
    assert losses.min() < 0.5 * losses[0]


def test_state_keeps_history_snapshots_and_predictions(trained):
    task, state, records = trained
    assert state.step == UPDATES and state.history == records
    assert all(len(state.snapshots[m]) == UPDATES + 1 for m in ("rhel", "bptt"))
    result = predictions(state)
    steps = state.settings.steps
    assert result["readout_rhel"].shape == result["target"].shape == (steps, result["target"].shape[-1])
    if task.name == "digits":
        assert accuracy(state) > 0.3


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
    """The delay goes up to thousands of steps; RHEL and BPTT still give the same updates."""
    state = init_state(TaskSettings(task="memory", steps=4000, delay=3900))
    records = list(train(state, Hyper(learning_rate=0.05, eps=1e-4), 3))
    for record in records:
        assert abs(record.loss_rhel - record.loss_bptt) <= 1e-6 * record.loss_bptt
        assert record.cosine > 0.999999
    with pytest.raises(ValueError, match="delay"):
        build_task(TaskSettings(task="memory", steps=100, delay=250))
