"""The training playground: AppTest driving widgets by key, and a real browser while training plays."""

from __future__ import annotations

import re
import time

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT

PAGE = str(ROOT / "pages" / "training.py")


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _updates(page) -> int:
    metric = page.get_by_test_id("stMetric").filter(has_text="Updates").get_by_test_id("stMetricValue")
    return int(metric.inner_text())


def _counter(page, label: str) -> int:
    text = page.get_by_text(re.compile(label + r": \d+")).inner_text()
    return int(text.rsplit(":", 1)[1])


def _wait_for_updates(page, above: int, timeout_s: float = 90) -> int:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            value = _updates(page)
        except Exception:  # the fragment is being redrawn
            value = -1
        if value > above:
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"the update counter stayed at or below {above}")


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
