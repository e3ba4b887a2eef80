"""Validation in one place: a declarative registry of every value that enters the library (no streamlit).

Each value has a *rule*: a numeric :class:`Range` (maybe integers only, maybe with a narrower range for
its widget), a :class:`OneOf` list of allowed names or sizes, a :class:`Flag`, or a :class:`Pattern`.
A rule's :meth:`~Range.check` returns ``None`` for a valid value or one clear sentence naming the value
and what is allowed (``"step size h = 3 is outside [0.001, 1]"``).

The registries below feed the widgets' ranges (:mod:`rhel_viz.ui.controls`), the URL check
(:mod:`rhel_viz.ui.urlstate`), the command line's argument types (:mod:`rhel_viz.cli`), the presets
(:mod:`rhel_viz.lab.presets`) and the final guards at the library's entry points (:func:`validate_problem`,
:func:`validate_physics`, :func:`validate_task`, ...), which raise :class:`InvalidInput` so that an
out-of-range value never reaches a jitted function.

Shapes are compiled once per value, so sequence lengths and widths reachable from the app come only
from the fixed lists :data:`STEP_CHOICES`, :data:`WIDTH_CHOICES` and each task's ``step_choices``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from rhel_viz.core.integrators import GRADIENT_POINTS, INTEGRATORS
from rhel_viz.core.losses import LOSSES
from rhel_viz.core.systems import SYSTEMS


class InvalidInput(ValueError):
    """A value outside its registry rule; the message names the value and the valid range or names."""


# --- fixed choice lists (one compilation per shape) -------------------------------------------------------

DTYPE_NAMES: tuple[str, ...] = ("float32", "float64")
ESTIMATOR_NAMES: tuple[str, ...] = ("centred", "one-sided")  # == rhel.ESTIMATORS (checked in the tests)
STEP_CHOICES: tuple[int, ...] = (50, 100, 200, 400, 800)  # Echo / Gradient lab sequence lengths
EPS_CHOICES: tuple[float, ...] = tuple(10.0**k for k in range(-10, 0))  # the eps sliders (log scale)
HRU_SYSTEMS: tuple[str, ...] = ("nonlinear", "linear")
WIDTH_CHOICES: tuple[int, ...] = (4, 8, 16, 32)  # oscillators of the training HRUs
DELAY_CHOICES: tuple[int, ...] = (10, 25, 50, 90, 250, 500, 900, 2000, 3900)  # those below N are offered
LEARNING_RATES: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_SAMPLE = 15  # the training page's "Sample shown" slider: 0..MAX_SAMPLE
MAX_INDEX = 63  # widest dynamic index widget (input channel, costate coordinate)
MAX_STEPS = 100_000  # longest sequence the library accepts (command line, scripts)
MAX_UPDATES = 3000  # most training updates in one run (app and export)
MAX_SEED = 2**32 - 1


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value) if isinstance(value, str) else str(value)
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


@dataclass(frozen=True)
class Range:
    """A finite number in [low, high]; ``widget`` is the narrower range a slider offers (default: the same)."""

    label: str
    low: float
    high: float
    integer: bool = False
    widget: tuple[float, float] | None = None

    def check(self, value: Any) -> str | None:
        """None if ``value`` is valid, else one sentence naming it and the valid range."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return f"{self.label} = {_fmt(value)} is not a number"
        value = float(value)
        if not math.isfinite(value):
            return f"{self.label} = {value} is not a finite number"
        if self.integer and not float(value).is_integer():
            return f"{self.label} = {_fmt(value)} is not an integer"
        if not self.low <= value <= self.high:
            return f"{self.label} = {_fmt(value)} is outside [{_fmt(self.low)}, {_fmt(self.high)}]"
        return None

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        return f"{kind} from {_fmt(self.low)} to {_fmt(self.high)}"

    @property
    def widget_range(self) -> tuple[float, float]:
        return self.widget or (self.low, self.high)

    def for_widget(self) -> Range:
        """The same value restricted to what its widget offers (what a URL may set)."""
        low, high = self.widget_range
        return Range(self.label, low, high, self.integer)


@dataclass(frozen=True)
class OneOf:
    """One of a list of names or sizes; ``source`` is late-bound for registries that import this module."""

    label: str
    values: tuple = ()
    source: Callable[[], Iterable] | None = None

    @property
    def options(self) -> tuple:
        return tuple(self.source()) if self.source is not None else self.values

    def check(self, value: Any) -> str | None:
        if self.match(value) is not None:
            return None
        return f"{self.label} = {_fmt(value)} is not one of: {self.describe()}"

    def match(self, value: Any) -> Any:
        """The option equal to ``value`` (numbers to 1e-9 relative), or None."""
        for option in self.options:
            if isinstance(value, bool) or isinstance(option, bool):
                if value is option:
                    return option
            elif isinstance(option, int | float) and isinstance(value, int | float):
                if math.isclose(value, option, rel_tol=1e-9, abs_tol=0.0):
                    return option
            elif value == option:
                return option
        return None

    def describe(self) -> str:
        return ", ".join(_fmt(option) for option in self.options)


@dataclass(frozen=True)
class Flag:
    """A boolean (a toggle)."""

    label: str

    def check(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"{self.label} = {_fmt(value)} is not true or false"

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Pattern:
    """A string of a given shape (a parameter label such as ``k_coupling[0]``)."""

    label: str
    regex: str
    example: str

    def check(self, value: Any) -> str | None:
        if isinstance(value, str) and re.fullmatch(self.regex, value):
            return None
        return f"{self.label} = {_fmt(value)} is not {self.describe()}"

    def describe(self) -> str:
        return f"a parameter label such as {self.example}"


Rule = Range | OneOf | Flag | Pattern


def _task_names() -> tuple[str, ...]:
    from rhel_viz.lab.tasks import TASKS  # late: the task registry imports this module

    return tuple(TASKS)


def _optimiser_names() -> tuple[str, ...]:
    from rhel_viz.lab.train import OPTIMISERS  # late: train imports tasks, which imports this module

    return tuple(OPTIMISERS)


# --- the registry --------------------------------------------------------------------------------------------

#: :class:`rhel_viz.lab.problems.ProblemConfig`, field by field.
PROBLEM: dict[str, Rule] = {
    "system": OneOf("system", tuple(SYSTEMS)),
    "loss": OneOf("loss", tuple(sorted(LOSSES))),
    "steps": Range("sequence length N", 1, MAX_STEPS, integer=True),
    "step_size": Range("step size h", 0.001, 1.0, widget=(0.01, 1.0)),
    "seed": Range("seed", 0, MAX_SEED, integer=True, widget=(0, 10_000)),
    "dtype": OneOf("precision", DTYPE_NAMES),
    "n_masses": Range("number of masses", 2, 16, integer=True),
    "oscillators": Range("oscillators", 1, 256, integer=True),
    "input_size": Range("input size", 1, 256, integer=True),
    "output_size": Range("output size", 1, 256, integer=True),
    "drive_amplitude": Range("drive amplitude", -10.0, 10.0, widget=(0.0, 3.0)),
    "drive_frequency": Range("drive frequency ω", 0.0, 10.0, widget=(0.0, 5.0)),
    "target_amplitude": Range("target amplitude", -10.0, 10.0),
    "target_frequency": Range("target frequency", 0.0, 10.0),
    "initial_position": Range("initial position q₁(0)", -5.0, 5.0, widget=(-1.0, 1.0)),
}
#: Values of ``ProblemConfig.param_overrides`` (masses and springs); other parameters need only be finite.
SPRING_PARAMS: dict[str, Range] = {
    "mass": Range("mass", 0.01, 100.0, widget=(0.1, 5.0)),
    "k_wall": Range("wall spring k_wall", 0.0, 100.0, widget=(0.0, 10.0)),
    "k_coupling": Range("coupling spring k₁₂", 0.0, 100.0, widget=(0.0, 10.0)),
}
ANY_PARAM = Range("parameter value", -1e6, 1e6)
#: How the echo is run (eps, friction, integrator, estimator, where dH/dtheta is read).
PHYSICS: dict[str, Rule] = {
    "eps": Range("nudging ε", 1e-12, 1.0),
    "damping": Range("friction γ", 0.0, 1.0, widget=(0.0, 0.5)),
    "integrator": OneOf("integrator", tuple(INTEGRATORS)),
    "estimator": OneOf("estimator", ESTIMATOR_NAMES),
    "gradient_point": OneOf("gradient point", GRADIENT_POINTS),
}
#: :class:`rhel_viz.lab.tasks.TaskSettings` (N is further restricted to the task's ``step_choices``).
TASK: dict[str, Rule] = {
    "task": OneOf("task", source=_task_names),
    "system": OneOf("system", ("springs", *HRU_SYSTEMS)),
    "width": OneOf("width", WIDTH_CHOICES),
    "steps": Range("sequence length N", 1, MAX_STEPS, integer=True),
    "delay": OneOf("delay d", DELAY_CHOICES),
    "dtype": OneOf("precision", DTYPE_NAMES),
    "seed": Range("seed", 0, MAX_SEED, integer=True, widget=(0, 10_000)),
}
#: Training hyper-parameters (:class:`rhel_viz.lab.train.Hyper`) and the optimiser.
TRAINING: dict[str, Rule] = {
    "learning_rate": Range("learning rate", 1e-6, 100.0),
    "eps": PHYSICS["eps"],
    "optimiser": OneOf("optimiser", source=_optimiser_names),
    "updates": Range("updates", 1, MAX_UPDATES, integer=True),
}
#: ``python -m rhel_viz`` flags (by argparse ``dest``).
CLI: dict[str, Rule] = {
    "system": PROBLEM["system"], "loss": PROBLEM["loss"], "dtype": PROBLEM["dtype"],
    "steps": PROBLEM["steps"], "step_size": PROBLEM["step_size"], "seed": PROBLEM["seed"],
    "eps": PHYSICS["eps"], "damping": PHYSICS["damping"], "integrator": PHYSICS["integrator"],
    "estimator": PHYSICS["estimator"], "updates": TRAINING["updates"],
}

_PROBLEM_CONTROLS: dict[str, Rule] = {
    "system": PROBLEM["system"], "loss": PROBLEM["loss"], "steps": OneOf("sequence length N", STEP_CHOICES),
    "h": PROBLEM["step_size"].for_widget(), "dtype": PROBLEM["dtype"], "seed": PROBLEM["seed"].for_widget(),
    "eps": OneOf("nudging ε", EPS_CHOICES), "damping": PHYSICS["damping"].for_widget(),
    "integrator": PHYSICS["integrator"],
}
_SPRING_CONTROLS: dict[str, Rule] = {
    "mass_1": SPRING_PARAMS["mass"].for_widget(), "mass_2": SPRING_PARAMS["mass"].for_widget(),
    "k_wall": SPRING_PARAMS["k_wall"].for_widget(), "k_coupling": SPRING_PARAMS["k_coupling"].for_widget(),
    "q0": PROBLEM["initial_position"].for_widget(), "drive_amp": PROBLEM["drive_amplitude"].for_widget(),
    "drive_freq": PROBLEM["drive_frequency"].for_widget(),
}
_LAB_CONTROLS: dict[str, Rule] = {
    "estimator": PHYSICS["estimator"],
    "break_friction": Flag("friction breaker"), "break_integrator": Flag("integrator breaker"),
    "break_full_step": Flag("full-step breaker"),
    "input_channel": Range("input channel", 0, MAX_INDEX, integer=True),
    "accumulator_param": Pattern("accumulator parameter", r"[A-Za-z_][A-Za-z0-9_]*(\[\d+(,\d+)*\])?",
                                 "k_coupling[0]"),
    "adjoint_coordinate": Range("coordinate", 0, MAX_INDEX, integer=True),
}


def _training_controls() -> dict[str, Rule]:
    from rhel_viz.lab.tasks import TASKS

    return {
        "train_task": TASK["task"], "train_system": OneOf("system", HRU_SYSTEMS), "train_width": TASK["width"],
        "train_delay": TASK["delay"], "train_optimiser": TRAINING["optimiser"],
        "train_eps": OneOf("nudging ε", EPS_CHOICES), "train_dtype": TASK["dtype"],
        "train_seed": TASK["seed"].for_widget(), "train_sample": Range("sample shown", 0, MAX_SAMPLE, integer=True),
        **{f"train_steps_{name}": OneOf(f"sequence length N of {name}", task.step_choices)
           for name, task in TASKS.items()},
        **{f"train_lr_{name}": OneOf("learning rate", LEARNING_RATES) for name in TASKS},
    }


def _deep_module():
    from rhel_viz.lab import deep  # late: deep imports this module through its own imports

    return deep


def _scaling_models():
    from rhel_viz.lab.scaling import MODELS

    return MODELS


_DEEP_CONTROLS: dict[str, Rule] = {
    "deep_layer": OneOf("HSSM layer", ("linear", "nonlinear")),
    "deep_dtype": OneOf("precision", source=lambda: _deep_module().AGREEMENT_DTYPES),
    "deep_eps": OneOf("nudging eps", source=lambda: _deep_module().AGREEMENT_EPS_CHOICES),
    "deep_model": OneOf("model", source=_scaling_models),
    "deep_live": Flag("live measurement"),
}


def control_rules(page: str) -> dict[str, Rule] | None:
    """Every widget key of a page (``url_path``; "" is Home) and its rule; None for a page not registered.

    This is what a URL or a preset may set: numbers within the widget's range, choices from its list.
    """
    if page == "":
        return {}
    if page == "echo":
        return {**_PROBLEM_CONTROLS, **_SPRING_CONTROLS}
    if page == "gradients":
        return {**_PROBLEM_CONTROLS, **_LAB_CONTROLS}
    if page == "training":
        return _training_controls()
    if page == "deep":
        return _DEEP_CONTROLS
    return None


# --- checking ------------------------------------------------------------------------------------------------

def errors(rules: Mapping[str, Rule], values: Mapping[str, Any]) -> list[str]:
    """One message per value that breaks its rule (values without a rule are not checked)."""
    return [message for key, value in values.items() if key in rules
            for message in [rules[key].check(value)] if message]


def require(rules: Mapping[str, Rule], values: Mapping[str, Any], context: str = "") -> None:
    """Raise :class:`InvalidInput` with every broken rule's message (joined by "; ")."""
    found = errors(rules, values)
    if found:
        raise InvalidInput((f"{context}: " if context else "") + "; ".join(found))


def _as_dict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)} if is_dataclass(obj) else dict(obj)


def validate_problem(config: Any) -> None:
    """The final guard of :func:`rhel_viz.lab.problems.build_problem`: every field and every parameter override."""
    require(PROBLEM, _as_dict(config))
    messages = []
    for name, values in config.param_overrides:
        rule = SPRING_PARAMS.get(name, ANY_PARAM) if config.system == "springs" else ANY_PARAM
        for value in (values if isinstance(values, tuple | list) else (values,)):
            label = f"parameter {name}" if rule is ANY_PARAM else rule.label
            message = Range(label, rule.low, rule.high).check(value)
            if message:
                messages.append(message)
                break
    if messages:
        raise InvalidInput("; ".join(messages))


def validate_physics(eps: float | None = None, damping: float = 0.0, integrator: str = "leapfrog",
                     estimator: str = "centred", gradient_point: str = "half") -> None:
    """Guard for how an echo is run (``eps=None`` skips eps: runs that draw only the free echo)."""
    values = {"damping": damping, "integrator": integrator, "estimator": estimator, "gradient_point": gradient_point}
    if eps is not None:
        values["eps"] = eps
    require(PHYSICS, values)


def validate_task(settings: Any, step_choices: tuple[int, ...] | None = None) -> None:
    """Guard of :func:`rhel_viz.lab.tasks.build_task` (N must also be one of the task's fixed ``step_choices``)."""
    require(TASK, _as_dict(settings))
    if step_choices is not None and settings.steps not in step_choices:
        raise InvalidInput(f"sequence length N = {settings.steps} is not one of {list(step_choices)} "
                           f"(the lengths of the task {settings.task!r})")


def validate_training(learning_rate: float, eps: float, optimiser: str | None = None) -> None:
    """Guard of a training update: learning rate, eps and (if given) the optimiser's name."""
    values: dict[str, Any] = {"learning_rate": learning_rate, "eps": eps}
    if optimiser is not None:
        values["optimiser"] = optimiser
    require(TRAINING, values)



def validate_controls(page: str, values: Mapping[str, Any], context: str = "") -> None:
    """A page's control values (a preset): unknown keys and broken rules raise :class:`InvalidInput`."""
    rules = control_rules(page)
    if rules is None:
        return
    unknown = sorted(set(values) - set(rules))
    if unknown:
        raise InvalidInput((f"{context}: " if context else "") + f"no control {', '.join(unknown)} on page "
                           f"{page!r}")
    require(rules, values, context)


def parser_type(rule: Range, argparse_error: type[Exception]) -> Callable[[str], float | int]:
    """An argparse ``type=`` that parses a number and checks it against ``rule`` (message from the rule)."""

    def parse(text: str) -> float | int:
        try:
            value = float(text)
        except ValueError:
            raise argparse_error(f"{rule.label} = {text!r} is not a number") from None
        message = rule.check(value)
        if message:
            raise argparse_error(message)
        return int(value) if rule.integer else value

    parse.__name__ = rule.label
    return parse
