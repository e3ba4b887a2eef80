"""A minimal Streamlit client that speaks the app's websocket protocol, for the load benchmark.

A browser session costs the *server* three things: the static frontend (HTML, JavaScript, CSS,
fonts) over HTTP, the page scripts it asks to run over the websocket (``/_stcore/stream``,
protobuf ``BackMsg`` in, ``ForwardMsg`` out) and the messages those runs send back. This client
does the same work as far as the server can tell, without rendering anything: thirty of them fit
on a 2-core machine beside the server, where thirty headless Chromium renderers measure mostly
Chromium. A page counts as finished when the server reports ``script_finished``
(``FINISHED_SUCCESSFULLY``) for the run it asked for; exceptions shown on the page are collected.

Only talks to the base URL it is given (the benchmark uses 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from rhel_viz.ui.streamlit_internals import widget_key

#: Assets the frontend loads (src="..." and href="..." of the index page, same origin only).
_ASSET = re.compile(r"""(?:src|href)=["'](\./)?(static/[^"']+)["']""")


@dataclass
class PageRun:
    """What one script run sent: elements by kind, exception messages, widget ids by user key, metrics
    by label, and the fragment the server asked to rerun on a timer (id, interval in seconds)."""

    seconds: float = 0.0
    elements: dict[str, int] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    widget_ids: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, str] = field(default_factory=dict)
    auto_rerun: tuple[str, float] | None = None
    bytes_received: int = 0


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback URL from the caller)
        return response.read()


async def fetch_frontend(base: str, path: str) -> int:
    """Download the page's HTML and the static files it references, like a browser's first visit; bytes."""
    html = (await asyncio.to_thread(_fetch, base + path)).decode()
    assets = sorted({match[1] for match in _ASSET.findall(html)})
    files = await asyncio.gather(*(asyncio.to_thread(_fetch, f"{base}/{asset}") for asset in assets))
    return len(html) + sum(len(content) for content in files)


class StreamlitSession:
    """One websocket session: ask for pages and button clicks, wait until their scripts finish."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._socket: Any = None

    async def __aenter__(self) -> StreamlitSession:
        from websockets.asyncio.client import connect

        url = self.base.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._socket = await connect(url, subprotocols=["streamlit"], origin=self.base, max_size=None,
                                     open_timeout=120, ping_interval=None)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._socket.close()

    async def open_page(self, url_path: str, query_string: str = "") -> PageRun:
        """Run the page at ``url_path`` ("" for the default page), as following a link to it does."""
        message = BackMsg()
        message.rerun_script.page_name = url_path
        message.rerun_script.query_string = query_string
        return await self._run(message)

    async def click(self, run: PageRun, key: str, url_path: str) -> PageRun:
        """Press the button whose user key is ``key`` (found in ``run``) and wait for the rerun."""
        message = BackMsg()
        message.rerun_script.page_name = url_path
        state = WidgetState(id=run.widget_ids[key], trigger_value=True)
        message.rerun_script.widget_states.widgets.append(state)
        return await self._run(message)

    async def rerun_fragment(self, fragment_id: str, url_path: str) -> PageRun:
        """One timer run of a fragment (``st.fragment(run_every=...)``), as the frontend's timer sends it."""
        message = BackMsg()
        message.rerun_script.page_name = url_path
        message.rerun_script.fragment_id = fragment_id
        message.rerun_script.is_auto_rerun = True
        return await self._run(message)

    async def play(self, run: PageRun, play_key: str, pause_key: str, url_path: str,
                   seconds: float) -> tuple[PageRun, list[float]]:
        """Press ``play_key``, keep the fragment timer going for ``seconds``, press ``pause_key``.

        Like the frontend, the next timer run is sent one interval after the previous one finished.
        Returns the run after the pause and the duration of every timer run.
        """
        run = await self.click(run, play_key, url_path)
        if run.auto_rerun is None:
            raise RuntimeError(f"pressing {play_key!r} started no timer")
        fragment_id, interval = run.auto_rerun
        ticks: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            await asyncio.sleep(interval)
            tick = await self.rerun_fragment(fragment_id, url_path)
            run.exceptions.extend(tick.exceptions)
            ticks.append(tick.seconds)
        paused = await self.click(run, pause_key, url_path)
        paused.exceptions[:0] = run.exceptions
        return paused, ticks

    async def _run(self, message: BackMsg) -> PageRun:
        start = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        run = PageRun()
        while True:
            data = await self._socket.recv()
            run.bytes_received += len(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "delta":
                _record_delta(forward, run)
            elif kind == "auto_rerun":
                run.auto_rerun = (forward.auto_rerun.fragment_id, forward.auto_rerun.interval)
            elif kind == "script_finished":
                if forward.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                               ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    run.seconds = time.perf_counter() - start
                    return run
                if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.exceptions.append("compile error")
                    run.seconds = time.perf_counter() - start
                    return run
                # FINISHED_EARLY_FOR_RERUN: the server reruns by itself (st.rerun); keep waiting.


def _record_delta(forward: ForwardMsg, run: PageRun) -> None:
    if forward.delta.WhichOneof("type") != "new_element":
        return
    element = forward.delta.new_element
    kind = element.WhichOneof("type")
    run.elements[kind] = run.elements.get(kind, 0) + 1
    if kind == "exception":
        run.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
    elif kind == "metric":
        run.metrics[element.metric.label] = element.metric.body
    widget = getattr(element, kind, None)
    widget_id = getattr(widget, "id", "") if widget is not None else ""
    key = widget_key(widget_id)  # Streamlit's private id format: see rhel_viz/ui/streamlit_internals.py
    if key is not None:
        run.widget_ids[key] = widget_id
