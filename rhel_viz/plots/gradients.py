"""Figures of the gradient lab: RHEL against BPTT. Pure functions, data in, figure out (no streamlit).

The data are the fields of :class:`~rhel_viz.lab.gradient_lab.GradientLabResult` and
:class:`~rhel_viz.lab.gradient_lab.EpsSweep`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rhel_viz.plots.style import BPTT, ECHO, NEUTRAL, RHEL, base_layout, legend_on_top

if TYPE_CHECKING:  # annotations only: the builders take data, not the lab's modules
    from rhel_viz.core.integrators import State
    from rhel_viz.lab.gradient_lab import GroupAgreement

#: Colours of the eps sweep's curves, (dtype, estimator) -> colour and dash.
SWEEP_STYLES: dict[tuple[str, str], tuple[str, str]] = {
    ("float64", "centred"): (RHEL, "solid"),
    ("float64", "one-sided"): (RHEL, "dot"),
    ("float32", "centred"): (ECHO, "solid"),
    ("float32", "one-sided"): (ECHO, "dot"),
}
MAX_SHOWN_ERROR = 1e4  # the sweep's y axis stops here (one-sided errors can reach 1e14)
TABLE_COLUMNS = {"group": "gradient", "size": "entries", "cosine": "cosine", "norm_ratio": "norm ratio",
                 "rel_error": "relative error"}


def gradient_bars_figure(labels: Sequence[str], rhel: np.ndarray, bptt: np.ndarray) -> go.Figure:
    """RHEL and BPTT side by side for every parameter entry (grouped bars)."""
    fig = go.Figure([
        go.Bar(name="BPTT (jax.grad)", x=list(labels), y=bptt, marker_color=BPTT),
        go.Bar(name="RHEL (echoes)", x=list(labels), y=rhel, marker_color=RHEL),
    ])
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(title="dL/dθ")
    return base_layout(fig, height=340)


def gradient_scatter_figure(labels: Sequence[str], groups: Sequence[str], rhel: np.ndarray,
                            bptt: np.ndarray) -> go.Figure:
    """RHEL against BPTT, one point per parameter entry, coloured by group, with the diagonal y = x."""
    finite = np.concatenate([rhel[np.isfinite(rhel)], bptt[np.isfinite(bptt)]])
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    pad = 0.05 * (high - low or 1.0)
    fig = go.Figure(go.Scatter(x=[low - pad, high + pad], y=[low - pad, high + pad], mode="lines",
                               line=dict(color=NEUTRAL, dash="dash"), name="RHEL = BPTT", hoverinfo="skip"))
    labels, groups = np.asarray(labels), np.asarray(groups)
    for group in dict.fromkeys(groups):
        chosen = groups == group
        fig.add_trace(go.Scatter(x=bptt[chosen], y=rhel[chosen], mode="markers", name=str(group),
                                 text=labels[chosen], marker=dict(size=10),
                                 hovertemplate="%{text}<br>BPTT %{x:.6g}<br>RHEL %{y:.6g}<extra></extra>"))
    fig.update_xaxes(title="BPTT gradient")
    fig.update_yaxes(title="RHEL gradient", scaleanchor="x", scaleratio=1)
    return base_layout(fig, height=340)


def agreement_table(rows: Sequence[GroupAgreement]) -> pd.DataFrame:
    """Agreement per gradient group as a DataFrame (columns renamed for display)."""
    frame = pd.DataFrame([asdict(row) for row in rows], columns=list(TABLE_COLUMNS))
    return frame.rename(columns=TABLE_COLUMNS)


def input_gradients_figure(time: np.ndarray, rhel: np.ndarray, bptt: np.ndarray, channel: int = 0) -> go.Figure:
    """dL/du_t over time for one input channel, BPTT as a line and RHEL as markers on top."""
    fig = go.Figure([
        go.Scatter(x=time, y=bptt[:, channel], mode="lines", name="BPTT", line=dict(color=BPTT, width=3)),
        go.Scatter(x=time, y=rhel[:, channel], mode="markers", name="RHEL",
                   marker=dict(color=RHEL, size=5, symbol="circle-open")),
    ])
    fig.update_xaxes(title="forward time t·h")
    fig.update_yaxes(title=f"dL/du[{channel}]", exponentformat="power")
    return base_layout(fig, height=320)


def accumulator_figure(time: np.ndarray, integrand: np.ndarray, readout_part: float, bptt_value: float,
                       label: str) -> go.Figure:
    """The RHEL estimator built up along the echo: per-step integrand and running sum against BPTT.

    ``integrand`` is in forward time (step t = 1..N, ``time`` = t h); the echo visits step t at echo
    step k = N - t + 1, so both are drawn against echo time k h, and the running sum starts from the
    readout part (the forward pass's share) and ends on the RHEL estimate.
    """
    echo_integrand = integrand[::-1]
    running = readout_part + np.cumsum(echo_integrand)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.45, 0.55])
    fig.add_trace(go.Scatter(x=time, y=echo_integrand, mode="lines", name="per-step integrand (I⁺ − I⁻)/2ε",
                             line=dict(color=ECHO, width=2), fill="tozeroy"), row=1, col=1)
    fig.add_trace(go.Scatter(x=time, y=running, mode="lines", name="running sum along the echo",
                             line=dict(color=RHEL, width=3)), row=2, col=1)
    fig.add_trace(go.Scatter(x=[time[0], time[-1]], y=[bptt_value, bptt_value], mode="lines",
                             name=f"BPTT dL/d{label}", line=dict(color=BPTT, dash="dash")), row=2, col=1)
    fig.update_xaxes(title="echo time k·h (echo step k re-runs forward step N − k + 1)", row=2, col=1)
    fig.update_yaxes(title="integrand", exponentformat="power", row=1, col=1)
    fig.update_yaxes(title="running sum", exponentformat="power", row=2, col=1)
    return base_layout(fig, height=460)


def eps_sweep_figure(eps: np.ndarray, errors: Mapping[tuple[str, str], np.ndarray],
                     current_eps: float | None = None) -> go.Figure:
    """Relative error against eps (log-log) per dtype and estimator, with eps^2 and 1/eps guide lines."""
    fig = go.Figure()
    floor = np.finfo(np.float64).tiny
    for key, values in errors.items():
        colour, dash = SWEEP_STYLES.get(key, (NEUTRAL, "solid"))
        shown = np.where(np.isfinite(values) & (values > 0), np.maximum(values, floor), np.nan)
        fig.add_trace(go.Scatter(x=eps, y=shown, mode="lines+markers", name=f"{key[0]}, {key[1]}",
                                 line=dict(color=colour, dash=dash, width=2.5), marker=dict(size=6)))
    centred = errors.get(("float64", "centred"))
    if centred is not None and np.isfinite(centred[0]) and np.isfinite(centred[-1]) and centred[0] > 0:
        # eps^2 through the largest eps (truncation regime), 1/eps through the smallest (round-off regime)
        fig.add_trace(go.Scatter(x=eps, y=centred[-1] * (eps / eps[-1]) ** 2, mode="lines", name="∝ ε²",
                                 line=dict(color=NEUTRAL, dash="dash", width=1.5)))
        fig.add_trace(go.Scatter(x=eps, y=centred[0] * (eps[0] / eps), mode="lines", name="∝ 1/ε",
                                 line=dict(color=NEUTRAL, dash="dashdot", width=1.5)))
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in errors.values()])
    if finite.size:
        top = min(max(finite.max(), 1.0), MAX_SHOWN_ERROR)
        fig.update_yaxes(range=[np.log10(finite.min()) - 0.5, np.log10(top) + 0.5])
    if current_eps is not None:
        fig.add_vline(x=current_eps, line=dict(color=NEUTRAL, width=1))
        # inside the plot, at the top, right of the line (annotations on a log axis take log10 coordinates);
        # the legend reserves its own rows above the plot, so the two never meet
        fig.add_annotation(x=np.log10(current_eps), y=1.0, yref="paper", text="current ε", showarrow=False,
                           xanchor="left", yanchor="top", xshift=4, font=dict(color=NEUTRAL))
    fig.update_xaxes(type="log", title="nudging ε", exponentformat="power")
    fig.update_yaxes(type="log", title="relative error vs BPTT (float64)", exponentformat="power")
    return legend_on_top(base_layout(fig, height=420))


def adjoint_figure(time: np.ndarray, bptt_costate: State, echo_costate: State, coordinate: int = 0) -> go.Figure:
    """The BPTT costate (lines) and the echo response mapped by J Sigma_z (markers) for one coordinate.

    ``time`` has N + 1 entries (t = 0..N); the costates' ``position`` and ``momentum`` are (N + 1, n) arrays.
    """
    fig = go.Figure()
    for part, symbol, colour in (("position", "q", BPTT), ("momentum", "p", ECHO)):
        fig.add_trace(go.Scatter(x=time, y=getattr(bptt_costate, part)[:, coordinate], mode="lines",
                                 name=f"BPTT dL/d{symbol}{coordinate}(t)", line=dict(color=colour, width=3)))
        fig.add_trace(go.Scatter(x=time, y=getattr(echo_costate, part)[:, coordinate], mode="markers",
                                 name=f"echo −∂ε{'p' if symbol == 'q' else 'q'}ᵉ (mirrored)",
                                 marker=dict(color=RHEL if part == "position" else "#C5283D", size=5,
                                             symbol="circle-open")))
    fig.update_xaxes(title="forward time t·h (echo step k = N − t)")
    fig.update_yaxes(title="costate λ(t)", exponentformat="power")
    return base_layout(fig, height=380)
