"""Image export needs Chromium (kaleido drives Debian's): the headless export writes every file of a preset,
and the app's render pool draws many figures with one Chromium, closed when the pool is."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest

from rhel_viz.plots import files as export
from rhel_viz.plots.renderer import ExportCancelled, RenderPool
from tests.helpers import CHROMIUM, ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rhel_viz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_export_writes_valid_files(tmp_path):
    result = _cli("export", "--preset", "perfect-echo", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for stem in ("echo_animation", "echo_trajectories", "echo_phase", "echo_energy"):
        assert (tmp_path / f"{stem}.png").read_bytes().startswith(PNG_MAGIC)
        assert b"<svg" in (tmp_path / f"{stem}.svg").read_bytes()[:200]
        header = (tmp_path / f"{stem}.csv").read_text().splitlines()[0]
        assert header == ",".join(export.CSV_COLUMNS)
        assert (tmp_path / f"{stem}.npz").stat().st_size > 100
    html = (tmp_path / "echo_animation.html").read_text()
    assert html.count('"traces":') > 10 and len(html) > 1_000_000  # plotly.js and the frames, inlined


#: Chromium processes of this test process that are not the pool's (the Playwright browser the other browser
#: tests share, when they ran first): set by the ``pool`` fixture before the pool starts anything.
_OTHERS: set[int] = set()


def _chromium_processes() -> list[int]:
    """Chromium processes started by this test process (children, grandchildren, ...), less :data:`_OTHERS`."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parents[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), b"chrom" in command)
    ours = set()
    for pid in parents:
        seen, walk = set(), pid
        while walk in parents and walk not in seen:
            seen.add(walk)
            walk = parents[walk][0]
            if walk == os.getpid():
                ours.add(pid)
                break
    return sorted(pid for pid in ours if parents[pid][1] and pid not in _OTHERS)


def _figures() -> list[go.Figure]:
    return [go.Figure(go.Scatter(x=list(range(50)), y=[(i * 7) % 13 for i in range(50)], name=f"figure {n}"),
                      layout={"title": f"figure {n}"}) for n in range(3)]


def _wait_for_no_chromium(timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _chromium_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture
def pool():
    if not os.path.exists(CHROMIUM):
        pytest.fail("browser tests need Debian's Chromium at /usr/bin/chromium (make test installs it as root)")
    _OTHERS.clear()
    _OTHERS.update(_chromium_processes())
    pool = RenderPool(idle_close_s=None)
    yield pool
    pool.close()


def test_the_pool_draws_many_figures_with_one_chromium(pool):
    assert _chromium_processes() == []
    images = []
    for n, fig in enumerate(_figures()):
        for fmt in export.IMAGE_FORMATS:
            images.append(pool.render(export._static(fig), export._image_options(fig, fmt), owner=f"session {n}"))
            assert _chromium_processes(), "the renderer's Chromium is kept open between jobs"
    assert pool.starts == 1 and pool.renders == 6
    for png, svg in zip(images[::2], images[1::2], strict=True):
        assert png.startswith(PNG_MAGIC) and len(png) > 10_000
        assert svg.lstrip().startswith(b"<svg") and b"figure" in svg
    pool.close()
    assert _wait_for_no_chromium() == [], "closing the pool closes its Chromium"


def test_a_job_cancelled_while_chromium_starts_leaves_no_chromium_behind(pool):
    gone = threading.Event()
    gone.set()
    fig = _figures()[0]
    with pytest.raises(ExportCancelled):
        pool.render(export._static(fig), export._image_options(fig, "png"), owner="gone",
                    alive=lambda: not gone.is_set())
    deadline = time.monotonic() + 20
    while pool.gate.in_flight and time.monotonic() < deadline:  # its place is freed once the start is undone
        time.sleep(0.05)
    assert pool.gate.in_flight == 0 and not pool.running
    assert _wait_for_no_chromium() == [], "a cancelled start closes the Chromium it began"
    image = pool.render(export._static(fig), export._image_options(fig, "png"), owner="next")
    assert image.startswith(PNG_MAGIC) and pool.starts == 2
