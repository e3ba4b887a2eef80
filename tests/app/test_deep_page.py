"""The Deep and long page in AppTest, driven by widget keys."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT


def _deep() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/deep.py").run()
    return at


def test_widgets_by_key_and_fig4_axes():
    at = _deep()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # agreement, and the saved benchmark's memory and time
    spec = json.loads(charts[0].proto.spec)
    assert spec["layout"]["yaxis"]["range"] == [0.3, 1.1] and spec["layout"]["yaxis"]["tickvals"] == [0.5, 1.0]
    table = at.dataframe[0].value  # the exact values: linear HSSM, float64, eps = 0.1 is exact
    assert (table["cosine"] > 0.999999).all() and ((table["norm ratio"] - 1).abs() < 1e-5).all()
    at.selectbox(key="deep_layer").set_value("nonlinear")
    at.selectbox(key="deep_dtype").set_value("float32").run()
    assert not at.exception
    assert (at.dataframe[0].value["cosine"] > 0.99).all()
    assert not at.warning  # float32 at the paper's eps = 0.1: no round-off warning
    at.select_slider(key="deep_eps").set_value(1e-5).run()
    assert "too small for float32" in at.warning[0].value  # and its bars are far from 1 (the text says so)
    at.select_slider(key="deep_eps").set_value(1e-3).run()
    assert not at.exception and not at.warning
    n_charts = len(at.get("plotly_chart"))
    at.toggle(key="deep_live").set_value(True).run()  # live measurements on demand (one HRU layer)
    assert not at.exception
    assert len(at.get("plotly_chart")) == n_charts + 2
    assert not at.get("progress")  # the live measurement's progress bar is gone once it is done
    live = at.dataframe[1].value
    assert live.set_index("measure").loc["RHEL growth ÷ must-exist"].iloc[0] <= 1.2
