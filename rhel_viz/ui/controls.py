"""Shared controls. Every widget has a key and is bound to the URL, so a view is a link.

Pages call these functions instead of laying out their own copies of the same widgets. Each reads its
widgets into control values (keyed like the widgets) and hands them to the page's one mapping in
:mod:`rhel_viz.lab.scenarios`, which the presets and the export use too. Ranges and choice lists come
from :mod:`rhel_viz.ui.params`, defaults from :data:`rhel_viz.lab.scenarios.DEFAULTS` (the configs' own).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from rhel_viz.lab import scenarios
from rhel_viz.lab.deep import AgreementSettings
from rhel_viz.lab.gradient_lab import DEMO_PARAMETER, GradientLabResult, GradientLabSettings
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.lab.rules import Range
from rhel_viz.plots import deep as deep_plots
from rhel_viz.ui import linknotes, params
from rhel_viz.ui.params import EPS_CHOICES, STEP_CHOICES

__all__ = ["EPS_CHOICES", "STEP_CHOICES", "accumulator_parameter", "adjoint_coordinate", "agreement_controls",
           "echo_controls", "gradient_lab_controls", "input_channel", "split_magnification"]

SYSTEM_LABELS = {"springs": "Masses and springs", "linear": "Linear HRU", "nonlinear": "Nonlinear HRU"}
INTEGRATOR_LABELS = {"leapfrog": "Leapfrog (reversible)", "euler": "Explicit Euler (not reversible)",
                     "rk4": "RK4 (not reversible)"}


def format_eps(value: float) -> str:
    """How an eps choice is shown, and written in the URL (``1e-04``)."""
    return f"{value:.0e}"


def _bounds(rule: Range) -> tuple[Any, Any]:
    """A slider's or number input's (min, max): ints for an integer rule, floats otherwise."""
    kind = int if rule.integer else float
    return kind(rule.low), kind(rule.high)


def _index(options, value) -> int:
    return list(options).index(value)


SEED_HELP = ("draws the HRU systems' random weights and input sequence; the masses and springs have nothing "
             "random, so for them the seed is disabled")


def _problem_values(box, defaults, main=None) -> dict[str, Any]:
    """System, loss, sequence length, step size, dtype, seed; then nudging eps, friction and integrator.

    ``main``: where the system, step size, eps and friction go (the Echo page puts them beside its
    animation); the rest go to ``box``. The seed is disabled for the masses and springs, which have nothing
    random.
    """
    rules = params.PROBLEM
    systems, losses, dtypes = rules["system"].options, rules["loss"].options, rules["dtype"].options
    integrators = rules["integrator"].options
    main = main or box
    system = main.selectbox("System", systems, index=_index(systems, defaults["system"]),
                            format_func=SYSTEM_LABELS.get, key="system", bind="query-params")
    return {
        "system": system,
        "loss": box.selectbox("Loss", losses, index=_index(losses, defaults["loss"]), key="loss", bind="query-params",
                              help="sequence: mean over every step; final: last step only"),
        "steps": box.select_slider("Steps N", STEP_CHOICES, value=defaults["steps"], key="steps", bind="query-params"),
        "h": main.slider("Step size h", *_bounds(rules["h"]), defaults["h"], 0.01, key="h", bind="query-params"),
        "dtype": box.selectbox("Precision", dtypes, index=_index(dtypes, defaults["dtype"]), key="dtype",
                               bind="query-params"),
        "seed": box.number_input("Seed", *_bounds(rules["seed"]), defaults["seed"], key="seed", bind="query-params",
                                 disabled=system == "springs", help=SEED_HELP),
        "eps": main.select_slider("Nudging ε", EPS_CHOICES, value=defaults["eps"], format_func=format_eps, key="eps",
                                  bind="query-params"),
        "damping": main.slider("Friction γ", *_bounds(rules["damping"]), defaults["damping"], 0.01, key="damping",
                               bind="query-params", help="any γ > 0 dissipates energy: the echo no longer retraces"),
        "integrator": box.selectbox("Integrator", integrators, index=_index(integrators, defaults["integrator"]),
                                    format_func=lambda name: INTEGRATOR_LABELS.get(name, name), key="integrator",
                                    bind="query-params"),
    }


def _spring_values(box, defaults, n_masses: int) -> dict[str, Any]:
    """Masses, wall and coupling springs, initial position and sinusoidal drive of the masses and springs."""
    rules = params.SPRINGS
    masses = {f"mass_{i}": box.slider(f"Mass m{_subscript(i)}", *_bounds(rules[f"mass_{i}"]), defaults[f"mass_{i}"],
                                      0.1, key=f"mass_{i}", bind="query-params")
              for i in range(1, n_masses + 1)}
    return {
        **masses,
        "k_wall": box.slider("Wall springs k_wall", *_bounds(rules["k_wall"]), defaults["k_wall"], 0.1, key="k_wall",
                             bind="query-params", help="the two springs that tie the end masses to the walls"),
        "k_coupling": box.slider("Coupling spring k₁₂", *_bounds(rules["k_coupling"]), defaults["k_coupling"], 0.1,
                                 key="k_coupling", bind="query-params", help="the spring between neighbouring masses"),
        "q0": box.slider("Initial position q₁(0)", *_bounds(rules["q0"]), defaults["q0"], 0.05, key="q0",
                         bind="query-params"),
        "drive_amp": box.slider("Drive amplitude", *_bounds(rules["drive_amp"]), defaults["drive_amp"], 0.1,
                                key="drive_amp", bind="query-params", help="force A sin(ω t) on mass 1"),
        "drive_freq": box.slider("Drive frequency ω", *_bounds(rules["drive_freq"]), defaults["drive_freq"], 0.1,
                                 key="drive_freq", bind="query-params"),
    }


def echo_controls(container=None, main=None) -> tuple[ProblemConfig, GradientLabSettings]:
    """The Echo page's controls (problem, physics, and the springs' values for the springs); returns its configs.

    System, step size, eps and friction go to ``main`` (beside the animation), the rest to ``container``
    (the sidebar). Spring parameter values go to ``param_overrides``, so changing them never recompiles.
    """
    box = container or st.sidebar
    defaults = scenarios.DEFAULTS["echo"]
    values = _problem_values(box, defaults, main)
    hidden = params.hidden_controls("echo", values)  # a link's values for these get a note
    linknotes.not_shown(hidden)
    if not hidden:
        values |= _spring_values(box, defaults, ProblemConfig(system="springs").n_masses)
    return scenarios.echo_config(values)


def split_magnification(container=None) -> float | None:
    """The Echo animation's magnification k of the nudged echoes' split (display only): None for "auto"."""
    choices = params.ECHO_VIEW["magnify"].options
    choice = (container or st).select_slider(
        "Split shown ×k", choices, value=params.MAGNIFY_DEFAULT, key="magnify", bind="query-params",
        help="the animation draws the ±ε echoes at q_free + k (q_±ε − q_free): at small ε their split is too small "
        "to see. auto: the largest split drawn is about a quarter of the motion. Numbers and exports stay true.")
    return None if choice == params.MAGNIFY_DEFAULT else float(choice)


def gradient_lab_controls(sidebar=None, container=None) -> tuple[ProblemConfig, GradientLabSettings]:
    """The Gradient lab's sidebar (problem, physics), then its estimator and three "what breaks it" toggles.

    Returns the problem and the *effective* lab settings: a toggle that is on forces its breaker (friction
    γ ≥ 0.05, RK4 instead of the leapfrog, ∂H/∂θ read at full steps); one that is off changes nothing.
    """
    defaults = scenarios.DEFAULTS["gradients"]
    values = _problem_values(sidebar or st.sidebar, defaults)
    box = container or st
    estimators = params.LAB["estimator"].options
    values["estimator"] = box.radio("Estimator", estimators, index=_index(estimators, defaults["estimator"]),
                                    key="estimator", bind="query-params", horizontal=True,
                                    help="centred: two echoes ±ε, error O(ε²); one-sided: one echo, error O(ε)")
    columns = box.columns(3)
    values["break_friction"] = columns[0].toggle(
        "Friction γ > 0", defaults["break_friction"], key="break_friction", bind="query-params",
        help=f"sets γ = {scenarios.BREAK_FRICTION} if the sidebar has γ = 0")
    values["break_integrator"] = columns[1].toggle(
        "Non-reversible integrator", defaults["break_integrator"], key="break_integrator", bind="query-params",
        help="RK4 instead of the leapfrog (if the sidebar has the leapfrog)")
    values["break_full_step"] = columns[2].toggle(
        "Full-step read-out", defaults["break_full_step"], key="break_full_step", bind="query-params",
        help="read ∂H/∂θ at the full-step positions (as the published LinHRU code does) instead of the "
        "half-step positions where the force was evaluated")
    return scenarios.gradient_lab_config(values)


def input_channel(result: GradientLabResult, container=None) -> int:
    """The Gradient lab's input channel: one of the computed problem's (a link's other index gets a note)."""
    count = result.input_channels
    return linknotes.selectbox(container or st, "Input channel", range(count), key="input_channel",
                               reason=linknotes.count_reason(count, "input channel"))


def accumulator_parameter(result: GradientLabResult, container=None) -> str:
    """The parameter whose gradient accumulator is drawn: a label of the computed problem (``W[2]``)."""
    labels = result.labels
    return linknotes.selectbox(container or st, "Parameter", labels, index=result.index_of(DEMO_PARAMETER),
                               key="accumulator_param",
                               reason=lambda: f"not a parameter of this problem; {linknotes.one_of(labels)}")


def adjoint_coordinate(result: GradientLabResult, container=None) -> int:
    """The costate coordinate (oscillator) of the "echo = adjoint" plot: one of the computed problem's."""
    count = result.coordinates
    return linknotes.selectbox(container or st, "Coordinate", range(count), key="adjoint_coordinate",
                               reason=linknotes.count_reason(count, "coordinate"))


def agreement_controls(container=None) -> AgreementSettings:
    """The Deep page's HRU layer, precision and eps, side by side; returns the agreement settings."""
    columns = (container or st).columns(3)
    defaults, rules = scenarios.DEFAULTS["deep"], params.DEEP
    layers, dtypes = rules["deep_layer"].options, rules["deep_dtype"].options
    values = {
        "deep_layer": columns[0].selectbox("HRU layers", layers, index=_index(layers, defaults["deep_layer"]),
                                           format_func=deep_plots.LAYER_LABELS.get, key="deep_layer",
                                           bind="query-params"),
        "deep_dtype": columns[1].selectbox("Precision", dtypes, index=_index(dtypes, defaults["deep_dtype"]),
                                           key="deep_dtype", bind="query-params"),
        "deep_eps": columns[2].select_slider("Nudging ε", rules["deep_eps"].options, value=defaults["deep_eps"],
                                             format_func=format_eps, key="deep_eps", bind="query-params",
                                             help="the paper's experiments use ε = 0.1 everywhere"),
    }
    return scenarios.deep_config(values)


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
