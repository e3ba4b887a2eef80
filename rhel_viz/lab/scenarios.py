"""Control values -> run configurations, shared by the page controls and the headless export (no streamlit).

Control values use the widget keys of the pages (``h``, ``k_coupling``, ``break_friction``, ...) and
the registries' short names. Missing keys take the widgets' defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from rhel_viz.core.integrators import REVERSIBLE_INTEGRATORS
from rhel_viz.lab.experiments import GradientLabSettings
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.lab.tasks import TaskSettings, get_task
from rhel_viz.lab.train import Hyper

BREAK_FRICTION = 0.05  # gamma switched on by the "friction" breaker (spec teaching moment 6)
BREAK_INTEGRATOR = "rk4"  # accurate, but not reversible: accuracy alone does not make an echo
DEFAULT_EPS = 1e-4
DEFAULT_MASS = 1.0
DEFAULT_K_WALL = 1.0
DEFAULT_K_COUPLING = 0.5


def with_springs(config: ProblemConfig, masses: Sequence[float], k_wall: float, k_coupling: float,
                 initial_position: float, drive_amplitude: float, drive_frequency: float) -> ProblemConfig:
    """``config`` with the masses-and-springs values filled in (parameters go to ``param_overrides``)."""
    overrides = (("mass", tuple(float(m) for m in masses)), ("k_wall", (float(k_wall),) * 2),
                 ("k_coupling", (float(k_coupling),) * (config.n_masses - 1)))
    return replace(config, initial_position=float(initial_position), drive_amplitude=float(drive_amplitude),
                   drive_frequency=float(drive_frequency), param_overrides=overrides)


def lab_settings(eps: float, damping: float, integrator: str, estimator: str = "centred", *,
                 break_friction: bool = False, break_integrator: bool = False,
                 break_full_step: bool = False) -> GradientLabSettings:
    """The gradient lab's effective settings: a breaker that is on forces its effect, one that is off changes nothing.

    Friction sets gamma = BREAK_FRICTION if gamma is 0; the non-reversible breaker swaps a reversible
    integrator for BREAK_INTEGRATOR; the full-step breaker reads dH/dtheta at full-step positions.
    """
    if break_friction and damping <= 0:
        damping = BREAK_FRICTION
    if break_integrator and integrator in REVERSIBLE_INTEGRATORS:
        integrator = BREAK_INTEGRATOR
    return GradientLabSettings(eps=float(eps), damping=float(damping), integrator=integrator,
                               gradient_point="full" if break_full_step else "half", estimator=estimator)


def problem_config(values: Mapping[str, Any]) -> ProblemConfig:
    """The Echo / Gradient lab problem from control values (springs values apply to the springs only)."""
    defaults = ProblemConfig()
    config = ProblemConfig(system=values.get("system", defaults.system), loss=values.get("loss", defaults.loss),
                           steps=int(values.get("steps", defaults.steps)),
                           step_size=float(values.get("h", defaults.step_size)),
                           dtype=values.get("dtype", defaults.dtype), seed=int(values.get("seed", defaults.seed)))
    if config.system != "springs" or not any(key in values for key in ("mass_1", "k_wall", "k_coupling")):
        return config
    masses = [values.get(f"mass_{i + 1}", DEFAULT_MASS) for i in range(config.n_masses)]
    return with_springs(config, masses, values.get("k_wall", DEFAULT_K_WALL),
                        values.get("k_coupling", DEFAULT_K_COUPLING),
                        values.get("q0", defaults.initial_position), values.get("drive_amp", defaults.drive_amplitude),
                        values.get("drive_freq", defaults.drive_frequency))


def lab_settings_from(values: Mapping[str, Any]) -> GradientLabSettings:
    """:func:`lab_settings` from control values."""
    return lab_settings(float(values.get("eps", DEFAULT_EPS)), float(values.get("damping", 0.0)),
                        values.get("integrator", "leapfrog"), values.get("estimator", "centred"),
                        break_friction=bool(values.get("break_friction", False)),
                        break_integrator=bool(values.get("break_integrator", False)),
                        break_full_step=bool(values.get("break_full_step", False)))


def training_choice(values: Mapping[str, Any]) -> tuple[TaskSettings, str, Hyper]:
    """Task settings, optimiser and hyper-parameters from the Training playground's control values."""
    defaults = TaskSettings()
    name = values.get("train_task", defaults.task)
    task = get_task(name)
    settings = TaskSettings(task=name, system=values.get("train_system", defaults.system),
                            width=int(values.get("train_width", defaults.width)),
                            steps=int(values.get(f"train_steps_{name}", task.step_choices[0])),
                            delay=int(values.get("train_delay", defaults.delay)),
                            dtype=values.get("train_dtype", defaults.dtype), seed=int(values.get("train_seed", 0)))
    if name == "coupling-spring":
        settings = replace(settings, system="springs", width=defaults.width, delay=defaults.delay)
    elif name != "memory":
        settings = replace(settings, delay=defaults.delay)
    hyper = Hyper(learning_rate=float(values.get(f"train_lr_{name}", task.learning_rate)),
                  eps=float(values.get("train_eps", DEFAULT_EPS)))
    return settings, values.get("train_optimiser", "adam"), hyper
