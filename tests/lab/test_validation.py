"""Reliability: the validation registry, the shared guards, and bad input from widgets, URLs, presets and the CLI.

Every input either runs or yields a clear message naming the value; never a traceback. Property tests
(hypothesis) stay registry-level (no jitted code); a few AppTest runs check what a visitor sees.
"""

from __future__ import annotations

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
from rhel_viz.lab import guards, scenarios, validation
from rhel_viz.lab.experiments import GradientLabSettings, run_gradient_lab
from rhel_viz.lab.presets import load_presets
from rhel_viz.lab.problems import DTYPES, ProblemConfig, build_problem
from rhel_viz.lab.tasks import TASKS, TaskSettings
from rhel_viz.lab.train import OPTIMISERS, Diverged, Hyper, init_state, train_step
from rhel_viz.lab.validation import InvalidInput
from rhel_viz.ui import controls, urlstate
from tests.helpers import ROOT

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAGES = ("echo", "gradients", "training")
SHAPE_KEYS = ("steps", "train_width", *(f"train_steps_{name}" for name in TASKS))

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                    st.sampled_from([0, 1, -1, 0.5, 1e-12, 1e-4, 2.0, 10_000, float("nan"), float("inf")]))
anything = st.one_of(numbers, st.text(max_size=12), st.booleans(), st.none())


# --- the registry ----------------------------------------------------------------------------------------------

def test_registry_names_match_the_library_registries():
    assert validation.ESTIMATOR_NAMES == ESTIMATORS
    assert validation.DTYPE_NAMES == tuple(DTYPES)
    assert validation.PHYSICS["integrator"].options == tuple(INTEGRATORS)
    assert validation.PHYSICS["gradient_point"].options == GRADIENT_POINTS
    assert set(validation.TRAINING["optimiser"].options) == set(OPTIMISERS)
    assert set(validation.TASK["task"].options) == set(TASKS)


def test_widget_ranges_come_from_the_registry_and_fit_the_library_ranges():
    assert controls.STEP_CHOICES is validation.STEP_CHOICES and controls.EPS_CHOICES is validation.EPS_CHOICES
    assert controls.SPRING_RANGES.mass == validation.SPRING_PARAMS["mass"].widget_range
    for rules in (validation.PROBLEM, validation.PHYSICS, validation.SPRING_PARAMS, validation.TASK):
        for rule in rules.values():
            if isinstance(rule, validation.Range):
                low, high = rule.widget_range
                assert rule.low <= low <= high <= rule.high, rule


def test_every_reachable_sequence_length_and_width_is_in_a_fixed_list():
    """Compiled shapes stay bounded: N and widths from widgets, URLs and presets come from fixed lists."""
    allowed_steps = set(validation.STEP_CHOICES).union(*(task.step_choices for task in TASKS.values()))
    for page in PAGES:
        rules = validation.control_rules(page)
        for key in SHAPE_KEYS:
            if key in rules:
                assert isinstance(rules[key], validation.OneOf), (page, key)
                assert set(rules[key].options) <= allowed_steps | set(validation.WIDTH_CHOICES), (page, key)
    assert validation.TASK["width"].options == validation.WIDTH_CHOICES
    for preset in load_presets().values():
        for key, value in preset.params.items():
            if key in SHAPE_KEYS:
                assert value in allowed_steps | set(validation.WIDTH_CHOICES), (preset.name, key, value)


@FAST
@given(value=anything)
def test_a_range_check_never_raises_and_names_the_value(value):
    rule = validation.PROBLEM["step_size"]
    message = rule.check(value)
    valid = (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
             and rule.low <= value <= rule.high)
    assert (message is None) == valid
    if message:
        assert message.startswith("step size h = ")


def test_messages_name_the_value_and_the_valid_range():
    assert validation.PROBLEM["step_size"].check(3) == "step size h = 3 is outside [0.001, 1]"
    assert "not a finite number" in validation.PHYSICS["eps"].check(float("nan"))
    assert validation.PROBLEM["seed"].check(2.5) == "seed = 2.5 is not an integer"
    assert "'rk5' is not one of: leapfrog, euler, rk4" in validation.PHYSICS["integrator"].check("rk5").replace(
        "'leapfrog'", "leapfrog").replace("'euler'", "euler").replace("'rk4'", "rk4")


# --- widget / URL / preset values reach the library only when valid ---------------------------------------------

def _control_values(page: str) -> st.SearchStrategy:
    rules = validation.control_rules(page)
    valid = {key: (st.sampled_from(rule.options) if isinstance(rule, validation.OneOf) else
                   st.floats(*rule.widget_range) if isinstance(rule, validation.Range) and not rule.integer else
                   st.integers(*map(int, rule.widget_range)) if isinstance(rule, validation.Range) else
                   st.booleans() if isinstance(rule, validation.Flag) else st.just("W[0,0]"))
             for key, rule in rules.items()}
    return st.fixed_dictionaries({}, optional={key: st.one_of(strategy, anything) for key, strategy in valid.items()})


@FAST
@given(page=st.sampled_from(("echo", "gradients")), data=st.data())
def test_control_values_either_pass_the_library_guards_or_give_a_message(page, data):
    values = data.draw(_control_values(page))
    try:
        validation.validate_controls(page, values)
    except InvalidInput as error:
        assert " = " in str(error)  # names the value
        return
    config = scenarios.problem_config(values)
    settings_ = scenarios.lab_settings_from(values)
    validation.validate_problem(config)  # what a widget accepts, the library accepts
    validation.validate_physics(settings_.eps, settings_.damping, settings_.integrator, settings_.estimator,
                                settings_.gradient_point)


@FAST
@given(data=st.data())
def test_training_control_values_either_pass_or_give_a_message(data):
    values = data.draw(_control_values("training"))
    try:
        validation.validate_controls("training", values)
        task_settings, optimiser, hyper = scenarios.training_choice(values)
    except InvalidInput as error:
        assert " = " in str(error) or "unknown task" in str(error)
        return
    if task_settings.task != "memory" or task_settings.delay < task_settings.steps:
        validation.validate_task(task_settings, TASKS[task_settings.task].step_choices)
    validation.validate_training(hyper.learning_rate, hyper.eps, optimiser)


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
    for bad, expected in [({"h": float("nan")}, "step size h = nan is not a finite number"),
                          ({"mass_1": 50.0}, "mass = 50 is outside [0.1, 5]"),
                          ({"steps": 123}, "sequence length N = 123 is not one of"),
                          ({"no_such": 1}, "no control no_such")]:
        path = tmp_path / "presets.json"
        path.write_text(json.dumps({"presets": [{"name": "Bad", "page": "echo", "purpose": "x", "params": bad}]}))
        with pytest.raises(InvalidInput, match="preset 'Bad'") as info:
            load_presets.__wrapped__(path)
        assert expected in str(info.value)
    assert load_presets()  # the shipped presets are valid


def test_nan_parameters_never_reach_a_jitted_function():
    config = scenarios.problem_config({"system": "springs", "mass_1": float("nan"), "k_wall": 1.0})
    with pytest.raises(InvalidInput, match="mass = nan is not a finite number"):
        build_problem(config)
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
    validation.validate_physics(eps, damping, integrator, estimator)
    problem = build_problem(config)
    guards.check_budget("check", config.steps, problem.system.position_size)
    return {"ok": True}


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
    memory = TaskSettings(task="memory", system="nonlinear", width=max(validation.WIDTH_CHOICES),
                          steps=max(TASKS["memory"].step_choices), delay=max(validation.DELAY_CHOICES))
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
    for key in ("h=3", "eps=nan", "mass_1=-1", "system=pendulum", "seed=1e99"):
        assert key in notes, key
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
