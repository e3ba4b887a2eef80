"""Shared sidebar controls. Every widget has a key and is bound to the URL, so a view is a link.

Pages call these functions instead of laying out their own copies of the same widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from rhel_viz.core.integrators import INTEGRATORS
from rhel_viz.core.losses import LOSSES
from rhel_viz.core.rhel import ESTIMATORS
from rhel_viz.core.systems import SYSTEMS
from rhel_viz.lab.experiments import GradientLabSettings
from rhel_viz.lab.problems import DTYPES, ProblemConfig
from rhel_viz.lab.scenarios import BREAK_FRICTION, lab_settings, with_springs
from rhel_viz.lab.validation import EPS_CHOICES, PHYSICS, PROBLEM, SPRING_PARAMS, STEP_CHOICES

__all__ = ["EPS_CHOICES", "STEP_CHOICES", "PhysicsSettings", "gradient_lab_controls", "physics_controls",
           "problem_controls", "spring_controls"]

SYSTEM_LABELS = {"springs": "Masses and springs", "linear": "Linear HRU", "nonlinear": "Nonlinear HRU"}
INTEGRATOR_LABELS = {"leapfrog": "Leapfrog (reversible)", "euler": "Explicit Euler (not reversible)",
                     "rk4": "RK4 (not reversible)"}
# STEP_CHOICES (a few fixed sequence lengths: one compilation each), EPS_CHOICES and every slider range
# come from the validation registry, so widgets, URL check, presets and library guards agree.


def format_eps(value: float) -> str:
    """How an eps choice is shown, and written in the URL (``1e-04``)."""
    return f"{value:.0e}"


@dataclass(frozen=True)
class PhysicsSettings:
    """How the echo is run: nudging strength, friction, integrator."""

    eps: float = 1e-4
    damping: float = 0.0
    integrator: str = "leapfrog"


def problem_controls(container=None) -> ProblemConfig:
    """System, loss, sequence length, step size, dtype, seed; returns the :class:`ProblemConfig`."""
    box = container or st.sidebar
    defaults = ProblemConfig()
    system = box.selectbox("System", list(SYSTEMS), format_func=SYSTEM_LABELS.get, key="system",
                           bind="query-params")
    loss = box.selectbox("Loss", sorted(LOSSES), index=sorted(LOSSES).index(defaults.loss), key="loss",
                         bind="query-params", help="sequence: mean over every step; final: last step only")
    steps = box.select_slider("Steps N", STEP_CHOICES, value=defaults.steps, key="steps", bind="query-params")
    step_size = box.slider("Step size h", *PROBLEM["step_size"].widget_range, defaults.step_size, 0.01, key="h",
                           bind="query-params")
    dtype = box.selectbox("Precision", sorted(DTYPES), index=sorted(DTYPES).index(defaults.dtype), key="dtype",
                          bind="query-params")
    seed = box.number_input("Seed", *map(int, PROBLEM["seed"].widget_range), defaults.seed, key="seed",
                            bind="query-params")
    return ProblemConfig(system=system, loss=loss, steps=int(steps), step_size=float(step_size), dtype=dtype,
                         seed=int(seed))


def physics_controls(container=None) -> PhysicsSettings:
    """Nudging eps (log scale), friction gamma and integrator."""
    box = container or st.sidebar
    defaults = PhysicsSettings()
    eps = box.select_slider("Nudging ε", EPS_CHOICES, value=defaults.eps, format_func=format_eps,
                            key="eps", bind="query-params")
    damping = box.slider("Friction γ", *PHYSICS["damping"].widget_range, defaults.damping, 0.01, key="damping",
                         bind="query-params",
                         help="any γ > 0 dissipates energy: the echo no longer retraces")
    integrator = box.selectbox("Integrator", tuple(INTEGRATORS), key="integrator", bind="query-params",
                               format_func=lambda name: INTEGRATOR_LABELS.get(name, name))
    return PhysicsSettings(eps=float(eps), damping=float(damping), integrator=integrator)


def gradient_lab_controls(physics: PhysicsSettings, container=None) -> GradientLabSettings:
    """Estimator and the three "what breaks it" toggles; returns the effective lab settings.

    A toggle that is on forces its breaker (friction gamma >= 0.05, RK4 instead of the leapfrog,
    dH/dtheta read at full steps); a toggle that is off leaves the sidebar's value as it is.
    """
    box = container or st
    estimator = box.radio("Estimator", ESTIMATORS, key="estimator", bind="query-params", horizontal=True,
                          help="centred: two echoes ±ε, error O(ε²); one-sided: one echo, error O(ε)")
    columns = box.columns(3)
    friction = columns[0].toggle("Friction γ > 0", key="break_friction", bind="query-params",
                                 help=f"sets γ = {BREAK_FRICTION} if the sidebar has γ = 0")
    non_reversible = columns[1].toggle("Non-reversible integrator", key="break_integrator", bind="query-params",
                                       help="RK4 instead of the leapfrog (if the sidebar has the leapfrog)")
    full_step = columns[2].toggle("Full-step read-out", key="break_full_step", bind="query-params",
                                  help="read ∂H/∂θ at the full-step positions (as the published LinHRU code does) "
                                  "instead of the half-step positions where the force was evaluated")
    return lab_settings(physics.eps, physics.damping, physics.integrator, estimator, break_friction=friction,
                        break_integrator=non_reversible, break_full_step=full_step)


@dataclass(frozen=True)
class SpringRanges:
    """Slider ranges of the masses-and-springs controls (masses stay > 0)."""

    mass: tuple[float, float] = SPRING_PARAMS["mass"].widget_range
    stiffness: tuple[float, float] = SPRING_PARAMS["k_wall"].widget_range
    initial_position: tuple[float, float] = PROBLEM["initial_position"].widget_range
    drive_amplitude: tuple[float, float] = PROBLEM["drive_amplitude"].widget_range
    drive_frequency: tuple[float, float] = PROBLEM["drive_frequency"].widget_range


SPRING_RANGES = SpringRanges()


def spring_controls(config: ProblemConfig, container=None) -> ProblemConfig:
    """Masses, wall and coupling springs, initial position and sinusoidal drive of the masses-and-springs system.

    Returns ``config`` with these values filled in (parameter values go to ``param_overrides``, so
    changing them never recompiles). Other systems are returned unchanged and show no widgets.
    """
    if config.system != "springs":
        return config
    box = container or st.sidebar
    ranges = SPRING_RANGES
    defaults = ProblemConfig()
    masses = tuple(
        float(box.slider(f"Mass m{_subscript(i + 1)}", *ranges.mass, 1.0, 0.1, key=f"mass_{i + 1}",
                         bind="query-params"))
        for i in range(config.n_masses))
    k_wall = box.slider("Wall springs k_wall", *ranges.stiffness, 1.0, 0.1, key="k_wall", bind="query-params",
                        help="the two springs that tie the end masses to the walls")
    k_coupling = box.slider("Coupling spring k₁₂", *ranges.stiffness, 0.5, 0.1, key="k_coupling",
                            bind="query-params", help="the spring between neighbouring masses")
    initial_position = box.slider("Initial position q₁(0)", *ranges.initial_position, defaults.initial_position,
                                  0.05, key="q0", bind="query-params")
    drive_amplitude = box.slider("Drive amplitude", *ranges.drive_amplitude, defaults.drive_amplitude, 0.1,
                                 key="drive_amp", bind="query-params", help="force A sin(ω t) on mass 1")
    drive_frequency = box.slider("Drive frequency ω", *ranges.drive_frequency, defaults.drive_frequency, 0.1,
                                 key="drive_freq", bind="query-params")
    return with_springs(config, masses, k_wall, k_coupling, initial_position, drive_amplitude, drive_frequency)


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
