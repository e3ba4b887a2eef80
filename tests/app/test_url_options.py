"""Link values are checked against what the view really offers: a problem's input channels, parameters and
coordinates, the delays below the chosen N, the controls a task or system shows. A value the view cannot use
is dropped with a note that names it and says why; a usable one is applied, without a note."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from rhel_viz.lab.presets import Preset
from rhel_viz.lab.rules import InvalidInput
from rhel_viz.ui import params
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


def test_training_values_the_task_does_not_use_get_a_note():
    at = _app("training", {"train_task": "coupling-spring", "train_system": "linear", "train_width": "4",
                           "train_delay": "10", "train_steps_memory": "1000", "train_lr_coupling-spring": "0.1"})
    assert not at.exception
    (note,) = _notes(at)
    unused = "not a control of the task “Two masses, learn the springs”"
    assert _note("train_system", "linear", unused) in note  # the value as the link wrote it
    assert _note("train_width", "4", unused) in note and _note("train_delay", "10", unused) in note
    assert _note("train_steps_memory", "1000",
                 "sets the task “Recall after a delay”, not the task shown (“Two masses, learn the springs”)") in note
    assert note.count("\n- ") == 4
    assert at.select_slider(key="train_lr_coupling-spring").value == 0.1  # the rest of the link is applied
    assert {"train_system", "train_width", "train_delay", "train_steps_memory"}.isdisjoint(at.query_params)


def test_a_delay_not_below_n_gets_a_note_and_a_visitors_own_change_does_not():
    at = _app("training", {"train_task": "memory", "train_steps_memory": "100", "train_delay": "250"})
    assert not at.exception
    (note,) = _notes(at)
    assert _note("train_delay", "250", f"the delay must be below N = 100; choose one of {shown('10')}, "
                 f"{shown('25')}, {shown('50')}, {shown('90')}") in note
    assert at.select_slider(key="train_delay").value == 25

    at = _app("training", {"train_task": "memory", "train_steps_memory": "1000", "train_delay": "250",
                           "train_system": "linear"})
    assert not at.exception and not _notes(at)
    assert at.select_slider(key="train_delay").value == 250 and at.selectbox(key="train_system").value == "linear"
    at.select_slider(key="train_steps_memory").set_value(100).run()  # the visitor's change, not the link's
    assert not at.exception and not _notes(at)
    assert at.select_slider(key="train_delay").value == 25
    at.selectbox(key="train_task").set_value("signal").run()  # hides the delay: no note either
    assert not at.exception and not _notes(at)


def test_springs_sliders_of_another_system_get_a_note():
    at = _app("echo", {"steps": "50", "system": "linear", "mass_1": "2", "q0": "0.5"})
    assert not at.exception
    (note,) = _notes(at)
    for key, value in (("mass_1", "2"), ("q0", "0.5")):
        assert _note(key, value, "only the masses and springs have this control") in note
    assert at.selectbox(key="system").value == "linear"


def _preset(page: str, values: dict) -> Preset:
    return Preset(name="Bad", page=page, purpose="x", params=values)


@pytest.mark.parametrize(("page", "values", "message"), [
    ("training", {"train_task": "coupling-spring", "train_system": "linear"}, "train_system = 'linear' is not used"),
    ("training", {"train_task": "signal", "train_delay": 10}, "train_delay = 10 is not used"),
    ("training", {"train_task": "signal", "train_steps_memory": 1000}, "train_steps_memory = 1000 is not used"),
    ("training", {"train_task": "memory", "train_steps_memory": 100, "train_delay": 250},
     "train_delay = 250 is not below N = 100"),
    ("echo", {"system": "linear", "mass_1": 2.0}, "mass_1 = 2.0 is not used"),
])
def test_a_preset_may_not_set_what_its_view_does_not_offer(page, values, message):
    with pytest.raises(InvalidInput, match="preset 'Bad'") as info:
        params.check_preset(_preset(page, values))
    assert message in str(info.value)


def test_every_preset_sets_only_controls_its_view_shows():
    """With :func:`test_gradient_lab_presets_name_real_options_of_their_problem` (tests/lab/test_validation.py),
    which checks the Gradient lab's parameter, channel and coordinate against the preset's problem."""
    presets = params.link_presets.__wrapped__()  # checks each (raises on the first bad one)
    for preset in presets.values():
        assert not set(preset.params) & set(params.hidden_controls(preset.page, preset.params)), preset.name
        if "train_delay" in preset.params:
            assert preset.params["train_delay"] in params.delay_choices(preset.params["train_steps_memory"])
