"""The Export popover's buttons (rhel_viz/ui/figures.py): images go through the render pool with their
session as owner and its liveness as ``alive``; CSV/NPZ/HTML are limited per session; a refusal raises, and
what Streamlit then shows is what the popover's note quotes."""

from __future__ import annotations

import asyncio
import threading

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from rhel_viz.plots import files
from rhel_viz.plots.renderer import ExportRefused
from rhel_viz.ui import figures


def _figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 0, 1], name="wave"))


def test_image_buttons_pass_their_session_and_liveness_to_the_pool(monkeypatch):
    calls = []

    def figure_image(fig, fmt, *, owner, alive):
        calls.append((fmt, owner, alive))
        return b"image"

    monkeypatch.setattr(files, "figure_image", figure_image)
    alive = lambda: True  # noqa: E731
    built = figures.makers(_figure(), animation=True, owner="session-1", alive=alive)
    assert sorted(built) == ["csv", "html", "npz", "png", "svg"]
    assert built["png"]() == built["svg"]() == b"image"
    assert calls == [("png", "session-1", alive), ("svg", "session-1", alive)]


def test_data_buttons_are_limited_per_session(monkeypatch):
    entered, release = threading.Event(), threading.Event()

    def slow_csv(fig):
        entered.set()
        release.wait(5)
        return "trace,panel,point,x,y\n"

    monkeypatch.setattr(files, "figure_csv", slow_csv)
    built = figures.makers(_figure(), animation=False, owner="session-1", alive=None)
    threads = [threading.Thread(target=built["csv"]) for _ in range(2)]
    for thread in threads:
        thread.start()
    entered.wait(5)
    try:
        with pytest.raises(ExportRefused, match="of this session"):
            built["npz"]()
        other = figures.makers(_figure(), animation=False, owner="session-2", alive=None)
        assert other["npz"]()[:2] == b"PK"  # another session is not held up
    finally:
        release.set()
        for thread in threads:
            thread.join(5)
    assert figures.FILE_GATE.in_flight == 0
    assert built["npz"]()[:2] == b"PK"


def _exports_script():
    import plotly.graph_objects as go

    from rhel_viz.ui import figures

    figures.export_buttons(go.Figure(go.Scatter(y=[1, 2])), "chart")


def test_the_popover_has_every_button_and_the_busy_note():
    at = AppTest.from_function(_exports_script, default_timeout=30).run()
    assert not at.exception, at.exception
    assert figures.BUSY_NOTE in [caption.value for caption in at.caption]


def test_a_refused_download_shows_streamlits_generic_failure_that_the_note_quotes():
    """Streamlit does not pass a callable's message to the browser, only this text: the note says what it means."""
    from streamlit.proto.BackMsg_pb2 import BackendOperationRequest
    from streamlit.runtime.backend_operation_handler import DeferredFileHandler

    class Files:
        def execute_deferred(self, file_id):
            raise ExportRefused("the server is busy")

    request = BackendOperationRequest(request_id="1")
    request.deferred_file.file_id = "png"
    response = asyncio.run(DeferredFileHandler(lambda: Files()).handle(request, "session-1"))
    assert response.error_msg == "Failed to generate file for download"
    assert f"*{response.error_msg}*" in figures.BUSY_NOTE
