"""The "Some link parameters were ignored" note of a page run, and the link checks that need the page's state.

:func:`rhel_viz.ui.urlstate.start` checks every URL value against its widget's rule before the page runs and
opens the note here (:func:`begin`): one warning at the top of the page. Some widgets only know their real
options later in the run: a selectbox over the computed problem's input channels or parameter labels, the
delays below the chosen N, or a control that the chosen task or system does not show at all. Those call
:func:`check_options` (or :func:`selectbox`) and :func:`not_shown` just before the widget would be drawn;
a link value that the view cannot use is removed from the URL and gets its line in the same note, with the
reason. Without this Streamlit drops such a value silently and the widget shows its default.

Only a value that came with the link is checked: one for a widget that does not exist yet in this session
(Streamlit seeds a new bound widget from the URL). A value the visitor set with the widget itself is the
widget's; when its options later change, the widget falls back to its default as any Streamlit widget does.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from rhel_viz.lab.presets import format_value
from rhel_viz.ui import text
from rhel_viz.ui.streamlit_internals import seed_bound_widgets
from rhel_viz.ui.usertext import code_span, ignored_note, note_list

MAX_LISTED = 8  # options named in a reason; the rest are counted
ICON = ":material/link_off:"

#: This run's notes and placeholder. Streamlit runs a session's script in its own thread, and app.py calls
#: begin() at the start of every full run; fragment runs do not, so the checks belong in the page body.
_run = threading.local()

Reason = str | Callable[[], str]


def begin(notes: Iterable[str], typed: Mapping[str, str] | None = None) -> None:
    """Open this run's note at the current position (the top of the page), with the URL check's notes.

    The note is a placeholder that :func:`add` fills later in the same run; an empty one takes no space.
    ``typed``: the link's values as given, before short names were rewritten into labels; a later note
    shows the value the visitor wrote.
    """
    _run.notes = list(notes)
    _run.typed = dict(typed or {})
    _run.box = st.empty()
    _show()


def add(note: str) -> None:
    """One more line in this run's note (one line per dropped value: :func:`~rhel_viz.ui.usertext.ignored_note`)."""
    if not hasattr(_run, "box"):  # a page file run without app.py (an AppTest of the page alone): a note of its own
        st.warning(_body([note]), icon=ICON)
        return
    _run.notes.append(note)
    _show()


def _show() -> None:
    if _run.notes:
        _run.box.warning(_body(_run.notes), icon=ICON)


def _body(notes: list[str]) -> str:
    return text.asset_text("url_ignored.md").format(params=note_list(notes))


def link_value(key: str) -> str | None:
    """The value the link gives the widget ``key`` in this run, or None.

    None when the URL has no such key, or when the widget already exists in this session: Streamlit then
    keeps the widget's own value and a link value is not what the widget will show.
    """
    if key not in st.query_params or key in st.session_state:
        return None
    values = st.query_params.get_all(key)
    return values[-1] if values else None


def match_option(raw: str, options: Sequence, label: Callable[[Any], str] = str) -> tuple[bool, Any]:
    """Whether ``raw`` names one of ``options``: (True, None) for the label Streamlit writes in the URL,
    (True, option) for another spelling (a short name, ``1.0`` for ``1``, ``0.00010`` for ``1e-4``), else
    (False, None)."""
    if raw in {str(label(option)) for option in options}:
        return True, None
    for option in options:
        if raw == format_value(option) or raw == str(option):
            return True, option
        if isinstance(option, int | float) and not isinstance(option, bool) and _close(raw, option):
            return True, option
    return False, None


def _close(raw: str, option: float) -> bool:
    try:
        return math.isclose(float(raw), float(option), rel_tol=1e-9, abs_tol=0.0)
    except ValueError:
        return False


def drop(key: str, raw: str, reason: str) -> None:
    """Remove ``key`` from the URL and say why in the note (with the value as the link gave it)."""
    add(ignored_note(key, getattr(_run, "typed", {}).get(key, raw), reason))
    try:
        del st.query_params[key]
    except Exception:  # noqa: BLE001 - bound to a widget of this run: Streamlit drops an invalid value itself
        pass


def check_options(key: str, options: Sequence, reason: Reason, label: Callable[[Any], str] = str) -> None:
    """Call just before the bound widget ``key`` whose ``options`` are known only now (``label``: its format
    function). A link value among them stays; one in another spelling is rewritten to the widget's label; any
    other is dropped with ``reason`` (a string, or a function giving it, called only then)."""
    raw = link_value(key)
    if raw is None:
        return
    valid, option = match_option(raw, options, label)
    if not valid:
        drop(key, raw, reason() if callable(reason) else reason)
    elif option is not None:
        _rewrite(key, str(label(option)))


def _rewrite(key: str, label: str) -> None:
    """Put the widget's label in the URL and in the query string Streamlit seeds new widgets from."""
    query = {name: st.query_params.get_all(name) for name in st.query_params}
    query[key] = [label]
    seed_bound_widgets(urlencode([(name, value) for name, values in query.items() for value in values]))
    try:
        st.query_params[key] = label
    except Exception:  # noqa: BLE001 - already bound: the widget keeps its value
        pass


def selectbox(box, label: str, options: Sequence, *, key: str, reason: Reason, **kwargs) -> Any:
    """A selectbox bound to the URL whose options are known only at run time (:func:`check_options` first)."""
    options = list(options)
    check_options(key, options, reason, kwargs.get("format_func", str))
    return box.selectbox(label, options, key=key, bind="query-params", **kwargs)


def not_shown(reasons: Mapping[str, str]) -> None:
    """Link values of widgets (key: why) that this view does not show: dropped with a note each."""
    for key, reason in reasons.items():
        raw = link_value(key)
        if raw is not None:
            drop(key, raw, reason)


def count_reason(count: int, noun: str, plural: str | None = None) -> str:
    """``this problem has 3 input channels (0–2)``: the reason for an index the problem does not have."""
    plural = plural or f"{noun}s"
    if count <= 0:
        return f"this problem has no {plural}"
    if count == 1:
        return f"this problem has 1 {noun} (0)"
    return f"this problem has {count} {plural} (0–{count - 1})"


def one_of(labels: Sequence[str], limit: int = MAX_LISTED) -> str:
    """``choose one of `a`, `b`, … (12 more)``: our own labels, each in a code span (they hold brackets)."""
    listed = ", ".join(code_span(str(item)) for item in labels[:limit])
    more = f", … ({len(labels) - limit:,} more)" if len(labels) > limit else ""
    return f"choose one of {listed}{more}"
