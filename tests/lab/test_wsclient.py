"""The load benchmark's websocket client against a scripted server: bounded waits, a diverging Play, downloads.

The real server is in ``tests/load`` (``test_load.py``, ``test_wsclient_download.py``); these run in
milliseconds and pin what the client does with each answer (or with none).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks import wsclient

FRAGMENT = "frag-1"
PAGE_HASH = "hash-of-training"


class FakeSocket:
    """Answers each BackMsg with the ForwardMsgs ``respond`` returns (none: the server stays silent)."""

    def __init__(self, respond: Callable[[BackMsg], list[ForwardMsg]]) -> None:
        self.respond = respond
        self.sent: list[BackMsg] = []
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def send(self, data: bytes) -> None:
        message = BackMsg()
        message.ParseFromString(data)
        self.sent.append(message)
        for forward in self.respond(message):
            self.queue.put_nowait(forward.SerializeToString())

    async def recv(self) -> bytes:
        return await self.queue.get()


def _session(respond: Callable[[BackMsg], list[ForwardMsg]], timeout_s: float = 1.0) -> wsclient.StreamlitSession:
    session = wsclient.StreamlitSession("http://127.0.0.1:1", timeout_s=timeout_s)
    session._socket = FakeSocket(respond)
    return session


def _new_session(fragment: bool = False) -> ForwardMsg:
    message = ForwardMsg()
    message.new_session.initialize.session_id = "session-1"
    if fragment:
        message.metadata.run.fragment_ids.append(FRAGMENT)
    return message


def _navigation() -> ForwardMsg:
    message = ForwardMsg()
    message.navigation.page_script_hash = PAGE_HASH
    return message


def _button(key: str) -> ForwardMsg:
    message = ForwardMsg()
    message.delta.new_element.button.id = f"$$ID-00ff-{key}"
    return message


def _metric(updates: int) -> ForwardMsg:
    message = ForwardMsg()
    message.delta.new_element.metric.label = "Updates"
    message.delta.new_element.metric.body = str(updates)
    return message


def _error(text: str) -> ForwardMsg:
    message = ForwardMsg()
    message.delta.new_element.alert.body = text
    message.delta.new_element.alert.format = Alert.ERROR
    return message


def _auto_rerun() -> ForwardMsg:
    message = ForwardMsg()
    message.auto_rerun.fragment_id = FRAGMENT
    message.auto_rerun.interval = 0.01
    return message


def _finished(status: int = ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    message = ForwardMsg()
    message.script_finished = status
    return message


def _full_page(updates: int, playing: bool, error: str = "") -> list[ForwardMsg]:
    """A full run of a training-like page: buttons, the fragment (error, metric), its timer while playing."""
    page = [_new_session(), _navigation(), _button("train_play"), _button("train_pause"), _button("train_step")]
    page += ([_error(error)] if error else []) + [_metric(updates)]
    return page + ([_auto_rerun()] if playing else []) + [_finished()]


class TrainingServer:
    """Play starts the timer; timer run ``diverge_at`` trains, fails and reruns the page (no timer, an error)."""

    def __init__(self, diverge_at: int | None = None) -> None:
        self.diverge_at = diverge_at
        self.ticks = 0
        self.pressed: list[str] = []

    def __call__(self, message: BackMsg) -> list[ForwardMsg]:
        rerun = message.rerun_script
        if rerun.fragment_id:
            self.ticks += 1
            if self.ticks == self.diverge_at:  # st.rerun(scope="app") from the fragment
                return [_new_session(fragment=True), _finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN),
                        *_full_page(self.ticks - 1, playing=False, error="the loss blew up")]
            return [_new_session(fragment=True), _metric(self.ticks),
                    _finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)]
        pressed = [state.id.rsplit("-", 1)[1] for state in rerun.widget_states.widgets if state.trigger_value]
        self.pressed += pressed
        return _full_page(self.ticks, playing=pressed == ["train_play"])


def test_a_server_that_never_answers_gives_a_timeout_naming_what_was_awaited():
    async def scenario() -> None:
        session = _session(lambda message: [], timeout_s=0.05)
        with pytest.raises(TimeoutError, match=r"waited 0.05 s for the page 'training' to finish"):
            await session.open_page("training")
        with pytest.raises(TimeoutError, match=r"waited 0.01 s for the timer run of fragment gone to finish"):
            await session.rerun_fragment("gone", "training", timeout_s=0.01)

    asyncio.run(scenario())


def test_play_returns_when_training_diverges_without_pressing_pause():
    server = TrainingServer(diverge_at=3)
    session = _session(server)

    async def scenario() -> tuple[wsclient.PageRun, list[float]]:
        run = await session.open_page("training")
        return await session.play(run, "train_play", "train_pause", "training", seconds=60)

    run, ticks = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert len(ticks) == 3 and server.ticks == 3
    assert run.stopped == "error shown: the loss blew up"
    assert run.errors == ["the loss blew up"] and run.full_run and run.auto_rerun is None
    assert run.metrics["Updates"] == "2"
    assert server.pressed == ["train_play"]  # the page paused itself: nothing to press
    # Reruns name the page as the frontend does, so the page's own st.rerun() stays on it.
    assert all(sent.rerun_script.page_script_hash == PAGE_HASH for sent in session._socket.sent[1:])


def test_play_stops_when_the_server_stops_the_timer():
    def respond(message: BackMsg) -> list[ForwardMsg]:
        if message.rerun_script.fragment_id:
            stop = ForwardMsg()
            stop.stop_auto_rerun.fragment_ids.append(FRAGMENT)
            return [_new_session(fragment=True), stop, _finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)]
        return _full_page(0, playing=bool(message.rerun_script.widget_states.widgets))

    session = _session(respond)

    async def scenario() -> tuple[wsclient.PageRun, list[float]]:
        run = await session.open_page("training")
        return await session.play(run, "train_play", "train_pause", "training", seconds=60)

    run, ticks = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert len(ticks) == 1 and run.stopped == "the server stopped the timer"


def test_play_for_its_time_then_pause():
    server = TrainingServer()
    session = _session(server)

    async def scenario() -> tuple[wsclient.PageRun, list[float]]:
        run = await session.open_page("training")
        return await session.play(run, "train_play", "train_pause", "training", seconds=0.1)

    run, ticks = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert ticks and run.stopped is None and not run.errors
    assert server.pressed == ["train_play", "train_pause"]
    assert run.metrics["Updates"] == str(server.ticks)


def _download_page(key: str) -> list[ForwardMsg]:
    button = ForwardMsg()
    button.delta.new_element.download_button.id = f"$$ID-00ff-{key}"
    button.delta.new_element.download_button.deferred_file_id = "deferred-1"
    return [_new_session(), button, _finished()]


def test_download_asks_for_the_deferred_file_then_gets_its_url(monkeypatch):
    fetched: list[str] = []
    monkeypatch.setattr(wsclient, "_fetch", lambda url, *args: fetched.append(url) or b"trace,panel")

    def respond(message: BackMsg) -> list[ForwardMsg]:
        if message.WhichOneof("type") == "rerun_script":
            return _download_page("fig_download_csv")
        request = message.backend_operation_request
        assert request.session_id == "session-1" and request.deferred_file.file_id == "deferred-1"
        answer = ForwardMsg()
        answer.backend_operation_response.request_id = request.request_id
        answer.backend_operation_response.deferred_file.url = "/media/abc.csv"
        return [answer]

    session = _session(respond)

    async def scenario() -> tuple[bytes, float]:
        run = await session.open_page("echo")
        with pytest.raises(KeyError, match="fig_download_csv"):  # the message lists the keys there are
            await session.download(run, "fig_download_png")
        return await session.download(run, "fig_download_csv")

    data, seconds = asyncio.run(scenario())
    assert data == b"trace,panel" and seconds >= 0
    assert fetched == ["http://127.0.0.1:1/media/abc.csv"]


def test_download_raises_the_servers_error_and_times_out_when_unanswered():
    server_answers = [False]  # first silent, then an error

    def respond(message: BackMsg) -> list[ForwardMsg]:
        if message.WhichOneof("type") == "rerun_script":
            return _download_page("fig_download_png")
        answer = ForwardMsg()
        answer.backend_operation_response.request_id = message.backend_operation_request.request_id
        answer.backend_operation_response.error_msg = "Failed to generate file for download"
        return [answer] if server_answers[0] else []

    session = _session(respond, timeout_s=0.05)

    async def scenario() -> None:
        run = await session.open_page("echo")
        with pytest.raises(TimeoutError, match="file of download button 'fig_download_png'"):
            await session.download(run, "fig_download_png")
        server_answers[0] = True
        with pytest.raises(wsclient.DownloadError, match="Failed to generate file for download"):
            await session.download(run, "fig_download_png")

    asyncio.run(scenario())
