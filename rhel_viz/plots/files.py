"""Figures as files, offline: PNG/SVG (kaleido driving the system Chromium), self-contained HTML for
animations, and the numbers behind each figure as CSV and NPZ. A figure in, bytes or text out. The
app's download buttons (:mod:`rhel_viz.ui.figures`) and ``python -m rhel_viz export`` both use these.

Images: :func:`figure_image` (one figure, the app's buttons) goes through the process's shared render pool
(:mod:`rhel_viz.plots.renderer`: one Chromium kept open, one image at a time, bounded per session);
:func:`figure_images` (many figures, the CLI) starts its own Chromium, draws them all and closes it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

from rhel_viz.plots.renderer import KaleidoRenderer, shared_pool

IMAGE_FORMATS = ("png", "svg")
IMAGE_WIDTH = 1100  # pixels of an exported figure (its height is the figure's own)
DEFAULT_HEIGHT = 450
PNG_SCALE = 2  # PNGs at twice the CSS pixel size: sharp on slides
CSV_COLUMNS = ("trace", "panel", "point", "x", "y")


def _image_options(fig: go.Figure, fmt: str) -> dict:
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; choose one of {list(IMAGE_FORMATS)}")
    height = fig.layout.height or DEFAULT_HEIGHT
    return dict(format=fmt, width=IMAGE_WIDTH, height=height, scale=PNG_SCALE if fmt == "png" else 1)


def _static(fig: go.Figure) -> go.Figure:
    """A still copy: no animation frames (kaleido draws the first frame), a white background for files."""
    still = go.Figure(data=fig.data, layout=fig.layout)
    still.update_layout(paper_bgcolor="white", plot_bgcolor="white")
    still.layout.updatemenus, still.layout.sliders = (), ()
    return still


async def _render(jobs: list[tuple[go.Figure, dict]]) -> list[bytes]:
    renderer = KaleidoRenderer()
    try:
        await renderer.open()
        return [await renderer.render(fig, opts) for fig, opts in jobs]
    finally:
        await renderer.close()


def figure_images(figures: list[go.Figure], formats: list[str]) -> list[bytes]:
    """Render many figures with one Chromium of their own, closed at the end (figure i in ``formats[i]``:
    "png" or "svg"). For batches (``python -m rhel_viz export``); the app uses :func:`figure_image`."""
    jobs = [(_static(fig), _image_options(fig, fmt)) for fig, fmt in zip(figures, formats, strict=True)]
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_render(jobs))
    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # inside a running loop: a loop of its own
        return thread.submit(asyncio.run, _render(jobs)).result()


def figure_image(fig: go.Figure, fmt: str, *, owner: str = "local",
                 alive: Callable[[], bool] | None = None) -> bytes:
    """One figure as PNG or SVG bytes, drawn by the shared render pool's Chromium.

    ``owner`` (the app: a session id) is limited to a few jobs at once; the job is cancelled once
    ``alive()`` returns False. Raises :class:`~rhel_viz.plots.renderer.ExportRefused` when the pool is
    full, :class:`~rhel_viz.plots.renderer.ExportCancelled` or :class:`~rhel_viz.plots.renderer.ExportTimeout`.
    """
    options = _image_options(fig, fmt)  # a bad format raises here, before taking a place in the pool
    return shared_pool().render(_static(fig), options, owner=owner, alive=alive)


def figure_html(fig: go.Figure) -> str:
    """A self-contained HTML file (plotly.js inlined, frames included): plays offline."""
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False,
                       config={"displaylogo": False})


def _columns(values) -> np.ndarray | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=object)
    return array.reshape(-1) if array.ndim else array.reshape(1)


def figure_table(fig: go.Figure) -> list[dict]:
    """The numbers behind a figure, one row per drawn point: trace name, subplot panel, index, x, y.

    Decorations without data (walls, guides with no name) are kept: they are what is drawn. Animation
    frames are not included (the static traces hold the full trajectories).
    """
    rows = []
    for number, trace in enumerate(fig.data):
        x, y = _columns(getattr(trace, "x", None)), _columns(getattr(trace, "y", None))
        if x is None and y is None:
            continue
        count = len(x) if x is not None else len(y)
        name = trace.name or f"trace {number}"
        panel = f"{getattr(trace, 'xaxis', None) or 'x'}{getattr(trace, 'yaxis', None) or 'y'}"
        for index in range(count):
            rows.append({"trace": name, "panel": panel, "point": index,
                         "x": x[index] if x is not None and index < len(x) else index,
                         "y": y[index] if y is not None and index < len(y) else ""})
    return rows


def figure_csv(fig: go.Figure) -> str:
    """:func:`figure_table` as CSV text with the columns :data:`CSV_COLUMNS`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in figure_table(fig):
        writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
    return buffer.getvalue()


def figure_npz(fig: go.Figure) -> bytes:
    """Numeric traces as arrays ``<number>_<name>_x`` / ``_y`` in an NPZ archive."""
    arrays = {}
    for number, trace in enumerate(fig.data):
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)
            if values is None:
                continue
            try:
                array = np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError):
                continue  # categorical axis: in the CSV only
            name = "".join(c if c.isalnum() else "_" for c in (trace.name or "trace"))
            arrays[f"{number:02d}_{name}_{axis}"] = array
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


