"""Link values are checked against what the view really offers: a problem's input channels, parameters and
coordinates. A value the view cannot use is dropped with a note that names it and says why; a usable one is
applied, without a note."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from rhel_viz.ui.usertext import shown
from tests.helpers import ROOT

IGNORED = "Some link parameters were ignored"
#: One short problem for every Gradient-lab run of this module (one compilation): 3 input channels,
#: 6 coordinates, parameters B[i,j], W[i], ...
NONLINEAR = {"steps": "50", "system": "nonlinear"}


def _app(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(query)
    return at.switch_page(f"pages/{page}.py").run()


def _notes(at: AppTest) -> list[str]:
    return [warning.value for warning in at.warning if IGNORED in warning.value]


def _note(key: str, value: str, reason: str) -> str:
    return f"{shown(key)} = {shown(value)} ({reason})"


def test_values_the_problem_does_not_have_get_a_note_and_the_page_still_renders():
    at = _app("gradients", {**NONLINEAR, "input_channel": "63", "accumulator_param": "W[0,0]",
                            "adjoint_coordinate": "6", "estimator": "one-sided"})
    assert not at.exception
    notes = _notes(at)
    assert len(notes) == 1, notes  # the dropped values join the one note at the top of the page
    labels = at.selectbox(key="accumulator_param").options
    assert len(at.selectbox(key="input_channel").options) == 3
    assert len(at.selectbox(key="adjoint_coordinate").options) == 6
    assert _note("input_channel", "63", "this problem has 3 input channels (0–2)") in notes[0]
    assert _note("adjoint_coordinate", "6", "this problem has 6 coordinates (0–5)") in notes[0]
    assert "W[0,0]" not in labels and "W[0]" in labels
    assert (_note("accumulator_param", "W[0,0]", "not a parameter of this problem; choose one of ")[:-1]
            + f"{shown(labels[0])}, {shown(labels[1])}") in notes[0]
    assert f"… ({len(labels) - 8} more))" in notes[0]  # the list of parameters is cut
    # the widgets show their defaults, the rest of the link is kept, and the whole page is drawn
    assert at.selectbox(key="input_channel").value == 0 and at.selectbox(key="adjoint_coordinate").value == 0
    assert at.selectbox(key="accumulator_param").value == labels[0]  # the default (this HRU has no k_coupling)
    assert at.radio(key="estimator").value == "one-sided"
    assert {"input_channel", "accumulator_param", "adjoint_coordinate"}.isdisjoint(at.query_params)
    assert at.query_params["steps"] == "50" and at.query_params["estimator"] == "one-sided"
    assert len(at.get("plotly_chart")) == 6


def test_values_the_problem_has_are_applied_without_a_note():
    at = _app("gradients", {**NONLINEAR, "input_channel": "2", "accumulator_param": "W[2]",
                            "adjoint_coordinate": "3.0"})  # 3.0: another spelling of 3
    assert not at.exception and not _notes(at)
    assert at.selectbox(key="input_channel").value == 2
    assert at.selectbox(key="accumulator_param").value == "W[2]"
    assert at.selectbox(key="adjoint_coordinate").value == 3
    assert at.query_params["adjoint_coordinate"] == "3"  # rewritten to the widget's own spelling
