"""Rules for the values that enter the library, and the helpers that attach them to config fields (no streamlit).

A rule is a numeric :class:`Range` (maybe integers only), a :class:`OneOf` list of allowed names or
sizes, a :class:`Flag`, a :class:`Pattern` or :class:`Overrides` (named parameter values). Its
``check`` returns ``None`` for a valid value or one sentence naming the value and what is allowed
(``"step size h = 3 is outside [0.001, 1]"``).

Rules live with the fields they guard: a config dataclass declares ``x: float = setting(0.1, Range(...))``
and calls :func:`check_fields` in ``__post_init__``, so an invalid config cannot be built and an
invalid value never reaches a jitted function. :func:`rules_of` reads the rules back (the command
line's argument types, the widgets of :mod:`rhel_viz.ui.params`). This module imports nothing from the lab.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

#: The key of a dataclass field's ``metadata`` that holds its rule.
RULE = "rule"


class InvalidInput(ValueError):
    """A value outside its rule; the message names the value and the valid range or names."""


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value) if isinstance(value, str) else str(value)
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


@dataclass(frozen=True)
class Range:
    """A finite number in [low, high] (``integer``: whole numbers only)."""

    label: str
    low: float
    high: float
    integer: bool = False

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

    def within(self, low: float, high: float) -> Range:
        """The same value restricted to [low, high] (what a slider offers); the new range must fit in this one."""
        if not self.low <= low <= high <= self.high:
            raise ValueError(f"[{_fmt(low)}, {_fmt(high)}] does not fit in the range of {self.label}, "
                             f"[{_fmt(self.low)}, {_fmt(self.high)}]")
        return Range(self.label, low, high, self.integer)

    def among(self, values: Iterable, label: str | None = None) -> OneOf:
        """A few allowed values only (a widget's fixed choices, one compilation each); each must be valid."""
        return _among(self, tuple(values), label)

    def normalise(self, value: Any) -> int | float:
        """A valid value as a plain ``int`` or ``float`` (a NumPy scalar or ``200.0`` becomes ``200``)."""
        return int(value) if self.integer else float(value)


def _among(rule: Range | OneOf, values: tuple, label: str | None) -> OneOf:
    outside = [message for value in values for message in [rule.check(value)] if message]
    if outside:
        raise ValueError("; ".join(outside))
    return OneOf(label or rule.label, values)


@dataclass(frozen=True)
class OneOf:
    """One of a list of names or sizes; ``source`` gives them late, for a registry defined after the rule."""

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

    def among(self, values: Iterable, label: str | None = None) -> OneOf:
        """Some of the options only (what a widget offers); each must be allowed."""
        return _among(self, tuple(values), label)

    def normalise(self, value: Any) -> Any:
        """A valid value as the option it matches (``8.0`` becomes the option ``8``)."""
        return self.match(value)


@dataclass(frozen=True)
class Flag:
    """A boolean (a toggle)."""

    label: str

    def check(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"{self.label} = {_fmt(value)} is not true or false"

    def describe(self) -> str:
        return "true or false"

    def normalise(self, value: Any) -> Any:
        return value


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

    def normalise(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Overrides:
    """Parameter values as ``((name, (value, ...)), ...)``: each by the range of its name, or by ``other``."""

    ranges: Mapping[str, Range]
    other: Range

    def rule(self, name: str) -> Range:
        """The range of one parameter; a parameter without its own range is labelled by its name."""
        if name in self.ranges:
            return self.ranges[name]
        return Range(f"parameter {name}", self.other.low, self.other.high, self.other.integer)

    def check(self, value: Any) -> str | None:
        """One message per parameter with a bad value (its first), joined by "; "; None when all are valid."""
        if not isinstance(value, tuple | list) or not all(
                isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[0], str) for pair in value):
            return f"parameter overrides = {value!r} are not ((name, (value, ...)), ...)"
        messages = []
        for name, values in value:
            rule = self.rule(name)
            for number in (values if isinstance(values, tuple | list) else (values,)):
                message = rule.check(number)
                if message:
                    messages.append(message)
                    break
        return "; ".join(messages) or None

    def normalise(self, value: Any) -> tuple[tuple[str, tuple[float, ...]], ...]:
        """Valid overrides as a hashable ``((name, (float, ...)), ...)``."""
        return tuple((name, tuple(map(float, values)) if isinstance(values, tuple | list) else (float(values),))
                     for name, values in value)

    def describe(self) -> str:
        named = ", ".join(f"{name} {rule.describe()}" for name, rule in self.ranges.items())
        return f"parameter values ({named}; any other {self.other.describe()})"


Rule = Range | OneOf | Flag | Pattern | Overrides


# --- rules on dataclass fields -------------------------------------------------------------------------------

def setting(default: Any, rule: Rule) -> Any:
    """A dataclass field with its default and its rule (``steps: int = setting(200, Range(...))``)."""
    return field(default=default, metadata={RULE: rule})


def rules_of(config: Any) -> dict[str, Rule]:
    """The rule of every field of a config dataclass (class or instance) that declares one."""
    return {f.name: f.metadata[RULE] for f in fields(config) if RULE in f.metadata}


def default_of(config: Any, name: str) -> Any:
    """The declared default of one field of a config dataclass."""
    for f in fields(config):
        if f.name == name and f.default is not MISSING:
            return f.default
    raise KeyError(f"{name!r} is not a field with a default of {getattr(config, '__name__', config)}")


def check_fields(config: Any, context: str = "") -> None:
    """Raise :class:`InvalidInput` naming every field of ``config`` that breaks its rule; call it in ``__post_init__``.

    Valid values are then stored in their plain form (:meth:`Range.normalise`: ``int`` or ``float``; a
    choice as its option), so that equal configs compare, hash and print alike.
    """
    rules = rules_of(config)
    values = {name: getattr(config, name) for name in rules}
    require(rules, values, context)
    for name, rule in rules.items():
        object.__setattr__(config, name, rule.normalise(values[name]))  # frozen dataclasses too


# --- checking mappings -----------------------------------------------------------------------------------------

def errors(rules: Mapping[str, Rule], values: Mapping[str, Any]) -> list[str]:
    """One message per value that breaks its rule (values without a rule are not checked)."""
    return [message for key, value in values.items() if key in rules
            for message in [rules[key].check(value)] if message]


def require(rules: Mapping[str, Rule], values: Mapping[str, Any], context: str = "") -> None:
    """Raise :class:`InvalidInput` with every broken rule's message (joined by "; ")."""
    found = errors(rules, values)
    if found:
        raise InvalidInput((f"{context}: " if context else "") + "; ".join(found))


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
