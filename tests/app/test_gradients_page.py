"""The gradient lab page in AppTest, driven by widget keys."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT


def _lab() -> AppTest:
    """The page at a short sequence length (opened so: no run at the default one)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/gradients.py")
    at.query_params["steps"] = "50"
    at.run()
    assert at.select_slider(key="steps").value == 50
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_default_view_shows_agreement():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/gradients.py").run()
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Cosine (all parameters)"] == "1.000000"
    assert float(metrics["Relative error"]) < 1e-7
    assert not at.error
    table = at.dataframe[0].value
    assert (table["cosine"] > 1 - 1e-9).all() and (table["relative error"] < 1e-7).all()
    assert len(at.get("plotly_chart")) == 6


def test_widgets_by_key_change_the_numbers():
    at = _lab()
    assert not at.exception
    at.toggle(key="break_full_step").set_value(True).run()
    assert not at.exception
    assert float(_metrics(at)["Relative error"]) > 1e-4
    at.toggle(key="break_full_step").set_value(False)
    at.toggle(key="break_friction").set_value(True).run()
    assert float(_metrics(at)["Relative error"]) > 1e-2
    at.toggle(key="break_friction").set_value(False)
    at.toggle(key="break_integrator").set_value(True).run()
    assert float(_metrics(at)["Relative error"]) > 1e-4
    at.toggle(key="break_integrator").set_value(False)
    at.radio(key="estimator").set_value("one-sided").run()
    assert not at.exception
    assert 1e-7 < float(_metrics(at)["Relative error"]) < 1e-2
    at.selectbox(key="system").set_value("nonlinear").run()
    assert not at.exception
    at.selectbox(key="accumulator_param").set_value("W[2]")
    at.selectbox(key="adjoint_coordinate").set_value(3)
    at.selectbox(key="input_channel").set_value(2).run()
    assert not at.exception
    assert float(_metrics(at)["Cosine (all parameters)"]) > 0.9999


def test_bad_input_gives_a_message_not_a_traceback():
    at = _lab()
    at.select_slider(key="steps").set_value(800)
    at.slider(key="h").set_value(1.0)
    at.selectbox(key="integrator").set_value("euler").run()
    assert not at.exception
    assert any("overflowed" in error.value for error in at.error)
    at.selectbox(key="integrator").set_value("leapfrog")
    at.select_slider(key="steps").set_value(50)
    at.slider(key="h").set_value(0.1)
    at.selectbox(key="dtype").set_value("float32")
    at.select_slider(key="eps").set_value(1e-10).run()
    assert not at.exception
    assert any("exactly zero" in error.value for error in at.error)


def test_sweep_chart_is_log_log_with_guides():
    at = _lab()
    spec = json.loads(at.get("plotly_chart")[4].proto.spec)
    assert spec["layout"]["xaxis"]["type"] == "log" and spec["layout"]["yaxis"]["type"] == "log"
    names = [trace["name"] for trace in spec["data"]]
    assert {"float64, centred", "float32, one-sided", "∝ ε²", "∝ 1/ε"} <= set(names)
