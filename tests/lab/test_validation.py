"""Reliability: the rules on the config fields, the widgets' rules, the shared guards, and bad input from
widgets, URLs, presets and the CLI.

Every input either runs or yields a clear message naming the value; never a traceback. Property tests
(hypothesis) stay rule-level (no jitted code); a few AppTest runs check what a visitor sees.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from rhel_viz import cli
from rhel_viz.core.integrators import GRADIENT_POINTS, INTEGRATORS
from rhel_viz.core.rhel import ESTIMATORS
from rhel_viz.lab import guards, rules, scenarios
from rhel_viz.lab.deep import AgreementSettings
from rhel_viz.lab.gradient_lab import GradientLabSettings, run_gradient_lab
from rhel_viz.lab.presets import load_presets, read_presets
from rhel_viz.lab.problems import DTYPES, ProblemConfig, build_problem
from rhel_viz.lab.rules import InvalidInput, rules_of
from rhel_viz.lab.tasks import DELAY_CHOICES, TASKS, WIDTH_CHOICES, TaskSettings
from rhel_viz.lab.train import OPTIMISER, OPTIMISERS, Diverged, Hyper, init_state, train_step
from rhel_viz.ui import controls, params, urlstate, usertext
from tests.helpers import ROOT

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAGES = ("echo", "gradients", "training")
SHAPE_KEYS = ("steps", "train_width", *(f"train_steps_{name}" for name in TASKS))

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                    st.sampled_from([0, 1, -1, 0.5, 1e-12, 1e-4, 2.0, 10_000, float("nan"), float("inf")]))
anything = st.one_of(numbers, st.text(max_size=12), st.booleans(), st.none())


# --- the rules on the config fields ----------------------------------------------------------------------------

PROBLEM, PHYSICS, TASK = rules_of(ProblemConfig), rules_of(GradientLabSettings), rules_of(TaskSettings)


def test_field_rules_match_the_library_registries():
    assert PHYSICS["estimator"].options == ESTIMATORS
    assert PROBLEM["dtype"].options == tuple(DTYPES) == TASK["dtype"].options
    assert PHYSICS["integrator"].options == tuple(INTEGRATORS)
    assert PHYSICS["gradient_point"].options == GRADIENT_POINTS
    assert set(OPTIMISER.options) == set(OPTIMISERS)
    assert set(TASK["task"].options) == set(TASKS)


def test_every_config_field_has_a_rule_and_a_valid_default():
    for config in (ProblemConfig, GradientLabSettings, TaskSettings, Hyper, AgreementSettings):
        assert set(rules_of(config)) == {field.name for field in dataclasses.fields(config)}, config
        config()  # the defaults pass their own rules


def test_a_config_names_every_bad_field_and_stores_plain_values():
    with pytest.raises(InvalidInput) as info:
        ProblemConfig(steps=0, step_size=float("nan"), system="pendulum")
    assert str(info.value) == ("system = 'pendulum' is not one of: 'springs', 'linear', 'nonlinear'; "
                               "sequence length N = 0 is outside [1, 100000]; step size h = nan is not a finite number")
    config = ProblemConfig(steps=np.int64(50), step_size=np.float32(0.5), param_overrides=[["mass", [1, 2]]])
    assert type(config.steps) is int and type(config.step_size) is float
    assert config.param_overrides == (("mass", (1.0, 2.0)),) and hash(config)
    with pytest.raises(InvalidInput, match="friction γ = -1 is outside"):
        dataclasses.replace(GradientLabSettings(), damping=-1)
    with pytest.raises(InvalidInput, match=r"sequence length N = 100 is not one of \[8, 64\]"):
        TaskSettings(task="digits")


def test_widget_rules_derive_from_the_field_rules_and_fit_them():
    assert controls.STEP_CHOICES is params.STEP_CHOICES and controls.EPS_CHOICES is params.EPS_CHOICES
    assert params.SPRINGS["mass_1"].label == PROBLEM["param_overrides"].ranges["mass"].label
    widgets_and_fields = [(params.PROBLEM["h"], PROBLEM["step_size"]), (params.PROBLEM["seed"], PROBLEM["seed"]),
                          (params.PROBLEM["damping"], PHYSICS["damping"]),
                          (params.SPRINGS["q0"], PROBLEM["initial_position"]),
                          (params.SPRINGS["drive_amp"], PROBLEM["drive_amplitude"]),
                          (params.SPRINGS["drive_freq"], PROBLEM["drive_frequency"]),
                          (params.TRAINING["train_seed"], TASK["seed"]),
                          *((params.SPRINGS[key], PROBLEM["param_overrides"].ranges[name])
                            for key, name in (("mass_1", "mass"), ("k_wall", "k_wall"), ("k_coupling", "k_coupling")))]
    for widget, field in widgets_and_fields:
        assert widget.label == field.label and field.low <= widget.low <= widget.high <= field.high, widget
    for key in ("eps", "steps"):
        field = PHYSICS.get(key) or PROBLEM[key]
        assert all(field.check(option) is None for option in params.PROBLEM[key].options), key
    with pytest.raises(ValueError, match="does not fit"):
        PROBLEM["step_size"].within(0.0, 2.0)
    with pytest.raises(ValueError, match="is outside"):
        PHYSICS["eps"].among([10.0])


def test_every_default_lives_once():
    """The controls' defaults are the configs' (and the springs' are the system's default parameters)."""
    echo, training = scenarios.DEFAULTS["echo"], scenarios.DEFAULTS["training"]
    springs = ProblemConfig().make_system().default_params()
    assert (echo["mass_1"], echo["k_wall"], echo["k_coupling"]) == (springs["mass"][0], springs["k_wall"][0],
                                                                     springs["k_coupling"][0])
    assert echo["eps"] == GradientLabSettings().eps == Hyper().eps == training["train_eps"]
    assert echo["h"] == ProblemConfig().step_size and echo["q0"] == ProblemConfig().initial_position
    config, physics = scenarios.echo_config({})
    assert physics == GradientLabSettings() and config == ProblemConfig(param_overrides=config.param_overrides)
    assert dict(config.param_overrides) == {name: tuple(map(float, springs[name]))
                                            for name in ("mass", "k_wall", "k_coupling")}
    assert scenarios.gradient_lab_config({}) == (ProblemConfig(), GradientLabSettings())
    assert scenarios.training_config({}) == (TaskSettings(system="springs"), "adam", Hyper())
    assert scenarios.deep_config({}) == AgreementSettings()
    for page, defaults in scenarios.DEFAULTS.items():
        assert set(defaults) <= set(params.PAGES[page]), page  # each control with a default has a widget
        assert not rules.errors(params.PAGES[page], defaults), page  # ... that offers it


def test_every_reachable_sequence_length_and_width_is_in_a_fixed_list():
    """Compiled shapes stay bounded: N and widths from widgets, URLs and presets come from fixed lists."""
    allowed_steps = set(params.STEP_CHOICES).union(*(task.step_choices for task in TASKS.values()))
    for page in PAGES:
        widgets = params.PAGES[page]
        for key in SHAPE_KEYS:
            if key in widgets:
                assert isinstance(widgets[key], rules.OneOf), (page, key)
                assert set(widgets[key].options) <= allowed_steps | set(WIDTH_CHOICES), (page, key)
    assert TASK["width"].options == WIDTH_CHOICES and TASK["delay"].options == DELAY_CHOICES
    for preset in load_presets().values():
        for key, value in preset.params.items():
            if key in SHAPE_KEYS:
                assert value in allowed_steps | set(WIDTH_CHOICES), (preset.name, key, value)


@FAST
@given(value=anything)
def test_a_range_check_never_raises_and_names_the_value(value):
    rule = PROBLEM["step_size"]
    message = rule.check(value)
    valid = (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
             and rule.low <= value <= rule.high)
    assert (message is None) == valid
    if message:
        assert message.startswith("step size h = ")


def test_messages_name_the_value_and_the_valid_range():
    assert PROBLEM["step_size"].check(3) == "step size h = 3 is outside [0.001, 1]"
    assert "not a finite number" in PHYSICS["eps"].check(float("nan"))
    assert PROBLEM["seed"].check(2.5) == "seed = 2.5 is not an integer"
    assert "'rk5' is not one of: leapfrog, euler, rk4" in PHYSICS["integrator"].check("rk5").replace(
        "'leapfrog'", "leapfrog").replace("'euler'", "euler").replace("'rk4'", "rk4")


# --- widget / URL / preset values reach the library only when valid ---------------------------------------------

def _control_values(page: str) -> st.SearchStrategy:
    valid = {key: (st.sampled_from(rule.options) if isinstance(rule, rules.OneOf) else
                   st.floats(rule.low, rule.high) if isinstance(rule, rules.Range) and not rule.integer else
                   st.integers(int(rule.low), int(rule.high)) if isinstance(rule, rules.Range) else
                   st.booleans() if isinstance(rule, rules.Flag) else st.just("W[0,0]"))
             for key, rule in params.PAGES[page].items()}
    return st.fixed_dictionaries({}, optional={key: st.one_of(strategy, anything) for key, strategy in valid.items()})


@FAST
@given(page=st.sampled_from(("echo", "gradients")), data=st.data())
def test_control_values_either_pass_the_library_guards_or_give_a_message(page, data):
    values = data.draw(_control_values(page))
    try:
        params.check(page, values)
    except InvalidInput as error:
        assert " = " in str(error)  # names the value
        return
    scenarios.PAGE_CONFIGS[page](values)  # what a widget accepts, the library accepts (the configs check it)


@FAST
@given(data=st.data())
def test_training_control_values_either_pass_or_give_a_message(data):
    values = data.draw(_control_values("training"))
    try:
        params.check("training", values)
    except InvalidInput as error:
        assert " = " in str(error)
        return
    scenarios.training_config(values)  # what a widget accepts, the library accepts (the configs check it)


@FAST
@given(values=st.dictionaries(st.sampled_from(sorted(params.PAGES["echo"])), anything, max_size=6))
def test_any_control_values_give_configs_or_a_message_naming_the_value(values):
    """The lab's mapping alone (a preset, the export): bad values raise InvalidInput, never another error."""
    try:
        scenarios.echo_config(values)
        scenarios.gradient_lab_config({key: value for key, value in values.items() if key in params.PROBLEM})
    except InvalidInput as error:
        assert " = " in str(error)


raw_values = st.one_of(st.text(max_size=10), numbers.map(str),
                       st.sampled_from(["linear", "Linear HRU", "1e-04", "0.0001", "true", "nan", "", "W[0,0]"]))


@FAST
@given(page=st.sampled_from(("", *PAGES, "deep")), data=st.data())
def test_random_query_strings_are_kept_or_dropped_with_a_note(page, data):
    known = sorted(urlstate.PAGE_PARAMS.get(page) or {"x": None})
    keys = st.one_of(st.sampled_from(known), st.text(min_size=1, max_size=8))
    query = data.draw(st.dictionaries(keys, st.lists(raw_values, min_size=1, max_size=2), max_size=6))
    translated, dropped, notes = urlstate.check(page, query)
    assert len(dropped) == len(notes)
    specs = urlstate.PAGE_PARAMS.get(page)
    if specs is None:
        assert not dropped
        return
    for key, values in query.items():
        if key in dropped or key in ("present", "hide", *urlstate.STREAMLIT_PARAMS):
            continue
        spec = specs[key]
        assert len(values) == 1 and spec.resolve(values[0])[0]
        if isinstance(spec, urlstate.Number):
            assert spec.rule.check(float(values[0])) is None


def test_presets_are_validated_on_load(tmp_path):
    """The lab checks that a preset makes valid configs; the app also that its widgets offer each value."""
    for bad, expected, lab_refuses in [({"h": float("nan")}, "step size h = nan is not a finite number", True),
                                       ({"mass_1": 500.0}, "mass = 500 is outside [0.01, 100]", True),
                                       ({"mass_1": 50.0}, "mass = 50 is outside [0.1, 5]", False),
                                       ({"steps": 123}, "sequence length N = 123 is not one of", False),
                                       ({"no_such": 1}, "no control no_such", False)]:
        path = tmp_path / "presets.json"
        path.write_text(json.dumps({"presets": [{"name": "Bad", "page": "echo", "purpose": "x", "params": bad}]}))
        with pytest.raises(InvalidInput, match="preset 'Bad'") as info:
            params.link_presets.__wrapped__(path)
        assert expected in str(info.value)
        if lab_refuses:
            with pytest.raises(InvalidInput, match="preset 'Bad'"):
                read_presets(path)
        else:
            read_presets(path)
    assert load_presets() and params.link_presets()  # the shipped presets are valid


def test_nan_parameters_never_reach_a_jitted_function():
    with pytest.raises(InvalidInput, match="mass = nan is not a finite number"):
        build_problem(scenarios.echo_config({"system": "springs", "mass_1": float("nan"), "k_wall": 1.0})[0])
    with pytest.raises(InvalidInput, match="parameter W = inf"):
        build_problem(ProblemConfig(system="nonlinear", param_overrides=(("W", (float("inf"),) * 6),)))
    with pytest.raises(InvalidInput, match="nudging ε = 0 is outside"):
        run_gradient_lab(ProblemConfig(steps=50), GradientLabSettings(eps=0.0))


# --- the command line -----------------------------------------------------------------------------------------

FLAG_VALUES = {
    "--system": ["springs", "linear", "pendulum"], "--loss": ["sequence", "final", "hinge"],
    "--dtype": ["float32", "float64", "float16"], "--eps": ["1e-4", "0", "-1", "nan", "inf", "abc", "2"],
    "--steps": ["50", "0", "-5", "ten", "2.5", "100001"], "--step-size": ["0.1", "3", "0", "1e-9", "x"],
    "--seed": ["0", "-1", "1.5", "99999999999"], "--damping": ["0", "0.05", "-0.1", "7"],
    "--integrator": ["leapfrog", "rk4", "verlet"], "--estimator": ["centred", "one-sided", "backward"],
}
argv = st.lists(st.sampled_from(sorted(FLAG_VALUES)).flatmap(
    lambda flag: st.sampled_from(FLAG_VALUES[flag]).map(lambda value: [flag, value])), max_size=4).map(
    lambda pairs: ["check", "--json", *[item for pair in pairs for item in pair]])


def _guards_only(config, eps, damping=0.0, integrator="leapfrog", estimator="centred"):
    """run_check's guards without the numerics (the real run is covered by test_cli)."""
    GradientLabSettings(eps=eps, damping=damping, integrator=integrator, estimator=estimator)
    problem = build_problem(config)
    guards.check_budget("check", config.steps, problem.system.position_size)
    return {"dtype": config.dtype, "eps": eps, "overall": {"rel_error": 0.0, "cosine": 1.0}, "echo_retrace_error": 0.0}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.one_of(argv, st.lists(st.text(max_size=8), max_size=3)))
def test_random_cli_flags_exit_0_or_2_with_one_line(args, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run_check", _guards_only)
    if any(arg.startswith("-h") or arg.startswith("--h") for arg in args):
        return
    try:
        code = cli.main(args)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert code in (0, 2), (args, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "error" in err and "Traceback" not in err, (args, err)


# --- guards --------------------------------------------------------------------------------------------------

def test_budget_message_says_what_to_reduce():
    with pytest.raises(guards.OverBudget, match="reduce N to at most"):
        run_gradient_lab(ProblemConfig(system="linear", steps=100_000, oscillators=64), GradientLabSettings())
    # the largest configuration the widgets offer fits
    memory = TaskSettings(task="memory", system="nonlinear", width=max(WIDTH_CHOICES),
                          steps=max(TASKS["memory"].step_choices), delay=max(DELAY_CHOICES))
    assert guards.work(memory.steps, memory.width, 16, guards.PASSES["training update"]) <= guards.WORK_BUDGET


def test_eps_roundoff_threshold():
    assert guards.eps_too_small("float32", 1e-7, 1.0)
    assert not guards.eps_too_small("float32", 1e-2, 1.0)
    assert not guards.eps_too_small("float64", 1e-10, 1.0)


def test_training_stops_with_a_message_when_the_learned_springs_make_h_unstable():
    state = init_state(TaskSettings(task="coupling-spring"))
    state.params["rhel"] = {**state.params["rhel"], "k_coupling": np.array([1000.0])}
    with pytest.raises(Diverged, match="unstable step size"):
        train_step(state, Hyper())
    assert "Lower the learning rate" in state.error


# --- what a visitor sees (AppTest; few runs) --------------------------------------------------------------------

def _app(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(query)
    return at.switch_page(f"pages/{page}.py").run()


def test_bad_link_parameters_give_a_note_and_the_page_still_runs():
    at = _app("echo", {"steps": "50", "h": "3", "eps": "nan", "mass_1": "-1", "system": "pendulum", "seed": "1e99"})
    assert not at.exception
    notes = " ".join(warning.value for warning in at.warning)
    assert "Some link parameters were ignored" in notes
    for key, value in (("h", "3"), ("eps", "nan"), ("mass_1", "-1"), ("system", "pendulum"), ("seed", "1e99")):
        assert f"{usertext.shown(key)} = {usertext.shown(value)}" in notes, key
    assert at.get("plotly_chart")


def test_unstable_step_size_on_the_gradient_lab_warns_instead_of_plotting(monkeypatch):
    # No gradient-lab system reaches h * omega_max >= 2 with h <= 1 (omega_max <= 1.42): lower the limit instead.
    monkeypatch.setattr(guards, "LEAPFROG_STABILITY_LIMIT", 0.5)
    at = _app("gradients", {"steps": "50", "h": "0.5"})
    assert not at.exception
    assert at.warning and "Unstable step size" in at.warning[0].value
    assert not at.get("plotly_chart") and not at.metric


def test_unstable_training_update_shows_a_message():
    at = _app("training", {})
    state = at.session_state["training_state"]
    state.params["rhel"] = {**state.params["rhel"], "k_coupling": np.array([1000.0])}
    at.button(key="train_step").click().run()
    assert not at.exception
    assert at.error and "unstable step size" in at.error[0].value


def test_float32_with_a_tiny_eps_warns_on_the_echo_page():
    at = _app("echo", {"steps": "50", "dtype": "float32", "eps": "1e-07"})
    assert not at.exception
    assert any("too small for float32" in warning.value for warning in at.warning)
    assert at.get("plotly_chart")  # a warning, not a stop


def test_over_budget_run_is_an_error_message_not_a_traceback(monkeypatch):
    monkeypatch.setattr(guards, "WORK_BUDGET", 1000)
    at = _app("echo", {"steps": "400", "seed": "17"})
    assert not at.exception
    assert any("over the budget" in error.value and "reduce N" in error.value for error in at.error)
    assert not at.get("plotly_chart")


def test_gradient_lab_presets_name_real_options_of_their_problem():
    """A preset's parameter, input channel and costate coordinate exist in its problem (not only match a
    pattern): an unknown parameter label would silently show another parameter."""
    from rhel_viz.lab.gradient_lab import element_labels
    from rhel_viz.lab.problems import build_problem
    from rhel_viz.lab.scenarios import gradient_lab_config

    presets = [preset for preset in load_presets().values() if preset.page == "gradients"]
    assert presets
    for preset in presets:
        config, _ = gradient_lab_config(preset.params)
        problem = build_problem(config)
        labels, _ = element_labels({name: np.asarray(value) for name, value in problem.params.items()})
        assert preset.params.get("accumulator_param", labels[0]) in labels, (preset.name, labels)
        assert 0 <= preset.params.get("input_channel", 0) < problem.data.inputs.shape[1], preset.name
        assert 0 <= preset.params.get("adjoint_coordinate", 0) < problem.initial.position.shape[0], preset.name
