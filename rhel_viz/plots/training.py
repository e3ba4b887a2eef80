"""Figures of the training playground: pure functions from training results to Plotly figures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rhel_viz.lab.train import StepRecord
from rhel_viz.plots.style import BPTT, FORWARD, NEUTRAL, RHEL, TARGET, base_layout, log_ticks

MAX_POINTS = 600  # curves are thinned to about this many points
SMALL_GROUP = 4  # parameter groups up to this size are drawn entry by entry, larger ones as a norm
TINY = 1e-18  # floor of log-scale axes (a gap of exactly zero)
#: Colours of the learned-parameter lines, distinct for the most series a task draws (springs: 3; HRUs: one
#: line per small group, one norm per large one); Plotly's default cycle repeated after a few.
PARAMETER_COLOURS = ("#1B998B", "#2F6FDE", "#C5283D", "#F4A259", "#8E7DBE", "#5C946E", "#B07AA1", "#7F6A4F",
                     "#E15759", "#17BECF")


def _thin(count: int) -> np.ndarray:
    stride = max(1, int(np.ceil(count / MAX_POINTS)))
    index = np.arange(0, count, stride)
    return index if count == 0 or index[-1] == count - 1 else np.append(index, count - 1)


def _method_lines(fig: go.Figure, x: np.ndarray, rhel: np.ndarray, bptt: np.ndarray, name: str = "",
                  show_legend: bool = True, **kwargs) -> None:
    fig.add_scatter(x=x, y=rhel, name=f"RHEL {name}".strip(), line=dict(color=RHEL, width=3), legendgroup="rhel",
                    showlegend=show_legend, **kwargs)
    fig.add_scatter(x=x, y=bptt, name=f"BPTT {name}".strip(), line=dict(color=BPTT, width=2, dash="dash"),
                    legendgroup="bptt", showlegend=show_legend, **kwargs)


def loss_figure(history: Sequence[StepRecord]) -> go.Figure:
    """Batch loss per update of each copy, log scale: the RHEL-trained copy and the BPTT-trained copy."""
    fig = go.Figure()
    index = _thin(len(history))
    steps = np.array([history[i].step for i in index])
    rhel, bptt = np.array([history[i].loss_rhel for i in index]), np.array([history[i].loss_bptt for i in index])
    _method_lines(fig, steps, rhel, bptt, "copy", mode="lines")
    fig.update_yaxes(type="log", title="loss", **log_ticks(np.concatenate([rhel, bptt])))
    fig.update_xaxes(title="update")
    return base_layout(fig, "Loss of each copy", height=320)


def agreement_figure(history: Sequence[StepRecord]) -> go.Figure:
    """RHEL against BPTT at the same parameters (the RHEL copy's), per update: the relative error, 1 - cosine and
    the gradient's norm relative to its first, log scale (updates where the agreement was not measured are left
    out). RHEL's error is absolute: the relative error rises as the gradient norm falls near a minimum."""
    fig = go.Figure()
    index = _thin(len(history))
    measured = [i for i in index if np.isfinite(history[i].cosine)]
    steps = np.array([history[i].step for i in measured])
    misalignment = np.maximum(1.0 - np.array([history[i].cosine for i in measured]), TINY)
    rel_error = np.maximum(np.array([history[i].rel_error for i in measured]), TINY)
    norms = np.array([history[i].gradient_norm for i in measured])
    first_norm = next((record.gradient_norm for record in history if np.isfinite(record.gradient_norm)), np.nan)
    shrink = np.maximum(norms / first_norm, TINY) if first_norm > 0 else np.full(len(measured), np.nan)
    fig.add_scatter(x=steps, y=rel_error, mode="lines", name="relative error", line=dict(color=RHEL, width=2))
    fig.add_scatter(x=steps, y=misalignment, mode="lines", name="1 − cosine", line=dict(color=FORWARD, width=2))
    fig.add_scatter(x=steps, y=shrink, mode="lines", name="|gradient| / first", line=dict(color=NEUTRAL, dash="dot"))
    fig.update_yaxes(type="log", title="RHEL vs BPTT", **log_ticks(np.concatenate([rel_error, misalignment, shrink])))
    fig.update_xaxes(title="update")
    return base_layout(fig, "Gradients at the same point", height=320)


def drift_figure(history: Sequence[StepRecord]) -> go.Figure:
    """|theta_RHEL - theta_BPTT| / |theta_BPTT| per update, log scale: how far the two copies drifted apart."""
    fig = go.Figure()
    index = _thin(len(history))
    steps = np.array([history[i].step for i in index])
    distance = np.maximum(np.array([history[i].param_distance for i in index]), TINY)
    fig.add_scatter(x=steps, y=distance, mode="lines", name="parameter distance", line=dict(color=NEUTRAL, width=2))
    fig.update_yaxes(type="log", title="|θ_RHEL − θ_BPTT| / |θ_BPTT|", **log_ticks(distance))
    fig.update_xaxes(title="update")
    return base_layout(fig, "How far the two copies drifted apart", height=320)


def _parameter_series(snapshots: Sequence[dict[str, np.ndarray]], index: np.ndarray) -> dict[str, np.ndarray]:
    """name -> (len(index),) series: every entry of a small group, the norm of a large one."""
    series: dict[str, np.ndarray] = {}
    for name in sorted(snapshots[0]):
        values = np.stack([np.ravel(snapshots[i][name]) for i in index])
        if values.shape[1] <= SMALL_GROUP:
            for entry in range(values.shape[1]):
                label = name if values.shape[1] == 1 else f"{name}[{entry}]"
                series[label] = values[:, entry]
        else:
            series[f"|{name}|"] = np.linalg.norm(values, axis=1)
    return series


def parameters_figure(snapshots: dict[str, Sequence[dict[str, np.ndarray]]],
                      steps: Sequence[int] | np.ndarray | None = None) -> go.Figure:
    """Learned parameters over updates (raw, pre-squash values); RHEL solid, BPTT dashed.

    ``steps``: the update of each snapshot (default 0, 1, 2, ...: one snapshot per update).
    """
    fig = go.Figure()
    index = _thin(len(snapshots["rhel"]))
    x = index if steps is None else np.asarray(steps)[index]
    rhel = _parameter_series(snapshots["rhel"], index)
    bptt = _parameter_series(snapshots["bptt"], index)
    for number, label in enumerate(rhel):
        colour = PARAMETER_COLOURS[number % len(PARAMETER_COLOURS)]
        fig.add_scatter(x=x, y=rhel[label], name=label, mode="lines", line=dict(width=3, color=colour),
                        legendgroup=label)
        fig.add_scatter(x=x, y=bptt[label], name=f"{label} (BPTT)", mode="lines", showlegend=False,
                        legendgroup=label, line=dict(width=1.5, dash="dash", color=NEUTRAL))
    fig.update_xaxes(title="update")
    fig.update_yaxes(title="value")
    return base_layout(fig, "Learned parameters (solid RHEL, dashed BPTT)", height=320)


def prediction_figure(result: dict[str, np.ndarray], classes: bool = False) -> go.Figure:
    """One sample: the readout of both copies against the target (where the loss looks)."""
    fig = go.Figure()
    if classes:  # classification: the final readout against the one-hot target
        labels = [str(c) for c in range(result["target"].shape[-1])]
        fig.add_bar(x=labels, y=result["target"][-1], name="target (one-hot)", marker_color=TARGET, opacity=0.5)
        fig.add_bar(x=labels, y=result["readout_rhel"][-1], name="RHEL", marker_color=RHEL)
        fig.add_bar(x=labels, y=result["readout_bptt"][-1], name="BPTT", marker_color=BPTT)
        fig.update_xaxes(title="class")
        fig.update_yaxes(title="readout at the final step")
        return base_layout(fig, "Prediction for one digit", height=320)
    time = result["time"]
    looked_at = result["weights"] > 0
    fig.add_scatter(x=time[looked_at], y=result["target"][looked_at, 0], name="target",
                    mode="markers" if looked_at.sum() < 5 else "lines",
                    line=dict(color=TARGET, width=6), marker=dict(color=TARGET, size=14, symbol="x"), opacity=0.6)
    _method_lines(fig, time, result["readout_rhel"][:, 0], result["readout_bptt"][:, 0], "readout", mode="lines")
    fig.update_xaxes(title="time t")
    fig.update_yaxes(title="output")
    return base_layout(fig, "Prediction vs target (one sample)", height=320)


def springs_figure(result: dict[str, np.ndarray]) -> go.Figure:
    """Two masses: both positions under the current springs (learned, or initial before any update), and the
    target for the second mass."""
    fig = go.Figure()
    time = np.concatenate([[0.0], result["time"]])
    positions = result["positions_rhel"]
    fig.add_scatter(x=result["time"], y=result["target"][:, 0], name="target (mass 2)", mode="lines",
                    line=dict(color=TARGET, width=7), opacity=0.8)  # thick and light: the lines stay visible on it
    fig.add_scatter(x=time, y=positions[:, 0], name="mass 1 (RHEL)", mode="lines", line=dict(color=NEUTRAL, width=2))
    _method_lines(fig, time, positions[:, 1], result["positions_bptt"][:, 1], "mass 2", mode="lines")
    fig.update_xaxes(title="time t")
    fig.update_yaxes(title="position")
    return base_layout(fig, "Trajectory with the current springs", height=340)


def digits_figure(images: np.ndarray, labels: np.ndarray, predicted: np.ndarray | None = None,
                  columns: int = 8) -> go.Figure:
    """A grid of digit images (n, 8, 8) in grey, each titled by its label, and by the predicted label once a
    model has been trained (a wrong one marked ✗): the digits task's data, shown before and after Play."""
    from plotly.subplots import make_subplots

    count = len(images)
    rows = -(-count // columns)
    titles = [f"{label}" if predicted is None else f"{label} → {guess}" + ("" if guess == label else " ✗")
              for label, guess in zip(labels, labels if predicted is None else predicted, strict=True)]
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=0.12)
    for index, image in enumerate(images):
        fig.add_heatmap(z=np.asarray(image)[::-1], colorscale="Greys", zmin=0.0, zmax=1.0, showscale=False,
                        hovertemplate="pixel %{z:.2f}<extra></extra>", row=index // columns + 1,
                        col=index % columns + 1)
    fig.update_xaxes(visible=False, constrain="domain")
    for index in range(count):  # square pixels: each image's y axis keeps the scale of its own x axis
        suffix = "" if index == 0 else str(index + 1)
        fig.layout[f"yaxis{suffix}"].update(visible=False, scaleanchor=f"x{suffix}", constrain="domain")
    title = "Digits and their labels" if predicted is None else "Digits: label → predicted (RHEL copy)"
    fig = base_layout(fig, title, height=130 + 70 * rows)
    fig.update_layout(margin=dict(t=90))  # the title above the first row's labels
    return fig
