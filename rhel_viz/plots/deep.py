"""Figures of the "Deep and long" page. Pure functions: results in, figures out.

The agreement bars take :class:`~rhel_viz.lab.deep.LayerGroupAgreement` rows; the scaling figures take the
benchmark's rows (plain dicts, :func:`rhel_viz.lab.scaling.measure`), saved or measured live.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rhel_viz.plots.style import BPTT, ECHO, NEUTRAL, RHEL, base_layout, legend_below

if TYPE_CHECKING:  # annotations only: the builders take data, not the lab's modules
    from rhel_viz.lab.deep import LayerGroupAgreement

#: Fig. 4 of the paper: bars on a 0.3-1.1 axis with ticks at 0.5 and 1.0.
AGREEMENT_RANGE = (0.3, 1.1)
AGREEMENT_TICKS = (0.5, 1.0)
LAYER_COLOURS = ("#2F6FDE", "#1B998B", "#F4A259", "#C5283D", "#8E7DBE", "#5DA271")
METHOD_STYLES: dict[str, tuple[str, str, str]] = {  # method -> (label, colour, dash)
    "forward": ("forward only", NEUTRAL, "dot"),
    "rhel": ("RHEL (forward + 2 echoes)", RHEL, "solid"),
    "bptt": ("BPTT (jax.grad)", BPTT, "solid"),
    "memory-floor": ("must exist anyway", ECHO, "dash"),
}
MODEL_SHORT = {"hru": "HRU layer", "hssm4": "4-layer HSSM"}
LAYER_LABELS = {"linear": "linear HSSM", "nonlinear": "nonlinear HSSM"}
MODEL_LABELS = {"hru": "one HRU layer (P = 64, H = 32)", "hssm4": "4-layer linear HSSM (P = 64, H = 32)"}
#: The summary's rows: what each number is (peak-memory growth from the shortest to the longest N).
SUMMARY_ROWS = {
    "rhel_growth_over_must_exist": "RHEL growth ÷ must-exist",
    "bptt_growth_over_must_exist": "BPTT growth ÷ must-exist",
    "must_exist_growth_mb": "must-exist growth (MB)",
    "rhel_peak_growth_mb": "RHEL peak growth (MB)",
    "bptt_peak_growth_mb": "BPTT peak growth (MB)",
    "rhel_over_bptt_time_at_longest": "time RHEL ÷ BPTT at the longest N",
}
SUMMARY_MEASURE = "measure"  # the summary's first column


def agreement_figure(rows: Sequence[LayerGroupAgreement]) -> go.Figure:
    """Cosine and norm ratio of RHEL against BPTT per parameter group, one bar per layer (Fig. 4)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("cosine similarity", "norm ratio ‖RHEL‖ / ‖BPTT‖"),
                        horizontal_spacing=0.08)
    layers = sorted({row.layer for row in rows})
    for index, layer in enumerate(layers):
        chosen = [row for row in rows if row.layer == layer]
        colour = LAYER_COLOURS[index % len(LAYER_COLOURS)]
        for column, key in enumerate(("cosine", "norm_ratio"), start=1):
            values = [getattr(row, key) for row in chosen]
            fig.add_trace(go.Bar(
                x=[row.label for row in chosen], y=values, name=f"layer {layer}",
                marker_color=colour, legendgroup=str(layer), showlegend=column == 1,
                customdata=list(values),
                hovertemplate=f"layer {layer}, %{{x}}<br>{key.replace('_', ' ')} %{{customdata:.8f}}<extra></extra>",
            ), row=1, col=column)
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(range=list(AGREEMENT_RANGE), tickvals=list(AGREEMENT_TICKS))
    fig.add_hline(y=1.0, line=dict(color=NEUTRAL, dash="dot", width=1))
    base_layout(fig, height=380)
    fig.update_layout(margin=dict(t=40))  # room for the subplot titles
    return legend_below(fig)


def agreement_table(rows: Sequence[LayerGroupAgreement]) -> pd.DataFrame:
    """The bars' exact values (the bars alone cannot show 0.999999 against 1)."""
    frame = pd.DataFrame([asdict(row) for row in rows], columns=["layer", "label", "cosine", "norm_ratio"])
    return frame.rename(columns={"label": "parameter group", "norm_ratio": "norm ratio"})


def _by_method(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    methods: dict[str, list[Mapping[str, Any]]] = {}
    for row in sorted(rows, key=lambda row: row["seq_len"]):
        methods.setdefault(row["method"], []).append(row)
    return methods


def time_figure(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> go.Figure:
    """Median time against sequence length (log-log), min-max as error bars, one line per method."""
    fig = go.Figure()
    for method, chosen in _by_method(rows).items():
        if method == "memory-floor":
            continue  # a measuring device, not a gradient: its time means nothing
        label, colour, dash = METHOD_STYLES.get(method, (method, NEUTRAL, "solid"))
        medians = [row["seconds_median"] for row in chosen]
        fig.add_trace(go.Scatter(
            x=[row["seq_len"] for row in chosen], y=medians, name=label, mode="lines+markers",
            line=dict(color=colour, dash=dash),
            error_y=dict(type="data", symmetric=False,
                         array=[row["seconds_max"] - m for row, m in zip(chosen, medians, strict=True)],
                         arrayminus=[m - row["seconds_min"] for row, m in zip(chosen, medians, strict=True)]),
            hovertemplate="N = %{x}<br>%{y:.4g} s<extra>" + label + "</extra>"))
    return _finish_scaling(fig, rows, "seconds (median, min-max bars)", title)


def memory_figure(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> go.Figure:
    """XLA peak memory (arguments + outputs + temporaries) against N, with what must exist anyway."""
    fig = go.Figure()
    methods = _by_method(rows)
    for method, chosen in methods.items():
        label, colour, dash = METHOD_STYLES.get(method, (method, NEUTRAL, "solid"))
        fig.add_trace(go.Scatter(x=[row["seq_len"] for row in chosen], y=[row["peak_mb"] for row in chosen],
                                 name=label, mode="lines+markers", line=dict(color=colour, dash=dash),
                                 hovertemplate="N = %{x}<br>%{y:.4g} MB<extra>" + label + "</extra>"))
    rhel_rows = methods.get("rhel", [])
    if rhel_rows and "must_exist_mb" in rhel_rows[0]:
        label, colour, dash = METHOD_STYLES["memory-floor"]
        fig.add_trace(go.Scatter(x=[row["seq_len"] for row in rhel_rows], y=[row["must_exist_mb"] for row in rhel_rows],
                                 name=label, mode="lines+markers", line=dict(color=colour, dash=dash),
                                 hovertemplate="N = %{x}<br>%{y:.4g} MB<extra>" + label + "</extra>"))
    return _finish_scaling(fig, rows, "XLA peak memory (MB)", title)


def summary_table(summary: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per measure, one column per model ("HRU layer, N = 1,000 → 50,000"): peak-memory growth over N
    (MB, and as a ratio to what must exist anyway), and the RHEL/BPTT time ratio at the longest N (the
    acceptance figures). Narrow: it fits the page whatever the width."""
    columns = {SUMMARY_MEASURE: list(SUMMARY_ROWS.values())}
    for model, entry in summary.items():
        name = f"{MODEL_SHORT.get(model, model)}, N = {entry['from']:,} → {entry['to']:,}"
        columns[name] = [float(entry[key]) if key in entry else math.nan for key in SUMMARY_ROWS]
    return pd.DataFrame(columns)


def _finish_scaling(fig: go.Figure, rows: Sequence[Mapping[str, Any]], y_title: str, title: str | None) -> go.Figure:
    """Log-log axes with a tick at every measured length, legend under the plot."""
    lengths = sorted({row["seq_len"] for row in rows})
    fig.update_xaxes(type="log", title="sequence length N", tickvals=lengths,
                     ticktext=[f"{length // 1000}k" if length >= 1000 else str(length) for length in lengths])
    values = [value for trace in fig.data for value in (trace.y or ()) if value and value > 0]
    fig.update_yaxes(type="log", title=y_title, tickvals=_one_two_five(min(values), max(values)) if values else None)
    base_layout(fig, title=title, height=380)
    return legend_below(fig)


def _one_two_five(low: float, high: float) -> list[float]:
    """Log-axis ticks at 1, 2 and 5 times each power of ten between ``low`` and ``high`` (labelled in full)."""
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks.extend(mantissa * 10.0**exponent for mantissa in (1, 2, 5))
    return [tick for tick in ticks if low / 2 <= tick <= high * 2]
