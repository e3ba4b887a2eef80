"""The websocket client against the real app: a figure's Export files over the websocket, a diverging Play."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.wsclient import DownloadError, StreamlitSession
from tests.helpers import served_app

FIGURE = "echo_energy"  # one figure's Export popover on /echo
DIVERGING = "train_task=signal&train_optimiser=sgd&train_lr_signal=10.0"  # the loss blows up within a few updates


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    yield from served_app("streamlit-wsclient.log")


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright (sync API) may keep an event loop
    running in this thread when they ran first in the same session."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def test_a_figures_csv_and_png_download_over_the_websocket(app_url):
    async def scenario() -> dict[str, tuple[bytes, float]]:
        async with StreamlitSession(app_url, timeout_s=120) as session:
            run = await session.open_page("echo", "steps=50")
            assert not run.exceptions
            files = {fmt: await session.download(run, f"{FIGURE}_download_{fmt}") for fmt in ("csv", "png")}
            run.deferred_files["gone"] = "no-such-deferred-file"
            with pytest.raises(DownloadError, match="Failed to generate file for download"):
                await session.download(run, "gone")
            return files

    files = _run(scenario())
    csv, png = files["csv"][0], files["png"][0]
    assert csv.decode().splitlines()[0] == "trace,panel,point,x,y" and len(csv.splitlines()) > 2
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert all(seconds > 0 for _, seconds in files.values())


def test_play_returns_when_training_diverges(app_url):
    async def scenario():
        async with StreamlitSession(app_url, timeout_s=120) as session:
            run = await session.open_page("training", DIVERGING)
            return await session.play(run, "train_play", "train_pause", "training", seconds=120)

    run, ticks = _run(asyncio.wait_for(scenario(), 100))  # well before the 120 s it was asked to play
    assert run.stopped and "Lower the learning rate" in run.stopped, run.stopped
    assert run.errors and not run.exceptions
    assert ticks and int(run.metrics["Updates"]) >= 1
