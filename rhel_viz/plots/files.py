"""Figures as files, offline: PNG/SVG (kaleido driving the system Chromium), self-contained HTML for
animations, and the numbers behind each figure as CSV and NPZ. Pure: a figure in, bytes or text out. The
app's download buttons (:mod:`rhel_viz.ui.figures`) and ``python -m rhel_viz export`` both use these.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil

import numpy as np
import plotly.graph_objects as go

IMAGE_FORMATS = ("png", "svg")
IMAGE_WIDTH = 1100  # pixels of an exported figure (its height is the figure's own)
DEFAULT_HEIGHT = 450
PNG_SCALE = 2  # PNGs at twice the CSS pixel size: sharp on slides
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CSV_COLUMNS = ("trace", "panel", "point", "x", "y")


def _browser_path() -> None:
    """Point kaleido (choreographer) at the system Chromium unless BROWSER_PATH is already set."""
    if "BROWSER_PATH" not in os.environ:
        found = next((path for path in CHROMIUM_CANDIDATES if os.path.exists(path)), None)
        found = found or shutil.which("chromium")
        if found:
            os.environ["BROWSER_PATH"] = found


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


async def _render(figures: list[go.Figure], formats: list[str]) -> list[bytes]:
    import kaleido

    # mathjax=False: no MathJax script from a CDN (our figures use no LaTeX); plotly.js comes from the wheel.
    async with kaleido.Kaleido(n=1, mathjax=False) as renderer:
        return [await renderer.calc_fig(_static(fig), opts=_image_options(fig, fmt))
                for fig, fmt in zip(figures, formats, strict=True)]


def figure_images(figures: list[go.Figure], formats: list[str]) -> list[bytes]:
    """Render many figures with one Chromium (figure i in ``formats[i]``: "png" or "svg")."""
    _browser_path()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_render(figures, formats))
    import kaleido  # inside a running event loop: kaleido's sync helper runs it in a thread

    return [kaleido.calc_fig_sync(_static(fig), opts=_image_options(fig, fmt), kopts={"mathjax": False})
            for fig, fmt in zip(figures, formats, strict=True)]


def figure_image(fig: go.Figure, fmt: str) -> bytes:
    """One figure as PNG or SVG bytes."""
    return figure_images([fig], [fmt])[0]


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


