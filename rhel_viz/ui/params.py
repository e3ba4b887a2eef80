"""What each page's widgets offer, by widget key (the same key names the value in a link and in a preset).

No streamlit here: the widgets (:mod:`rhel_viz.ui.controls`, :mod:`rhel_viz.ui.training`), the URL
check (:mod:`rhel_viz.ui.urlstate`) and the export of presets read these rules. Each is derived from
the rule on the config field the widget sets (:func:`rhel_viz.lab.rules.rules_of`), narrowed to what
the widget offers: ``Range.within`` for a slider, ``among`` for a fixed list of choices. Narrowing
checks that the widget's values are valid for the field, so whatever a widget, a link or a preset
gives, the library accepts.

Shapes are compiled once per value, so the sequence lengths reachable from the app come only from
the fixed lists :data:`STEP_CHOICES` and each task's ``step_choices``; the Echo page and the Gradient lab
run every choice of :data:`STEP_CHOICES` at one padded length (:data:`rhel_viz.lab.runs.SEQUENCE_BUCKETS`),
so their N selects no program.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from rhel_viz.lab import costs, scenarios
from rhel_viz.lab.deep import AgreementSettings, agreement_cost, live_scaling_plan, live_step_cost
from rhel_viz.lab.echo import echo_view_cost
from rhel_viz.lab.gradient_lab import GradientLabSettings, eps_sweep_cost, gradient_lab_cost
from rhel_viz.lab.presets import PRESETS_FILE, Preset, read_presets
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.lab.rules import Flag, InvalidInput, OneOf, Pattern, Range, Rule, require, rules_of
from rhel_viz.lab.scaling import MODELS
from rhel_viz.lab.tasks import HRU_SYSTEMS, TASKS, TaskSettings
from rhel_viz.lab.train import OPTIMISER, Hyper, training_program

STEP_CHOICES: tuple[int, ...] = (50, 100, 200, 400, 800)  # Echo / Gradient lab sequence lengths
EPS_CHOICES: tuple[float, ...] = tuple(10.0**k for k in range(-10, 0))  # the eps sliders (log scale)
AGREEMENT_EPS_CHOICES: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  # the Deep page's eps slider
LEARNING_RATES: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_SEED = 10_000  # the seed inputs offer 0..MAX_SEED
MAX_SAMPLE = 15  # the training page's "Sample shown" slider: 0..MAX_SAMPLE
#: The training page's playback speeds, in updates per second ("max": as fast as the server trains).
SPEEDS: tuple[str, ...] = ("1", "5", "20", "max")
DEFAULT_SPEED = "20"
STOP_AFTER = 300  # each Play pauses after this many updates unless the user lifts the stop
MAX_INDEX = 63  # widest dynamic index widget (input channel, costate coordinate); each checks its real count

_problem = rules_of(ProblemConfig)
_physics = rules_of(GradientLabSettings)
_springs = _problem["param_overrides"].ranges
_task = rules_of(TaskSettings)
_hyper = rules_of(Hyper)
_agreement = rules_of(AgreementSettings)

#: The problem and the physics of the echo (sidebar of the Echo page and of the Gradient lab).
PROBLEM: dict[str, Rule] = {
    "system": _problem["system"], "loss": _problem["loss"], "steps": _problem["steps"].among(STEP_CHOICES),
    "h": _problem["step_size"].within(0.01, 1.0), "dtype": _problem["dtype"],
    "seed": _problem["seed"].within(0, MAX_SEED), "eps": _physics["eps"].among(EPS_CHOICES),
    "damping": _physics["damping"].within(0.0, 0.5), "integrator": _physics["integrator"],
}
#: The masses-and-springs sliders of the Echo page.
SPRINGS: dict[str, Rule] = {
    "mass_1": _springs["mass"].within(0.1, 5.0), "mass_2": _springs["mass"].within(0.1, 5.0),
    "k_wall": _springs["k_wall"].within(0.0, 10.0), "k_coupling": _springs["k_coupling"].within(0.0, 10.0),
    "q0": _problem["initial_position"].within(-1.0, 1.0), "drive_amp": _problem["drive_amplitude"].within(0.0, 3.0),
    "drive_freq": _problem["drive_frequency"].within(0.0, 5.0),
}
#: The Echo animation's magnification of the nudged echoes' split (display only: no config reads it).
MAGNIFY_CHOICES: tuple[str, ...] = ("auto", "1", "10", "100", "1000", *(f"1e{e}" for e in range(4, 11)))
MAGNIFY_DEFAULT = "auto"
ECHO_VIEW: dict[str, Rule] = {"magnify": OneOf("split magnification", MAGNIFY_CHOICES)}
#: The Gradient lab's own controls: estimator, breakers, and what the figures show.
LAB: dict[str, Rule] = {
    "estimator": _physics["estimator"], **scenarios.BREAKERS,
    "input_channel": Range("input channel", 0, MAX_INDEX, integer=True),
    "accumulator_param": Pattern("accumulator parameter", r"[A-Za-z_][A-Za-z0-9_]*(\[\d+(,\d+)*\])?",
                                 "k_coupling[0]"),
    "adjoint_coordinate": Range("coordinate", 0, MAX_INDEX, integer=True),
}
#: The Training playground (sequence length and learning rate have one widget per task).
TRAINING: dict[str, Rule] = {
    "train_task": _task["task"], "train_system": _task["system"].among(HRU_SYSTEMS), "train_width": _task["width"],
    "train_delay": _task["delay"], "train_optimiser": OPTIMISER, "train_eps": _hyper["eps"].among(EPS_CHOICES),
    "train_dtype": _task["dtype"], "train_seed": _task["seed"].within(0, MAX_SEED),
    "train_sample": Range("sample shown", 0, MAX_SAMPLE, integer=True),
    "train_speed": OneOf("updates per second", SPEEDS), "train_stop": Flag(f"pause after {STOP_AFTER} updates"),
    **{f"train_steps_{name}": _task["steps"].among(task.step_choices, f"sequence length N of {name}")
       for name, task in TASKS.items()},
    **{f"train_lr_{name}": _hyper["learning_rate"].among(LEARNING_RATES) for name in TASKS},
}
#: The Deep and long page.
DEEP: dict[str, Rule] = {
    "deep_layer": _agreement["layer"], "deep_dtype": _agreement["dtype"],
    "deep_eps": _agreement["eps"].among(AGREEMENT_EPS_CHOICES, "nudging eps"), "deep_model": OneOf("model", MODELS),
    "deep_live": Flag("live measurement"),
}
#: Every widget key of each page (``url_path``; "" is Home) and its rule: what a link or a preset may set.
PAGES: dict[str, dict[str, Rule]] = {
    "": {}, "echo": {**PROBLEM, **SPRINGS, **ECHO_VIEW}, "gradients": {**PROBLEM, **LAB}, "training": TRAINING,
    "deep": DEEP,
}


def delay_choices(steps: int) -> tuple[int, ...]:
    """The delays the memory task's slider offers at sequence length N = ``steps``: those below N."""
    return tuple(delay for delay in TRAINING["train_delay"].options if delay < steps)


def hidden_controls(page: str, values: Mapping[str, Any]) -> dict[str, str]:
    """The controls of ``page`` that its view does not show for these control values, each with why.

    What is shown depends on the task (Training: system and width for the HRU tasks only, the delay for the
    memory task only, N and the learning rate of the chosen task only) and on the system (Echo: the springs'
    sliders for the masses and springs only). A link or preset value for a hidden control is not used.
    """
    if page == "training":
        task = TASKS[values.get("train_task", scenarios.DEFAULTS["training"]["train_task"])]
        unused = f"not a control of the task “{task.title}”"
        hidden = {}
        if task.systems != HRU_SYSTEMS:
            hidden |= dict.fromkeys(("train_system", "train_width"), unused)
        if task.name != "memory":
            hidden["train_delay"] = unused
        for name, other in TASKS.items():
            if name != task.name:
                hidden |= dict.fromkeys((f"train_steps_{name}", f"train_lr_{name}"),
                                        f"sets the task “{other.title}”, not the task shown (“{task.title}”)")
        return hidden
    if page == "echo" and values.get("system", scenarios.DEFAULTS["echo"]["system"]) != "springs":
        return dict.fromkeys(SPRINGS, "only the masses and springs have this control")
    return {}


def check(page: str, values: Mapping[str, Any], context: str = "") -> None:
    """A page's control values (a preset): unknown keys and values a widget does not offer raise
    :class:`~rhel_viz.lab.rules.InvalidInput`. A page that is not registered is not checked."""
    rules = PAGES.get(page)
    if rules is None:
        return
    unknown = sorted(set(values) - set(rules))
    if unknown:
        raise InvalidInput((f"{context}: " if context else "") + f"no control {', '.join(unknown)} on page {page!r}")
    require(rules, values, context)


def check_preset(preset: Preset) -> None:
    """A preset must set only what its page's widgets offer (a preset is a link): nothing for a control its
    view hides (:func:`hidden_controls`), and a delay below its N. The Gradient lab's parameter, channel and
    coordinate are options of the computed problem, checked when the page runs (and by the tests)."""
    context = f"preset {preset.name!r}"
    check(preset.page, preset.params, context=context)
    hidden = hidden_controls(preset.page, preset.params)
    refused = [f"{key} = {preset.params[key]!r} is not used ({hidden[key]})" for key in preset.params if key in hidden]
    if preset.page == "training" and "train_delay" in preset.params and "train_delay" not in hidden:
        steps = preset.params.get("train_steps_memory", scenarios.DEFAULTS["training"]["train_steps_memory"])
        if preset.params["train_delay"] not in delay_choices(steps):
            refused.append(f"train_delay = {preset.params['train_delay']!r} is not below N = {steps}")
    if refused:
        raise InvalidInput(f"{context}: " + "; ".join(refused))


@cache
def link_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """Every preset (:func:`rhel_viz.lab.presets.read_presets`), each also checked against its page's widgets;
    read and checked once per process and file."""
    presets = read_presets(path)
    for preset in presets.values():
        check_preset(preset)
    return presets


# --- what the controls can make the server compile ------------------------------------------------------------

#: Per page, the controls whose values select compiled programs (shapes, dtype, static options). The others
#: (step size, eps, friction, masses, seed, learning rate, the memory task's delay...) are traced: any value
#: reuses the same programs. The Echo page's and the Gradient lab's sequence length N is not static either
#: (every N runs at one padded length), nor are the lab's estimator and full-step breaker (run-time values
#: of one program). The lab's friction and integrator breakers only change friction and the integrator, so
#: the integrator list covers them.
STATIC_CONTROLS: dict[str, tuple[str, ...]] = {
    "echo": ("system", "dtype", "integrator"),
    "gradients": ("system", "dtype", "integrator"),
    "deep": ("deep_layer", "deep_dtype"),
}


def static_views() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every combination of the static controls each page offers, as (page, control values): what a visitor
    can make the server compile. The Deep page's live measurement is one view per model."""
    for page, keys in STATIC_CONTROLS.items():
        for values in itertools.product(*(_options(PAGES[page][key]) for key in keys)):
            yield page, dict(zip(keys, values, strict=True))
    for model in DEEP["deep_model"].options:
        yield "deep", {"deep_model": model, "deep_live": True}
    for name, task in TASKS.items():
        systems = TRAINING["train_system"].options if task.systems == HRU_SYSTEMS else (None,)
        widths = TRAINING["train_width"].options if task.systems == HRU_SYSTEMS else (None,)
        for system, width, steps, dtype, optimiser in itertools.product(
                systems, widths, task.step_choices, TRAINING["train_dtype"].options,
                TRAINING["train_optimiser"].options):
            values = {"train_task": name, f"train_steps_{name}": steps, "train_dtype": dtype,
                      "train_optimiser": optimiser}
            if system is not None:
                values.update(train_system=system, train_width=width)
            yield "training", values


def _options(rule: Rule) -> tuple:
    return (False, True) if isinstance(rule, Flag) else tuple(rule.options)


def view_programs(page: str, values: Mapping[str, Any]) -> tuple[costs.Program, ...]:
    """The compiled programs a view of ``page`` with these control values needs."""
    if page == "echo":
        config, physics = scenarios.echo_config(values)
        return (echo_view_cost(config, physics.integrator).program,)
    if page == "gradients":
        config, settings = scenarios.gradient_lab_config(values)
        return gradient_lab_cost(config, settings).program, eps_sweep_cost(config, settings).program
    if page == "training":
        settings, optimiser, _ = scenarios.training_config(values)
        return (training_program(settings, optimiser),)
    if page == "deep":
        if values.get("deep_live"):
            model = values["deep_model"]
            return tuple(live_step_cost(model, seq_len, method).program for seq_len, method in live_scaling_plan(model))
        return (agreement_cost(scenarios.deep_config(values)).program,)
    return ()


def reachable_programs() -> dict[str, set[costs.Program]]:
    """Per page, every program the controls can make the server compile: a finite set, counted."""
    programs: dict[str, set[costs.Program]] = {}
    for page, values in static_views():
        programs.setdefault(page, set()).update(view_programs(page, values))
    return programs
