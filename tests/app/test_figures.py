"""rhel_viz.ui.figures: a figure is serialised once for st.plotly_chart, per presentation mode."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io

from rhel_viz.ui import figures


def _figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[1.0, 2.0], y=[3.0, float("nan")], name="line"), layout=dict(height=300))


def test_a_figure_is_serialised_once_per_presentation_mode():
    fig = _figure()
    chart = figures.serialised(fig)
    assert figures.serialised(fig) is chart  # the next script run reuses it
    presented = figures.serialised(fig, present=True)
    assert presented is not chart
    assert presented.to_dict()["layout"]["font"]["size"] > (chart.to_dict()["layout"].get("font") or {}).get("size", 0)
    assert figures.serialised(_figure()) is not chart  # another figure, even an equal one: its own


def test_the_serialised_chart_is_the_figures_json():
    fig = _figure()
    spec = figures.serialised(fig).to_dict()
    assert spec == json.loads(plotly.io.to_json(fig))
    assert spec["data"][0]["y"] == [3.0, None]  # strict JSON: NaN is null
    assert figures.payload_bytes(fig) == len(plotly.io.to_json(spec).encode())


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(figures, "MAX_SERIALISED", 3)
    kept = [_figure() for _ in range(5)]
    for fig in kept:
        figures.serialised(fig)
    assert len(figures._serialised) <= 3
