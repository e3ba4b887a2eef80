"""A minimal Streamlit client that speaks the app's websocket protocol, for the load benchmark.

A browser session costs the *server* three things: the static frontend (HTML, JavaScript, CSS,
fonts) over HTTP, the page scripts it asks to run over the websocket (``/_stcore/stream``,
protobuf ``BackMsg`` in, ``ForwardMsg`` out) and the messages those runs send back. This client
does the same work as far as the server can tell, without rendering anything: thirty of them fit
on a 2-core machine beside the server, where thirty headless Chromium renderers measure mostly
Chromium. A page counts as finished when the server reports ``script_finished``
(``FINISHED_SUCCESSFULLY``) for the run it asked for; exceptions and ``st.error`` messages shown on
the page are collected.

Every wait is bounded: each call takes ``timeout_s`` (default :data:`TIMEOUT_S`) and raises
``TimeoutError`` naming what it waited for. The server drops some requests without an answer (a timer
run of a fragment that a full run removed), so an unbounded wait could hang a benchmark.

A download button whose file is built on click (``st.download_button(data=callable)``) is pressed as
Streamlit 1.67's frontend does: a ``backend_operation_request`` BackMsg carrying the button's
``deferred_file_id`` and the session id, answered by a ``backend_operation_response`` holding the
file's URL (or an ``error_msg``), then an HTTP GET of that URL (:meth:`StreamlitSession.download`).

Only talks to the base URL it is given (the benchmark uses 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from rhel_viz.ui.streamlit_internals import widget_key

__all__ = ["TIMEOUT_S", "DownloadError", "PageRun", "StreamlitSession", "fetch_frontend"]

#: Default bound of every wait (a script run, a download, an HTTP request), seconds.
TIMEOUT_S = 120.0

#: Assets the frontend loads (src="..." and href="..." of the index page, same origin only).
_ASSET = re.compile(r"""(?:src|href)=["'](\./)?(static/[^"']+)["']""")


class DownloadError(RuntimeError):
    """The server could not build a deferred download (its ``backend_operation_response`` has an error)."""


@dataclass
class PageRun:
    """What one script run sent: elements by kind, exception messages, ``st.error`` messages, widget ids by
    user key, the deferred file of each download button (by user key), metrics by label, the fragment
    the server asked to rerun on a timer (id, interval in seconds) and the fragments whose timers it
    stopped (``stop_auto_rerun``).

    ``full_run``: a full run of the page happened (not only a fragment's), e.g. a fragment that called
    ``st.rerun(scope="app")``; like the frontend, it clears the page's timers: ``auto_rerun`` is then
    only what that run set. ``stopped``: set by :meth:`StreamlitSession.play` when the run it returns
    ended playing by itself (why), None when it played for the time asked.
    """

    seconds: float = 0.0
    elements: dict[str, int] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    widget_ids: dict[str, str] = field(default_factory=dict)
    deferred_files: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, str] = field(default_factory=dict)
    auto_rerun: tuple[str, float] | None = None
    timers_stopped: list[str] = field(default_factory=list)
    full_run: bool = False
    stopped: str | None = None
    bytes_received: int = 0


def _fetch(url: str, timeout_s: float = TIMEOUT_S, compressed: bool = True) -> bytes:
    """GET ``url``; with ``compressed`` the body is as sent (gzip when the server chose it), like bytes on the wire."""
    headers = {"Accept-Encoding": "gzip"} if compressed else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (loopback URL from the caller)
        return response.read()


async def fetch_frontend(base: str, path: str, timeout_s: float = TIMEOUT_S) -> int:
    """Download the page's HTML and the static files it references, like a browser's first visit; bytes.

    ``timeout_s`` bounds the whole visit (``TimeoutError`` after it).
    """
    async def visit() -> int:
        html = (await asyncio.to_thread(_fetch, base + path, timeout_s)).decode()
        assets = sorted({match[1] for match in _ASSET.findall(html)})
        files = await asyncio.gather(*(asyncio.to_thread(_fetch, f"{base}/{asset}", timeout_s) for asset in assets))
        return len(html) + sum(len(content) for content in files)

    return await _bounded(visit(), timeout_s, f"the frontend of {base + path}")


async def _bounded(awaitable: Any, timeout_s: float, what: str) -> Any:
    """``await awaitable`` for at most ``timeout_s``; the TimeoutError says what was waited for."""
    try:
        async with asyncio.timeout(timeout_s):
            return await awaitable
    except TimeoutError:
        raise TimeoutError(f"waited {timeout_s:g} s for {what}") from None


class StreamlitSession:
    """One websocket session: ask for pages, button clicks and downloads, wait (bounded) for their answers.

    ``timeout_s`` is the default bound of every call; each call also takes its own.
    """

    def __init__(self, base: str, timeout_s: float = TIMEOUT_S) -> None:
        self.base = base
        self.timeout_s = timeout_s
        self.session_id = ""  # the server's AppSession id (new_session.initialize), needed for downloads
        self._socket: Any = None
        self._page_script_hash = ""  # the page st.navigation ran last: reruns name it, as the frontend does
        self._query_string = ""

    async def __aenter__(self) -> StreamlitSession:
        from websockets.asyncio.client import connect

        url = self.base.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._socket = await connect(url, subprotocols=["streamlit"], origin=self.base, max_size=None,
                                     open_timeout=self.timeout_s, close_timeout=10, ping_interval=None)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._socket.close()

    async def open_page(self, url_path: str, query_string: str = "", timeout_s: float | None = None) -> PageRun:
        """Run the page at ``url_path`` ("" for the default page), as following a link to it does."""
        message = BackMsg()
        message.rerun_script.page_name = url_path
        message.rerun_script.query_string = query_string
        self._query_string = query_string
        return await self._run(message, f"the page {url_path or '/'!r} to finish", timeout_s)

    async def click(self, run: PageRun, key: str, url_path: str, timeout_s: float | None = None) -> PageRun:
        """Press the button whose user key is ``key`` (found in ``run``) and wait for the rerun."""
        if key not in run.widget_ids:
            raise KeyError(f"no widget with key {key!r} on the page (keys: {sorted(run.widget_ids)})")
        message = self._rerun(url_path)
        state = WidgetState(id=run.widget_ids[key], trigger_value=True)
        message.rerun_script.widget_states.widgets.append(state)
        return await self._run(message, f"the rerun after pressing {key!r} to finish", timeout_s)

    async def rerun_fragment(self, fragment_id: str, url_path: str, timeout_s: float | None = None) -> PageRun:
        """One timer run of a fragment (``st.fragment(run_every=...)``), as the frontend's timer sends it.

        The server ignores the request (no answer at all) when the fragment no longer exists: this then
        raises ``TimeoutError`` after ``timeout_s``.
        """
        message = self._rerun(url_path)
        message.rerun_script.fragment_id = fragment_id
        message.rerun_script.is_auto_rerun = True
        return await self._run(message, f"the timer run of fragment {fragment_id} to finish", timeout_s)

    async def play(self, run: PageRun, play_key: str, pause_key: str, url_path: str,
                   seconds: float, timeout_s: float | None = None) -> tuple[PageRun, list[float]]:
        """Press ``play_key``, keep the fragment timer going for ``seconds``, press ``pause_key``.

        Like the frontend, the next timer run is sent one interval after the previous one finished.
        Playing ends early when the page stops by itself, and the returned run's ``stopped`` says why:

        - a run shows an ``st.error`` (the training page shows why training stopped: divergence, or
          an invalid setting). ``pause_key`` is pressed if the timer still runs, as a user would;
        - the server stops the timer: a full rerun that sets no timer (the training page calls
          ``st.rerun(scope="app")`` on divergence and at its update limit), or ``stop_auto_rerun``.
          Nothing to pause then.

        Returns the last full run (after the pause, or the one that stopped the timer) with every
        exception and error seen while playing, and the duration of every timer run. Each request is
        bounded by ``timeout_s``, so this returns (or raises) within about ``seconds`` plus a few of them.
        """
        run = await self.click(run, play_key, url_path, timeout_s)
        if run.auto_rerun is None:
            if not run.errors:
                raise RuntimeError(f"pressing {play_key!r} started no timer")
            run.stopped = f"error shown: {run.errors[0]}"
            return run, []
        exceptions, errors = list(run.exceptions), list(run.errors)
        ticks: list[float] = []
        stopped = f"error shown: {run.errors[0]}" if run.errors else None
        deadline = time.perf_counter() + seconds
        while stopped is None and time.perf_counter() < deadline:
            fragment_id, interval = run.auto_rerun
            await asyncio.sleep(interval)
            tick = await self.rerun_fragment(fragment_id, url_path, timeout_s)
            ticks.append(tick.seconds)
            exceptions.extend(tick.exceptions)
            errors.extend(tick.errors)
            if tick.full_run:
                run = tick  # the server reran the whole page (st.rerun): that is the page now
            else:
                run.metrics.update(tick.metrics)
                run.auto_rerun = tick.auto_rerun or run.auto_rerun
            if tick.errors:
                stopped = f"error shown: {tick.errors[0]}"
            if run.auto_rerun is None or fragment_id in tick.timers_stopped:
                stopped = stopped or "the server stopped the timer"
                run.exceptions, run.errors, run.stopped = exceptions, _unique(errors), stopped
                return run, ticks
        paused = await self.click(run, pause_key, url_path, timeout_s)
        paused.exceptions[:0] = exceptions
        paused.errors = _unique(errors + paused.errors)
        paused.stopped = stopped
        return paused, ticks

    async def download(self, run: PageRun, key: str, timeout_s: float | None = None) -> tuple[bytes, float]:
        """Press the deferred download button whose user key is ``key`` (found in ``run``); (file bytes, seconds).

        As Streamlit 1.67's frontend does: a ``backend_operation_request`` with the button's
        ``deferred_file_id`` (the server runs the button's ``data`` callable), then a GET of the URL it
        answers. Seconds run from the request to the last byte. Raises :class:`DownloadError` when the
        server answers with an error (e.g. "Failed to generate file for download"), ``TimeoutError``
        after ``timeout_s``.
        """
        if key not in run.deferred_files:
            raise KeyError(f"no deferred download button with key {key!r} on the page "
                           f"(keys: {sorted(run.deferred_files)})")
        if not self.session_id:
            raise RuntimeError("no session id yet: open a page before downloading")
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        message = BackMsg()
        request = message.backend_operation_request
        request.request_id = str(uuid.uuid4())
        request.session_id = self.session_id
        request.deferred_file.file_id = run.deferred_files[key]
        start = time.perf_counter()

        async def fetch() -> bytes:
            await self._socket.send(message.SerializeToString())
            while True:
                forward = await self._receive()
                if (forward.WhichOneof("type") == "backend_operation_response"
                        and forward.backend_operation_response.request_id == request.request_id):
                    break
            response = forward.backend_operation_response
            if response.error_msg or response.WhichOneof("payload") != "deferred_file":
                raise DownloadError(f"download {key!r}: the server answered "
                                    f"{response.error_msg or 'no file'!r}")
            url = response.deferred_file.url
            url = url if url.startswith(("http://", "https://")) else self.base.rstrip("/") + url
            return await asyncio.to_thread(_fetch, url, timeout_s, False)

        data = await _bounded(fetch(), timeout_s, f"the file of download button {key!r}")
        return data, time.perf_counter() - start

    def _rerun(self, url_path: str) -> BackMsg:
        """A rerun of the current page, as the frontend sends it (page hash, page name, query string)."""
        message = BackMsg()
        message.rerun_script.page_name = url_path
        message.rerun_script.page_script_hash = self._page_script_hash
        message.rerun_script.query_string = self._query_string
        return message

    async def _receive(self, run: PageRun | None = None) -> ForwardMsg:
        """The next message; what every caller needs from it (session id, page hash) is kept."""
        data = await self._socket.recv()
        forward = ForwardMsg()
        forward.ParseFromString(data)
        if run is not None:
            run.bytes_received += len(data)
        kind = forward.WhichOneof("type")
        if kind == "new_session":
            self.session_id = forward.new_session.initialize.session_id or self.session_id
        elif kind == "navigation" and forward.navigation.page_script_hash:
            self._page_script_hash = forward.navigation.page_script_hash
        elif kind == "page_info_changed":
            self._query_string = forward.page_info_changed.query_string
        return forward

    async def _run(self, message: BackMsg, what: str, timeout_s: float | None) -> PageRun:
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        start = time.perf_counter()
        run = PageRun()

        async def until_finished() -> PageRun:
            await self._socket.send(message.SerializeToString())
            while True:
                forward = await self._receive(run)
                kind = forward.WhichOneof("type")
                if kind == "delta":
                    _record_delta(forward, run)
                elif kind == "new_session":
                    if not forward.metadata.run.fragment_ids:
                        run.full_run = True
                        run.auto_rerun = None  # a full run clears the page's timers; its own auto_rerun sets one
                elif kind == "auto_rerun":
                    run.auto_rerun = (forward.auto_rerun.fragment_id, forward.auto_rerun.interval)
                elif kind == "stop_auto_rerun":
                    run.timers_stopped.extend(forward.stop_auto_rerun.fragment_ids)
                elif kind == "script_finished":
                    if forward.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                                   ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                        return run
                    if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        run.exceptions.append("compile error")
                        return run
                    # FINISHED_EARLY_FOR_RERUN: the server reruns by itself (st.rerun); keep waiting.

        await _bounded(until_finished(), timeout_s, what)
        run.seconds = time.perf_counter() - start
        return run


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _record_delta(forward: ForwardMsg, run: PageRun) -> None:
    if forward.delta.WhichOneof("type") != "new_element":
        return
    element = forward.delta.new_element
    kind = element.WhichOneof("type")
    run.elements[kind] = run.elements.get(kind, 0) + 1
    if kind == "exception":
        run.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
    elif kind == "alert" and element.alert.format == Alert.ERROR:
        run.errors.append(element.alert.body[:300])
    elif kind == "metric":
        run.metrics[element.metric.label] = element.metric.body
    widget = getattr(element, kind, None)
    widget_id = getattr(widget, "id", "") if widget is not None else ""
    key = widget_key(widget_id)  # Streamlit's private id format: see rhel_viz/ui/streamlit_internals.py
    if key is not None:
        run.widget_ids[key] = widget_id
        if kind == "download_button" and element.download_button.deferred_file_id:
            run.deferred_files[key] = element.download_button.deferred_file_id
