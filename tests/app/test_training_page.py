"""The training playground in AppTest: widgets driven by key, a diverging run gives a message."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT

PAGE = str(ROOT / "pages" / "training.py")


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_step_and_reset_by_key():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert _metric(at, "Updates") == "0"
    at.button(key="train_step").click().run()
    at.button(key="train_step").click().run()
    assert not at.exception
    assert _metric(at, "Updates") == "2"
    assert float(_metric(at, "Loss (RHEL)")) < float(at.session_state["training_state"].history[0].loss_rhel)
    assert len(at.get("plotly_chart")) == 4
    at.button(key="train_reset").click().run()
    assert not at.exception and _metric(at, "Updates") == "0"


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
