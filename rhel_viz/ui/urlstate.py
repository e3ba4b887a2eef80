"""The URL is the state: a registry of every bound control per page, short-name links, ignored-value notes,
lecture flags (``present``, ``hide``) and the "copy link" box.

Streamlit's ``bind="query-params"`` writes a selectbox/radio/select_slider value to the URL as its
*formatted label* (``system=Linear+HRU``, ``eps=1e-04``) and silently drops anything else. We keep
those labels as the canonical form (readable, and seeded by Streamlit itself), and also accept the
registries' short names (``system=linear``, ``eps=0.0001``): :func:`start` rewrites them into the
labels before the widgets are created, so the URL then shows the canonical form. Values that are
neither, unknown keys, repeated keys and out-of-range numbers are removed from the URL and listed in a
visible note (:mod:`rhel_viz.ui.linknotes`). A widget whose options are known only later in the run (a
problem's parameter labels, the delays below the chosen N) or that the view does not show checks the
link's value there and adds its line to the same note, so no value is dropped without one.

The rules themselves (ranges, allowed names) are the widgets' (:mod:`rhel_viz.ui.params`, derived from the
config fields' rules), shared with the presets; this module only adds the widget labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from rhel_viz.lab import rules
from rhel_viz.lab.presets import Preset, format_value
from rhel_viz.lab.tasks import TASKS
from rhel_viz.plots import deep as deep_plots
from rhel_viz.ui import controls, linknotes, params, text
from rhel_viz.ui import training as training_ui
from rhel_viz.ui.lecture import HIDE, PRESENT, Lecture, lecture_flags
from rhel_viz.ui.streamlit_internals import seed_bound_widgets
from rhel_viz.ui.usertext import ignored_note

STREAMLIT_PARAMS = ("embed", "embed_options")  # Streamlit's own, left alone
PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"


@dataclass(frozen=True)
class Choice:
    """A selectbox / radio / select_slider: its widget rule and the label function of the widget."""

    rule: rules.OneOf
    label: Callable[[Any], str] = str

    @property
    def options(self) -> tuple:
        return self.rule.options

    def resolve(self, raw: str) -> tuple[bool, Any]:
        """(valid, option to put in session state or None when Streamlit reads the raw value itself)."""
        return linknotes.match_option(raw, self.options, self.label)

    def describe(self) -> str:
        return ", ".join(format_value(option) for option in self.options)


@dataclass(frozen=True)
class Number:
    """A slider or number input: checked by its widget rule (the range it offers)."""

    rule: rules.Range

    def resolve(self, raw: str) -> tuple[bool, Any]:
        try:
            value = float(raw)
        except ValueError:
            return False, None
        return self.rule.check(value) is None, None

    def describe(self) -> str:
        return self.rule.describe()


@dataclass(frozen=True)
class Flag:
    """A toggle or checkbox."""

    def resolve(self, raw: str) -> tuple[bool, Any]:
        return raw.lower() in ("true", "false"), None

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Pattern:
    """A free-form option list computed at run time (parameter labels): checked by shape here, against the
    computed problem's labels by the widget (:func:`rhel_viz.ui.controls.accumulator_parameter`)."""

    rule: rules.Pattern

    def resolve(self, raw: str) -> tuple[bool, Any]:
        return self.rule.check(raw) is None, None

    def describe(self) -> str:
        return self.rule.describe()


Spec = Choice | Number | Flag | Pattern

#: How a choice widget shows its options (the label is what Streamlit writes in the URL).
LABELS: dict[str, Callable[[Any], str]] = {
    "system": controls.SYSTEM_LABELS.get, "integrator": controls.INTEGRATOR_LABELS.get,
    "eps": controls.format_eps, "train_eps": controls.format_eps,
    "train_task": lambda name: TASKS[name].title, "train_system": controls.SYSTEM_LABELS.get,
    "train_optimiser": training_ui.OPTIMISER_LABELS.get,
    "deep_layer": deep_plots.LAYER_LABELS.get, "deep_model": deep_plots.MODEL_LABELS.get,
    "deep_eps": controls.format_eps,
}


def _spec(key: str, rule: rules.Rule) -> Spec:
    """The URL spec of a widget key, from its widget rule (the rules are not duplicated here)."""
    if isinstance(rule, rules.OneOf):
        return Choice(rule, LABELS.get(key, str))
    if isinstance(rule, rules.Range):
        return Number(rule)
    if isinstance(rule, rules.Pattern):
        return Pattern(rule)
    return Flag()


def page_params(page: str) -> dict[str, Spec] | None:
    """Every URL parameter a page understands (None for a page that is not registered)."""
    widgets = params.PAGES.get(page)
    return None if widgets is None else {key: _spec(key, rule) for key, rule in widgets.items()}


#: Every URL parameter each page understands, by ``url_path`` ("" is Home), built from
#: :data:`rhel_viz.ui.params.PAGES`. A page missing here (say, a new one) is not checked: its
#: parameters go to Streamlit unchanged.
PAGE_PARAMS: dict[str, dict[str, Spec]] = {page: page_params(page) for page in params.PAGES}


def check(page: str, query: Mapping[str, list[str]]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Check a page's raw query parameters against the registry (pure; :func:`start` applies the result).

    Returns (canonical labels of the values given by short name, keys to drop, notes for the drops).
    A page that is not in :data:`PAGE_PARAMS` is not checked.
    """
    specs = PAGE_PARAMS.get(page)
    if specs is None:
        return {}, [], []
    translated, dropped, notes = {}, [], []
    for key, values in query.items():
        if key in (PRESENT, HIDE, *STREAMLIT_PARAMS):
            continue
        raw = values[-1] if values else ""
        spec = specs.get(key)
        if spec is None:
            dropped.append(key)
            notes.append(ignored_note(key, raw, "this page has no such control"))
            continue
        if len(values) > 1:
            dropped.append(key)
            notes.append(ignored_note(key, raw, f"given {len(values)} times; give it once"))
            continue
        valid, option = spec.resolve(raw)
        if not valid:
            dropped.append(key)
            notes.append(ignored_note(key, raw, f"expected {spec.describe()}"))
        elif option is not None:
            translated[key] = spec.label(option)
    return translated, dropped, notes


def start(page: str) -> Lecture:
    """Before the page runs: translate short names, drop and report bad values, apply the lecture flags."""
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    translated, dropped, notes = check(page, query)
    lecture, flag_notes = lecture_flags(st.query_params.to_dict())
    if translated:
        _rewrite(query, translated)
    for key in dropped:
        try:
            del st.query_params[key]
        except Exception:  # noqa: BLE001 - a key bound to a widget this run: Streamlit drops it itself
            pass
    # widgets whose options are known only later in the run add their own lines
    linknotes.begin(notes + flag_notes, typed={key: values[-1] for key, values in query.items() if values})
    _style(lecture)
    return lecture


def _rewrite(query: dict[str, list[str]], translated: dict[str, str]) -> None:
    """Replace short names by the labels Streamlit seeds widgets from, in the URL and in the seeding snapshot.

    Streamlit reads a bound widget's first value from the query string captured when the run
    started (:func:`~rhel_viz.ui.streamlit_internals.seed_bound_widgets`); an assignment to
    ``st.query_params`` alone comes too late.
    """
    rewritten = {**query, **{key: [label] for key, label in translated.items()}}
    seed_bound_widgets(urlencode([(k, v) for k, vs in rewritten.items() for v in vs]))
    for key, label in translated.items():
        try:
            st.query_params[key] = label
        except Exception:  # noqa: BLE001 - already bound (not a fresh link): the widget keeps its value
            pass


def _style(lecture: Lecture) -> None:
    css = []
    if lecture.present:
        css.append(text.asset_text("present.css"))
    if not lecture.show_controls:
        css.append(text.asset_text("hide_controls.css"))
    if css:
        st.html("<style>" + "\n".join(css) + "</style>")


def current_link() -> str:
    """The URL of this view, with every bound control's current value (call after the page's widgets)."""
    base = st.context.url or ""
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    encoded = urlencode([(key, value) for key, values in query.items() for value in values])
    return base + (f"?{encoded}" if encoded else "")


def link_box(container, lecture: Lecture) -> None:
    """The "copy link" box (Streamlit's code block has a copy button)."""
    if lecture.show_link:
        container.caption("Link to this view (controls and seed included):")
        container.code(current_link(), language=None, wrap_lines=True)


def preset_query(preset: Preset) -> dict[str, str]:
    """A preset's query parameters in the canonical (label) form that Streamlit seeds widgets from."""
    specs = PAGE_PARAMS.get(preset.page, {})
    query = {}
    for key, value in preset.params.items():
        spec = specs.get(key)
        query[key] = spec.label(value) if isinstance(spec, Choice) else format_value(value)
    return query


def preset_links(pages_dir: Path = PAGES_DIR) -> None:
    """One link per preset (label form of the values), with its purpose; presets of missing pages are greyed."""
    for preset in params.link_presets().values():
        page_file = pages_dir / f"{preset.page}.py"
        if not page_file.exists():
            st.markdown(f"**{preset.name}** (the *{preset.page}* page is not in this version)  \n{preset.purpose}")
            continue
        st.page_link(f"pages/{preset.page}.py", label=preset.name, icon=":material/slideshow:",
                     query_params=preset_query(preset))
        st.caption(preset.purpose)
