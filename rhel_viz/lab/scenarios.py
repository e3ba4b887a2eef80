"""Control values -> configs: the one mapping of each page, shared by the page controls
(:mod:`rhel_viz.ui`), the presets (:mod:`rhel_viz.lab.presets`) and the headless export (no streamlit).

Control values are keyed by the pages' control names, the short names of links and presets (``h``,
``mass_1``, ``break_friction``, ``train_lr_memory``...). A missing key takes its default from
:data:`DEFAULTS`, which is read off the configs' own field defaults (and, for the springs, the system's
default parameters): every default lives once. Values are passed to the configs as they are, so a bad
one raises :class:`~rhel_viz.lab.rules.InvalidInput` naming it. What the *widgets* offer (slider ranges,
fixed choice lists) is :mod:`rhel_viz.ui.params`'s business, not the lab's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from rhel_viz.core.integrators import REVERSIBLE_INTEGRATORS
from rhel_viz.lab.deep import AgreementSettings
from rhel_viz.lab.gradient_lab import GradientLabSettings
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.lab.rules import Flag, require
from rhel_viz.lab.tasks import TASKS, TaskSettings, get_task
from rhel_viz.lab.train import DEFAULT_OPTIMISER, Hyper, check_optimiser

BREAK_FRICTION = 0.05  # gamma switched on by the "friction" breaker (spec teaching moment 6)
BREAK_INTEGRATOR = "rk4"  # accurate, but not reversible: accuracy alone does not make an echo
#: The gradient lab's "what breaks it" toggles.
BREAKERS = {"break_friction": Flag("friction breaker"), "break_integrator": Flag("integrator breaker"),
            "break_full_step": Flag("full-step breaker")}


def with_springs(config: ProblemConfig, masses: Sequence[float], k_wall: float, k_coupling: float,
                 initial_position: float, drive_amplitude: float, drive_frequency: float) -> ProblemConfig:
    """``config`` with the masses-and-springs values filled in (parameters go to ``param_overrides``)."""
    overrides = (("mass", tuple(masses)), ("k_wall", (k_wall,) * 2),
                 ("k_coupling", (k_coupling,) * (config.n_masses - 1)))
    return replace(config, initial_position=initial_position, drive_amplitude=drive_amplitude,
                   drive_frequency=drive_frequency, param_overrides=overrides)


def lab_settings(physics: GradientLabSettings, *, break_friction: bool = False, break_integrator: bool = False,
                 break_full_step: bool = False) -> GradientLabSettings:
    """The gradient lab's effective settings: a breaker that is on forces its effect, one that is off changes nothing.

    Friction sets gamma = BREAK_FRICTION if gamma is 0; the non-reversible breaker swaps a reversible
    integrator for BREAK_INTEGRATOR; the full-step breaker reads dH/dtheta at full-step positions.
    """
    damping = BREAK_FRICTION if break_friction and physics.damping <= 0 else physics.damping
    integrator = (BREAK_INTEGRATOR if break_integrator and physics.integrator in REVERSIBLE_INTEGRATORS
                  else physics.integrator)
    gradient_point = "full" if break_full_step else "half"
    return replace(physics, damping=damping, integrator=integrator, gradient_point=gradient_point)


# --- defaults: read off the configs ---------------------------------------------------------------------------

def _problem_defaults() -> dict[str, Any]:
    config, physics = ProblemConfig(), GradientLabSettings()
    return {"system": config.system, "loss": config.loss, "steps": config.steps, "h": config.step_size,
            "dtype": config.dtype, "seed": config.seed,
            "eps": physics.eps, "damping": physics.damping, "integrator": physics.integrator}


def _spring_defaults() -> dict[str, Any]:
    config = ProblemConfig(system="springs")
    params = config.make_system().default_params()
    return {**{f"mass_{i + 1}": float(mass) for i, mass in enumerate(params["mass"])},
            "k_wall": float(params["k_wall"][0]), "k_coupling": float(params["k_coupling"][0]),
            "q0": config.initial_position, "drive_amp": config.drive_amplitude, "drive_freq": config.drive_frequency}


def _training_defaults() -> dict[str, Any]:
    settings, hyper = TaskSettings(), Hyper()
    return {"train_task": settings.task, "train_system": settings.system, "train_width": settings.width,
            "train_delay": settings.delay, "train_optimiser": DEFAULT_OPTIMISER, "train_eps": hyper.eps,
            "train_dtype": settings.dtype, "train_seed": settings.seed,
            **{f"train_steps_{name}": task.step_choices[0] for name, task in TASKS.items()},
            **{f"train_lr_{name}": task.learning_rate for name, task in TASKS.items()}}


def _deep_defaults() -> dict[str, Any]:
    settings = AgreementSettings()
    return {"deep_layer": settings.layer, "deep_dtype": settings.dtype, "deep_eps": settings.eps}


#: The default of every control that feeds a config, per page (``url_path``).
DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "echo": MappingProxyType({**_problem_defaults(), **_spring_defaults()}),
    "gradients": MappingProxyType({**_problem_defaults(), "estimator": GradientLabSettings().estimator,
                                   **dict.fromkeys(BREAKERS, False)}),
    "training": MappingProxyType(_training_defaults()),
    "deep": MappingProxyType(_deep_defaults()),
})


# --- the mappings, one per page --------------------------------------------------------------------------------

def _problem(values: Mapping[str, Any]) -> ProblemConfig:
    return ProblemConfig(system=values["system"], loss=values["loss"], steps=values["steps"], step_size=values["h"],
                         dtype=values["dtype"], seed=values["seed"])


def echo_config(values: Mapping[str, Any]) -> tuple[ProblemConfig, GradientLabSettings]:
    """The Echo page: the problem (with the springs' values for the springs) and how the echo is run."""
    values = {**DEFAULTS["echo"], **values}
    config = _problem(values)
    if config.system == "springs":
        masses = [values[f"mass_{i + 1}"] for i in range(config.n_masses)]
        config = with_springs(config, masses, values["k_wall"], values["k_coupling"], values["q0"],
                              values["drive_amp"], values["drive_freq"])
    return config, GradientLabSettings(eps=values["eps"], damping=values["damping"], integrator=values["integrator"])


def gradient_lab_config(values: Mapping[str, Any]) -> tuple[ProblemConfig, GradientLabSettings]:
    """The Gradient lab: the problem and the effective settings (:func:`lab_settings`: breakers applied)."""
    values = {**DEFAULTS["gradients"], **values}
    require(BREAKERS, values)
    physics = GradientLabSettings(eps=values["eps"], damping=values["damping"], integrator=values["integrator"],
                                  estimator=values["estimator"])
    return _problem(values), lab_settings(physics, **{key: values[key] for key in BREAKERS})


def training_config(values: Mapping[str, Any]) -> tuple[TaskSettings, str, Hyper]:
    """The Training playground: task settings, optimiser and hyper-parameters.

    Controls a task does not show keep their defaults: the coupling-spring task is the springs (width
    and delay unused), only the memory task has a delay.
    """
    values = {**DEFAULTS["training"], **values}
    name = values["train_task"]
    task = get_task(name)
    check_optimiser(values["train_optimiser"])
    defaults = DEFAULTS["training"]
    system, width, delay = values["train_system"], values["train_width"], values["train_delay"]
    if task.systems == ("springs",):
        system, width = "springs", defaults["train_width"]
    if name != "memory":
        delay = defaults["train_delay"]
    settings = TaskSettings(task=name, system=system, width=width, steps=values[f"train_steps_{name}"], delay=delay,
                            dtype=values["train_dtype"], seed=values["train_seed"])
    hyper = Hyper(learning_rate=values[f"train_lr_{name}"], eps=values["train_eps"])
    return settings, values["train_optimiser"], hyper


def deep_config(values: Mapping[str, Any]) -> AgreementSettings:
    """The Deep and long page: which HSSM, precision and eps the agreement bars use."""
    values = {**DEFAULTS["deep"], **values}
    return AgreementSettings(layer=values["deep_layer"], dtype=values["deep_dtype"], eps=values["deep_eps"])


#: Each page's mapping, by ``url_path``: what a preset of that page must build without error.
PAGE_CONFIGS: Mapping[str, Callable[[Mapping[str, Any]], Any]] = MappingProxyType({
    "echo": echo_config, "gradients": gradient_lab_config, "training": training_config, "deep": deep_config})
