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
    )
    fig.update_xaxes(gridcolor="rgba(128,128,128,0.25)", zerolinecolor="rgba(128,128,128,0.4)")
    fig.update_yaxes(gridcolor="rgba(128,128,128,0.25)", zerolinecolor="rgba(128,128,128,0.4)")
    return fig
