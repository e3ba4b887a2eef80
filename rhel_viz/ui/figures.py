"""Show a figure the same way on every page: presentation style when ``?present=1``, and lazy export buttons."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from rhel_viz.plots import files as export
from rhel_viz.plots import style
from rhel_viz.ui.lecture import current_lecture

MIME = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv", "npz": "application/octet-stream",
        "html": "text/html"}


def show(fig: go.Figure, key: str, container=None, animation: bool = False) -> None:
    """``st.plotly_chart`` plus an "Export" popover (PNG, SVG, CSV, NPZ; HTML for animations).

    Files are generated only when a button is clicked (``data`` is a callable), so reruns stay fast.
    """
    box = container or st
    lecture = current_lecture()
    box.plotly_chart(style.presentation(fig) if lecture.present else fig, key=key)
    if lecture.show_exports:
        export_buttons(fig, key, box, animation)


def export_buttons(fig: go.Figure, name: str, container=None, animation: bool = False) -> None:
    """Download buttons for one figure; each file is built on click."""
    box = container or st
    makers = {"png": lambda: export.figure_image(fig, "png"), "svg": lambda: export.figure_image(fig, "svg"),
              "csv": lambda: export.figure_csv(fig), "npz": lambda: export.figure_npz(fig)}
    if animation:
        makers["html"] = lambda: export.figure_html(fig)
    with box.popover("Export", icon=":material/download:"):
        for fmt, make in makers.items():
            st.download_button(fmt.upper(), data=make, file_name=f"{name}.{fmt}", mime=MIME[fmt],
                               key=f"{name}_download_{fmt}", on_click="ignore", width="stretch")
