"""Lecture presets: named scenarios stored as data in ``assets/presets.json`` (no streamlit here).

A preset names a page and the value of every control on it, in the registries' short names
(``system="linear"``, ``integrator="rk4"``, ``eps=1e-7``). Loading checks that the values make valid
configs (the page's mapping, :data:`rhel_viz.lab.scenarios.PAGE_CONFIGS`); that they are what the page's
widgets offer is checked by :mod:`rhel_viz.ui.params`. The app turns a preset into a link
(:mod:`rhel_viz.ui.urlstate`); ``python -m rhel_viz export --preset NAME`` turns it into files
(:mod:`rhel_viz.export`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from rhel_viz.lab.rules import InvalidInput
from rhel_viz.lab.scenarios import PAGE_CONFIGS

PRESETS_FILE = Path(__file__).resolve().parents[2] / "assets" / "presets.json"

Value = str | int | float | bool


@dataclass(frozen=True)
class Preset:
    """One lecture scenario: its page (``url_path`` of ``app.py``), the controls' values, and why it exists."""

    name: str
    page: str
    purpose: str
    params: MappingProxyType  # control key -> value (short names)

    @property
    def slug(self) -> str:
        """A file-name friendly version of the name (``too-small-an-eps-in-float32``)."""
        return "-".join("".join(c if c.isalnum() else " " for c in self.name.lower()).split())

    def query_string(self) -> str:
        """``key=value&...`` with the short names (booleans as ``true``/``false``)."""
        return urlencode({key: format_value(value) for key, value in self.params.items()})

    def url(self) -> str:
        """The relative link of the preset, e.g. ``/echo?system=springs&...``."""
        query = self.query_string()
        return f"/{self.page}" + (f"?{query}" if query else "")


def format_value(value: Value) -> str:
    """How a control value is written in a URL: booleans lower case, numbers in Python's shortest form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse(entry: dict[str, Any]) -> Preset:
    """One preset, its control values checked by building the page's configs from them."""
    missing = {"name", "page", "purpose", "params"} - set(entry)
    if missing:
        raise InvalidInput(f"preset {entry.get('name', '?')!r} lacks {sorted(missing)} in {PRESETS_FILE.name}")
    if not isinstance(entry["params"], dict):
        raise InvalidInput(f"preset {entry['name']!r}: params must be an object of control values")
    to_config = PAGE_CONFIGS.get(entry["page"])
    if to_config is not None:
        try:
            to_config(entry["params"])
        except InvalidInput as error:
            raise InvalidInput(f"preset {entry['name']!r}: {error}") from None
    return Preset(name=entry["name"], page=entry["page"], purpose=entry["purpose"],
                  params=MappingProxyType(dict(entry["params"])))


def read_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """Every preset of a file by name, in file order; invalid values raise
    :class:`~rhel_viz.lab.rules.InvalidInput` naming the preset and the value."""
    entries = json.loads(path.read_text(encoding="utf-8"))["presets"]
    presets = {entry["name"]: _parse(entry) for entry in entries}
    if len(presets) != len(entries):
        raise ValueError(f"duplicate preset names in {path.name}")
    return presets


@cache
def load_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """:func:`read_presets`, once per process and file."""
    return read_presets(path)


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (or whose slug is ``name``); unknown names raise with the valid ones."""
    presets = load_presets()
    if name in presets:
        return presets[name]
    for preset in presets.values():
        if preset.slug == name:
            return preset
    raise ValueError(f"unknown preset {name!r}; choose one of {list(presets)}")
