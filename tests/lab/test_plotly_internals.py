"""Plotly's private internals that the figures rely on still exist and behave as assumed.

Every one of them is used through ``rhel_viz/plots/plotly_internals.py`` only. A failure here after a
Plotly upgrade means: fix that module (its docstrings say what each use is for), then this test.
"""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import pytest

from rhel_viz.plots import plotly_internals
from tests.helpers import ROOT

FIX = "Plotly changed an internal that rhel_viz/plots/plotly_internals.py relies on"
PRIVATE_PLOTLY = re.compile(r"\._frame_objs\b|\b_validate\s*=")


def _figure() -> go.Figure:
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1]), go.Scatter(x=[0], y=[1])])
    frames = [plotly_internals.unvalidated_frame(name=str(i), data=[dict(x=[i], y=[i])], traces=[1])
              for i in range(3)]
    plotly_internals.attach_frames(fig, frames)
    return fig


def test_unvalidated_frames_skip_validation():
    with pytest.raises(ValueError):  # the public constructor validates every trace of a frame
        go.Frame(data=[dict(x=[1], not_a_property=1)])
    try:
        frame = plotly_internals.unvalidated_frame(name="0", data=[dict(x=[1], not_a_property=1)], traces=[0])
    except (TypeError, ValueError) as error:
        pytest.fail(f"{FIX}: go.Frame(_validate=False) now validates or is refused ({error})")
    assert frame.name == "0"
    assert frame.to_plotly_json() == {"name": "0", "data": [{"x": [1], "not_a_property": 1}], "traces": [0]}, FIX


def test_attached_frames_read_back_and_serialise():
    fig = _figure()
    assert [frame.name for frame in fig.frames] == ["0", "1", "2"], f"{FIX}: fig.frames does not read _frame_objs"
    expected = [{"name": str(i), "data": [{"x": [i], "y": [i]}], "traces": [1]} for i in range(3)]
    assert fig.to_dict()["frames"] == expected, f"{FIX}: fig.to_dict() lost the frames"
    assert json.loads(fig.to_json())["frames"] == expected, f"{FIX}: fig.to_json() lost the frames"
    assert '"traces":' in fig.to_html(include_plotlyjs=False), f"{FIX}: fig.to_html() lost the frames"


def test_a_copied_figure_has_ordinary_validated_frames():
    copy = go.Figure(_figure())  # what rhel_viz.plots.style.presentation does before touching frame.data
    assert len(copy.frames) == 3
    assert copy.frames[2].data[0].type == "scatter" and list(copy.frames[2].data[0].x) == [2], FIX


def test_no_other_module_uses_plotly_internals():
    allowed = ROOT / "rhel_viz" / "plots" / "plotly_internals.py"
    files = [*sorted((ROOT / "rhel_viz").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
    offenders = [str(path.relative_to(ROOT)) for path in files
                 if path != allowed and PRIVATE_PLOTLY.search(path.read_text(encoding="utf-8"))]
    assert not offenders, f"use Plotly's internals through rhel_viz/plots/plotly_internals.py: {offenders}"
