"""Every use of Streamlit's private internals, in one place, each behind a small named function.

Checked against Streamlit 1.67.0. None of these has a public API (the docs were searched); each says
why it is needed. ``tests/app/test_streamlit_internals.py`` checks that every attribute and function
used here still exists and behaves as assumed, and that no other module of the package reaches into
``streamlit.runtime``: when a Streamlit upgrade breaks one, that test names what to fix here.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from streamlit.runtime import Runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

__all__ = ["SerialisedFigure", "leave_pages_directory_mode", "seed_bound_widgets", "session_id", "session_is_active",
           "widget_key"]


def leave_pages_directory_mode() -> bool:
    """Switch the server process out of Streamlit's legacy ``pages/`` mode; True if it was in it.

    ``PagesManager`` sets the class attribute ``uses_pages_directory`` when the first session starts, to
    whether a ``pages/`` folder sits next to the main script (ours does), and only ``st.navigation``
    clears it. So on a freshly started server a first visit straight to a page URL runs the page file
    without ``app.py`` (no wide layout, a sidebar listing file names): the caller clears the flag and
    reruns, which sends the same URL through ``app.py``. Cf. streamlit/streamlit#10276 ("sometimes it
    completely switch back to MPAv1"). Renaming ``pages/`` would avoid this but moves every page's path.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


def seed_bound_widgets(query_string: str) -> bool:
    """Make widgets bound with ``bind="query-params"`` take their first value from ``query_string``.

    Streamlit seeds a bound widget from the query string it captured when the run started
    (``QueryParams.set_initial_query_params``); assigning to ``st.query_params`` during the run comes too
    late for that. Returns False outside a script run (nothing to seed).
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return False
    with ctx.session_state.query_params() as params:
        params.set_initial_query_params(query_string)
    return True


def widget_key(widget_id: str) -> str | None:
    """The user key in a keyed widget's element id, or None (the websocket client of ``bench load``).

    Streamlit 1.67 writes ids of keyed widgets as ``"$$ID-<hash>-<user key>"`` (the key may contain
    dashes; unkeyed widgets end in ``-None``). A client that clicks buttons over the websocket must send
    this id back, and only the id carries the key.
    """
    parts = widget_id.split("-", 2) if isinstance(widget_id, str) else []
    if len(parts) == 3 and parts[0] == "$$ID" and parts[2] != "None":
        return parts[2]
    return None


def session_id() -> str | None:
    """The id of the session whose script is running in this thread, or None outside a script run.

    A download button's ``data`` callable runs later, in a worker thread with no script run context
    (``asyncio.to_thread`` in ``DeferredFileHandler``): an export captures its session's id while the
    page runs, to name its owner in the render pool and to ask :func:`session_is_active` later.
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else ctx.session_id


def session_is_active(session_id: str) -> bool:
    """False once the session has gone (its tab closed: the websocket is disconnected), else True.

    ``Runtime.is_active_session`` is documented in its source as safe from any thread. Without a
    ``Runtime`` (``AppTest``, bare ``python app.py``) nothing can tell a session has gone: True.
    """
    if not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(session_id)


class SerialisedFigure(go.Figure):
    """A figure for ``st.plotly_chart`` that is serialised already: its ``to_dict()`` is the given ``spec``.

    ``st.plotly_chart(fig)`` serialises the figure on every script run with ``fig.to_dict()`` (a deep copy
    of every trace and frame, then every NumPy array turned into base64: ~0.1 s for the Echo animation's
    214 frames) followed by ``plotly.io.to_json`` of that dict. For a cached figure the dict never changes,
    so :mod:`rhel_viz.ui.figures` computes it once and hands Streamlit this stand-in, whose ``to_dict``
    returns it as it is (Streamlit only reads it). The figure itself is empty: use it for nothing else.
    ``spec``: ``json.loads`` of the figure's JSON (plain lists and dicts, no NaN).
    """

    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self._serialised = spec

    def to_dict(self) -> dict[str, Any]:
        return self._serialised
