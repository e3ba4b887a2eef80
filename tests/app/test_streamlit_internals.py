"""Streamlit's private internals that the app relies on still exist and behave as assumed.

Every one of them is used through ``rhel_viz/ui/streamlit_internals.py`` only. A failure here after a
Streamlit upgrade means: fix that module (its docstrings say what each use is for), then this test.
"""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from rhel_viz.ui import streamlit_internals
from tests.helpers import ROOT

FIX = "Streamlit changed an internal that rhel_viz/ui/streamlit_internals.py relies on"
PRIVATE_STREAMLIT = re.compile(r"\bstreamlit\.(runtime|elements|web|commands|proto|testing)\b")


def test_pages_manager_keeps_the_legacy_pages_flag(tmp_path, monkeypatch):
    from streamlit.runtime.pages_manager import PagesManager

    assert hasattr(PagesManager, "uses_pages_directory"), f"{FIX}: PagesManager.uses_pages_directory is gone"
    # Set when a PagesManager is made for a main script with a pages/ folder beside it, if still unset.
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("")
    PagesManager(str(tmp_path / "app.py"))
    assert PagesManager.uses_pages_directory is True, f"{FIX}: a pages/ folder no longer sets uses_pages_directory"
    assert streamlit_internals.leave_pages_directory_mode() is True
    assert PagesManager.uses_pages_directory is False
    assert streamlit_internals.leave_pages_directory_mode() is False  # the second call is a no-op
    PagesManager(str(tmp_path / "app.py"))
    assert PagesManager.uses_pages_directory is False, f"{FIX}: a new PagesManager sets the cleared flag again"


def _seeded_script():
    import streamlit as st

    from rhel_viz.ui.streamlit_internals import seed_bound_widgets

    st.session_state["seeded"] = seed_bound_widgets("colour=Blue")
    st.selectbox("Colour", ["Red", "Blue"], key="colour", bind="query-params")


def test_bound_widgets_take_their_first_value_from_the_seeded_query_string():
    at = AppTest.from_function(_seeded_script, default_timeout=30).run()
    assert not at.exception, at.exception
    assert at.session_state["seeded"] is True, f"{FIX}: no script run context inside a run"
    assert at.selectbox(key="colour").value == "Blue", f"{FIX}: set_initial_query_params no longer seeds widgets"
    assert streamlit_internals.seed_bound_widgets("colour=Blue") is False  # outside a run: nothing to seed


def _widgets_script():
    import streamlit as st

    st.button("Step", key="train_step")
    st.slider("Steps", 1, 10, key="train_steps_coupling-spring")
    st.button("Unkeyed")


def test_widget_ids_carry_the_user_key():
    at = AppTest.from_function(_widgets_script, default_timeout=30).run()
    ids = [at.button(key="train_step").id, at.slider(key="train_steps_coupling-spring").id, at.button[1].id]
    keys = [streamlit_internals.widget_key(widget_id) for widget_id in ids]
    assert keys == ["train_step", "train_steps_coupling-spring", None], f"{FIX}: widget ids now look like {ids}"


def _serialised_chart_script():
    import streamlit as st

    from rhel_viz.ui.streamlit_internals import SerialisedFigure

    st.plotly_chart(SerialisedFigure({"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}],
                                      "layout": {"title": {"text": "sent as given"}}}), key="chart")


def test_plotly_chart_sends_a_serialised_figure_as_given():
    import json

    at = AppTest.from_function(_serialised_chart_script, default_timeout=30).run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["x"] == [1, 2] and spec["data"][0]["y"] == [3, 4], \
        f"{FIX}: st.plotly_chart no longer serialises a figure with to_dict() ({spec})"
    assert spec["layout"]["title"]["text"] == "sent as given", FIX


def test_no_other_module_reaches_into_streamlit_internals():
    allowed = ROOT / "rhel_viz" / "ui" / "streamlit_internals.py"
    files = [*sorted((ROOT / "rhel_viz").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
    offenders = [str(path.relative_to(ROOT)) for path in files
                 if path != allowed and PRIVATE_STREAMLIT.search(path.read_text(encoding="utf-8"))]
    assert not offenders, f"use Streamlit's internals through rhel_viz/ui/streamlit_internals.py: {offenders}"


def _session_script():
    import streamlit as st

    from rhel_viz.ui.streamlit_internals import session_id

    st.session_state["session"] = session_id()


def test_a_script_run_knows_its_session_id():
    at = AppTest.from_function(_session_script, default_timeout=30).run()
    assert not at.exception, at.exception
    session = at.session_state["session"]
    assert isinstance(session, str) and session, f"{FIX}: the script run context has no session_id ({session!r})"
    assert streamlit_internals.session_id() is None  # outside a run (a download's worker thread): none


def test_session_is_active_asks_the_runtime(monkeypatch):
    import inspect

    from streamlit.runtime import Runtime
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    assert list(inspect.signature(Runtime.is_active_session).parameters) == ["self", "session_id"], \
        f"{FIX}: Runtime.is_active_session(session_id) changed"
    assert callable(getattr(WebsocketSessionManager, "is_active_session", None)), \
        f"{FIX}: the session manager no longer tells active sessions"
    assert not Runtime.exists()  # no server in this process: nothing says a session has gone
    assert streamlit_internals.session_is_active("any") is True

    class Server:
        def is_active_session(self, session_id: str) -> bool:
            return session_id == "open tab"

    monkeypatch.setattr(Runtime, "_instance", Server())
    assert streamlit_internals.session_is_active("open tab") is True
    assert streamlit_internals.session_is_active("closed tab") is False
