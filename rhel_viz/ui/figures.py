"""Show a figure or a table the same way on every page: presentation style when ``?present=1``, and lazy
export buttons."""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go
import plotly.io
import streamlit as st

from rhel_viz.plots import files as export
from rhel_viz.plots import style
from rhel_viz.plots.renderer import Gate
from rhel_viz.ui import streamlit_internals
from rhel_viz.ui.lecture import current_lecture

MIME = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv", "npz": "application/octet-stream",
        "html": "text/html"}
#: CSV, NPZ and HTML are built in Python in the click's worker thread (no Chromium, milliseconds to a
#: second for an animation's HTML), so they skip the render pool but are bounded the same way: at most
#: 2 at once per session and 4 in the server, beyond which a click is refused. PNG and SVG go through
#: the render pool (:mod:`rhel_viz.plots.renderer`), which has its own limits.
FILE_GATE = Gate(total=4, per_owner=2, what="file exports")
#: What a refused or failed click shows: Streamlit 1.67 puts only "Failed to generate file for download"
#: under the button (for 5 s) whatever the reason, so the popover says what that means beforehand.
BUSY_NOTE = ("Images are drawn on the server one at a time. If a button answers *Failed to generate file "
             "for download*, the server was busy (or this tab already has two exports running): try again "
             "in a few seconds.")


#: Charts serialised already, by (id of the figure, presentation mode): a figure from the shared figure cache
#: (:func:`rhel_viz.ui.cache.figure`) is serialised once, not on every script run of every session.
MAX_SERIALISED = 64
_serialised: OrderedDict[tuple[int, bool], tuple[weakref.ref, streamlit_internals.SerialisedFigure]] = OrderedDict()
_serialised_lock = threading.Lock()


def show(fig: go.Figure, key: str, container=None, animation: bool = False) -> None:
    """``st.plotly_chart`` plus an "Export" popover (PNG, SVG, CSV, NPZ; HTML for animations).

    The chart is serialised once per figure object (:func:`serialised`); files are generated only when a
    button is clicked (``data`` is a callable), so reruns stay fast.
    """
    box = container or st
    lecture = current_lecture()
    box.plotly_chart(serialised(fig, lecture.present), key=key)
    if lecture.show_exports:
        export_buttons(fig, key, box, animation)


def chart_spec(fig: go.Figure, present: bool = False) -> dict:
    """The figure as ``st.plotly_chart`` sends it (its JSON, parsed), in presentation style if ``present``."""
    return json.loads(plotly.io.to_json(style.presentation(fig) if present else fig, validate=False))


def payload_bytes(fig: go.Figure, present: bool = False) -> int:
    """Bytes of the figure's JSON as ``st.plotly_chart`` sends it (the websocket carries it once per browser
    tab; Streamlit's message cache sends a reference when the tab has it already)."""
    return len(plotly.io.to_json(chart_spec(fig, present), validate=False).encode())


def serialised(fig: go.Figure, present: bool = False) -> streamlit_internals.SerialisedFigure:
    """``fig`` ready for ``st.plotly_chart``, serialised on first use and kept while ``fig`` lives (at most
    :data:`MAX_SERIALISED` figures). Figures are never changed once built (:func:`rhel_viz.ui.cache.figure`)."""
    key = (id(fig), present)
    with _serialised_lock:
        entry = _serialised.get(key)
        if entry is not None and entry[0]() is fig:
            _serialised.move_to_end(key)
            return entry[1]
    chart = streamlit_internals.SerialisedFigure(chart_spec(fig, present))  # outside the lock: may take a second
    with _serialised_lock:
        _serialised[key] = (weakref.ref(fig), chart)
        _serialised.move_to_end(key)
        while len(_serialised) > MAX_SERIALISED:
            _serialised.popitem(last=False)
    return chart


def table(frame: pd.DataFrame, key: str, formats: Mapping[str, str] | None = None, container=None) -> None:
    """A table of numbers, index hidden; ``formats``: column -> format spec (".6f", ".2e").

    Normally ``st.dataframe`` (sortable, resizable). In presentation mode an HTML table (``st.table``): its
    text follows the page's root font size (assets/present.css) like all other text, whereas
    ``st.dataframe`` draws on a canvas whose font Streamlit computes from the root font size once, when the
    grid first renders, which on a fast (cached) page run can come before the presentation style applies
    (measured: 14 px cells instead of 18.4 px, now and then).
    """
    box = container or st
    formats = dict(formats or {})
    if current_lecture().present:
        box.table(frame.style.format({column: "{:" + spec + "}" for column, spec in formats.items()}),
                  hide_index=True)
    else:
        box.dataframe(frame, hide_index=True, key=key,
                      column_config={column: st.column_config.NumberColumn(format="%" + spec)
                                     for column, spec in formats.items()})


def makers(fig: go.Figure, animation: bool, owner: str,
           alive: Callable[[], bool] | None) -> dict[str, Callable[[], bytes | str]]:
    """The file each button builds on click, by format, on behalf of ``owner`` (a session id).

    Each runs later in a worker thread, when its button is clicked; a refused, cancelled or failed one
    raises (:class:`~rhel_viz.plots.renderer.ExportRefused` and the like), and Streamlit logs the message.
    An image is never replaced by a text file saying why: a broken download would look like a file.
    """
    def image(fmt: str) -> Callable[[], bytes]:
        return lambda: export.figure_image(fig, fmt, owner=owner, alive=alive)

    def gated(build: Callable[[go.Figure], bytes | str]) -> Callable[[], bytes | str]:
        def make() -> bytes | str:
            with FILE_GATE.admit(owner):
                return build(fig)
        return make

    built = {"png": image("png"), "svg": image("svg"), "csv": gated(export.figure_csv),
             "npz": gated(export.figure_npz)}
    if animation:
        built["html"] = gated(export.figure_html)
    return built


def export_buttons(fig: go.Figure, name: str, container=None, animation: bool = False) -> None:
    """Download buttons for one figure; each file is built on click, owned by this session."""
    box = container or st
    session = streamlit_internals.session_id()
    if session is None:  # outside a script run (bare mode): one shared owner, nothing to watch
        owner, alive = "local", None
    else:
        owner, alive = session, lambda: streamlit_internals.session_is_active(session)
    with box.popover("Export", icon=":material/download:"):
        for fmt, make in makers(fig, animation, owner, alive).items():
            st.download_button(fmt.upper(), data=make, file_name=f"{name}.{fmt}", mime=MIME[fmt],
                               key=f"{name}_download_{fmt}", on_click="ignore", width="stretch")
        st.caption(BUSY_NOTE)
