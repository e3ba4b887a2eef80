"""The training playground in AppTest: widgets driven by key, the same-point agreement shown, no debug counters,
the task drawn before training, a diverging run gives a message; the playback speed's arithmetic."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from rhel_viz.ui import training as ui
from tests.helpers import ROOT

PAGE = str(ROOT / "pages" / "training.py")
CHARTS = ["train_loss_chart", "train_agreement_chart", "train_drift_chart", "train_params_chart",
          "train_prediction_chart"]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _texts(at: AppTest) -> str:
    return " ".join(element.value for kind in ("markdown", "caption", "info") for element in getattr(at, kind))


def _charts(at: AppTest) -> list[str]:
    return [chart.key for chart in at.get("plotly_chart")]


def test_step_and_reset_by_key():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert _metric(at, "Updates") == "0"
    assert _charts(at) == ["train_prediction_chart"]  # before training: the target and the untrained prediction
    at.button(key="train_step").click().run()
    at.button(key="train_step").click().run()
    assert not at.exception
    assert _metric(at, "Updates") == "2"
    state = at.session_state["training_state"]
    assert float(_metric(at, "Loss (RHEL)")) < float(state.history[0].loss_rhel)
    assert float(_metric(at, "Same-point error")) == pytest.approx(state.last.rel_error, rel=0.1)
    assert float(_metric(at, "Same-point error")) < 1e-6
    assert float(_metric(at, "Copies apart")) == pytest.approx(state.last.param_distance, rel=0.1)
    assert sorted(_charts(at)) == sorted(CHARTS)
    assert any("drift apart" in caption.value for caption in at.caption)
    at.button(key="train_reset").click().run()
    assert not at.exception and _metric(at, "Updates") == "0"


def test_no_debug_counters_are_shown_and_page_runs_are_counted_in_session_state():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.button(key="train_step").click().run()
    texts = _texts(at)
    assert "Full page runs" not in texts and "Live view refreshes" not in texts
    assert at.session_state[ui.PAGE_RUNS_KEY] == 2


def test_speed_and_stop_controls_are_shown_with_their_defaults():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    speed = at.get("button_group")
    assert [element.key for element in speed] == ["train_speed"]
    assert at.toggle(key="train_stop").value is True


def test_a_diverging_learning_rate_gives_a_message_not_a_traceback():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="train_task").set_value("signal").run()
    at.selectbox(key="train_optimiser").set_value("sgd")
    at.select_slider(key="train_lr_signal").set_value(10.0).run()
    for _ in range(30):
        at.button(key="train_step").click().run()
        if at.error:
            break
    assert not at.exception
    assert at.error and "Lower the learning rate" in at.error[0].value


def test_updates_due_follow_the_speed_without_bursts():
    # One per second, refreshed every half second: an update every other refresh.
    credit, made = 0.0, []
    for _ in range(8):
        due, credit = ui.updates_due(1.0, credit, 0.5)
        made.append(due)
    assert made == [0, 1, 0, 1, 0, 1, 0, 1]
    assert ui.updates_due(20.0, 0.0, 0.5) == (10, 0.0)
    assert ui.updates_due(5.0, 0.0, 0.5)[0] == 2 and ui.updates_due(5.0, 0.5, 0.5) == (3, 0.0)
    # Refreshes 1.6 s apart (a busy server) still make one update per second on average.
    credit, made = 0.0, 0
    for _ in range(10):
        due, credit = ui.updates_due(1.0, credit, 1.6)
        made += due
    assert made == 16
    assert ui.updates_due(20.0, 0.0, 60.0)[0] == 41  # a stall catches up two seconds (plus one), not a minute
    assert ui.updates_due(1.0, 0.0, 60.0)[0] == 3
    assert ui.updates_due(None, 0.0, 0.5) == (1, 0.0)  # max: at least one, as many as the tick budget allows
    assert ui.refresh_period(ui.Playback(1.0, True)) == 1.0
    assert ui.refresh_period(ui.Playback(20.0, True)) == ui.RUN_EVERY_S
    assert ui.refresh_period(ui.Playback(None, False)) == ui.RUN_EVERY_S


def _digits_grid(at: AppTest) -> dict:
    chart = next(chart for chart in at.get("plotly_chart") if chart.key == "train_digits_chart")
    return json.loads(chart.proto.spec)


def test_the_digits_task_shows_its_digits_with_labels_before_and_predictions_after_training():
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.selectbox(key="train_task").set_value("digits").run()
    assert not at.exception
    assert sorted(_charts(at)) == ["train_digits_chart", "train_prediction_chart"]
    labels = [str(label) for label in at.session_state["training_state"].data.labels[:ui.DIGITS_SHOWN]]
    grid = _digits_grid(at)
    assert [trace["type"] for trace in grid["data"]] == ["heatmap"] * ui.DIGITS_SHOWN
    assert [annotation["text"] for annotation in grid["layout"]["annotations"]] == labels
    at.button(key="train_step").click().run()
    assert not at.exception
    titles = [annotation["text"] for annotation in _digits_grid(at)["layout"]["annotations"]]
    assert [title.split(" → ")[0] for title in titles] == labels  # label → predicted
    assert all(title.split(" → ")[1][:1].isdigit() for title in titles)
