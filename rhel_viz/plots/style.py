"""Colours, labels and layout shared by every figure, legible in light and dark themes."""

from __future__ import annotations

import plotly.graph_objects as go

FORWARD = "#2F6FDE"  # forward trajectory
ECHO = "#F4A259"  # free echo (eps = 0)
ECHO_PLUS = "#1B998B"  # echo nudged by +eps
ECHO_MINUS = "#C5283D"  # echo nudged by -eps
TARGET = "#8E7DBE"  # the loss target
RHEL = "#1B998B"
BPTT = "#2F6FDE"
NEUTRAL = "#8a94a8"  # guides, walls, grid-like marks

FONT_SIZE = 14
MODEBAR = dict(bgcolor="rgba(0,0,0,0)", color=NEUTRAL, activecolor=FORWARD)  # Plotly's buttons, both themes

# Presentation mode (``?present=1``): larger type and thicker marks for a projector.
PRESENT_FONT_SIZE = 20
PRESENT_LINE_SCALE = 1.8
PRESENT_MIN_LINE_WIDTH = 2.0
PRESENT_MARKER_SCALE = 1.4


def base_layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    """Transparent background (inherits the Streamlit theme), readable fonts, legend on top."""
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=50, r=20, t=50 if title else 20, b=40),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=dict(size=FONT_SIZE),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        uirevision="keep",
        modebar=MODEBAR,
    )
    fig.update_xaxes(gridcolor="rgba(128,128,128,0.25)", zerolinecolor="rgba(128,128,128,0.4)")
    fig.update_yaxes(gridcolor="rgba(128,128,128,0.25)", zerolinecolor="rgba(128,128,128,0.4)")
    return fig


def presentation(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for a projector: larger fonts, thicker lines, bigger markers (frames included)."""
    fig = go.Figure(fig)
    fig.update_layout(font=dict(size=PRESENT_FONT_SIZE), margin=dict(l=70, b=60))
    fig.update_annotations(font_size=PRESENT_FONT_SIZE)
    for traces in [fig.data, *(frame.data for frame in fig.frames)]:
        for trace in traces:
            _thicken(trace)
    return fig


def _thicken(trace) -> None:
    if trace.type not in ("scatter", "scattergl"):
        return
    if trace.line is not None:
        trace.line.width = max((trace.line.width or PRESENT_MIN_LINE_WIDTH) * PRESENT_LINE_SCALE,
                               PRESENT_MIN_LINE_WIDTH)
    size = trace.marker.size if trace.marker is not None else None
    if isinstance(size, int | float):
        trace.marker.size = size * PRESENT_MARKER_SCALE


# One colour per mass / oscillator (the Echo page: the same in the animation, the trajectories and the phase
# portraits), mid-tone so that each reads on light and dark backgrounds; after the last, the list repeats.
OSCILLATOR_COLOURS = ("#3A78E0", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8E7DBE", "#A6761D")
# What a curve is, by its line style (its colour says which oscillator): the forward run and the three echoes.
RUN_DASHES = {"forward": "solid", "free": "dot", "plus": "dash", "minus": "dashdot"}
# ... and by the marker that runs along it: the echo nudged by +eps points up, the one nudged by -eps down.
RUN_SYMBOLS = {"forward": "circle", "free": "circle", "plus": "triangle-up", "minus": "triangle-down"}
