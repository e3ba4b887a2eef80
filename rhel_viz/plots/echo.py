"""Figures of the Echo page: pure functions from an :class:`~rhel_viz.lab.echo.EchoView` to Plotly figures.

Echo arrays come in echo order (index k mirrors forward step N - k); every figure that overlays an
echo on the forward run maps it back to forward time first (``[::-1]``) and, for momenta, undoes
the flip (plots -p_echo).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rhel_viz.lab.echo import EchoView
from rhel_viz.plots import plotly_internals, style

MAX_FRAMES = 300  # client-side frames in the animation, at most
FLIP_FRAMES = 12  # frames spent turning the velocity arrows round
TAIL_FRAMES = 10  # length of the fading tail behind each moving marker, in frames
FRAME_MS = 40  # playback speed: 25 frames per second
DECIMALS = 4  # rounding of animated coordinates: keeps the figure JSON small
SPRING_COILS = 6
SPRING_AMPLITUDE = 0.07
MAX_DISPLACEMENT = 0.3  # largest drawn displacement, in units of the rest spacing
ARROW_LENGTH = 0.35  # longest velocity / nudge arrow, in units of the rest spacing
ARROW_OFFSET = 0.2  # arrows sit this far above (velocity) or below (nudge) their mass
SPRING_WIDTH = (1.0, 7.0)  # line width of the softest and the stiffest spring
MASS_SIZE = (18.0, 38.0)  # marker size of the lightest and the heaviest mass
OSCILLATOR_SIZE = 22.0  # marker size of the (unit-mass) HRU oscillators, one per row
CHAIN_HEIGHT = 620  # figure height for a chain of masses; HRUs add a row per oscillator
ROW_HEIGHT = 60
PLAYER_MARGIN_TOP, PLAYER_MARGIN_BOTTOM = 50, 150  # pixels around the plot area; the player sits below it
PLAYER_GAP = 90  # pixels between the bottom axis and the play buttons
MACHINE_EPSILON = {"float64": float(np.finfo(np.float64).eps), "float32": float(np.finfo(np.float32).eps)}
PHASE_COLOURS = {"forward": style.FORWARD, "flip": style.NEUTRAL, "echo": style.ECHO_PLUS}
NUDGE = style.TARGET  # the nudge is the loss pushing on the echo: drawn in the target's colour
PLAY_BUTTON = "#2F6FDE"  # filled buttons with white text: legible on light and dark backgrounds


def _echo_in_forward_time(view: EchoView, which: int) -> tuple[np.ndarray, np.ndarray]:
    """Position and un-flipped momentum of echo ``which`` (0 free, 1 +eps, 2 -eps), in forward time."""
    return view.echoes.position[which][::-1], -view.echoes.momentum[which][::-1]


def _oscillator_names(view: EchoView) -> list[str]:
    label = "mass" if view.system == "springs" else "oscillator"
    return [f"{label} {i + 1}" for i in range(view.forward.position.shape[1])]


# ----------------------------------------------------------------------------------------------
# The animation


def animation_frame_plan(steps: int, max_frames: int = MAX_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """Forward steps and echo steps shown as frames (subsampled; both ends always included)."""
    per_phase = max(2, (max_frames - FLIP_FRAMES) // 2)
    stride = max(1, math.ceil((steps + 1) / per_phase))
    shown = np.arange(0, steps + 1, stride)
    if shown[-1] != steps:
        shown = np.append(shown[:-1] if len(shown) >= per_phase else shown, steps)
    return shown, shown.copy()


def _spring_path(left: np.ndarray, right: np.ndarray, row: np.ndarray) -> tuple[list, list]:
    """Zig-zag spring polylines from ``left`` to ``right`` on rows ``row`` (vectors), joined by gaps."""
    fractions = np.concatenate([[0.0, 0.12], np.linspace(0.16, 0.84, 2 * SPRING_COILS), [0.88, 1.0]])
    wiggle = np.concatenate([[0.0, 0.0], SPRING_AMPLITUDE * np.resize([1.0, -1.0], 2 * SPRING_COILS), [0.0, 0.0]])
    xs = left[:, None] + fractions[None, :] * (right - left)[:, None]
    ys = row[:, None] + wiggle[None, :]
    return xs, ys


def _arrows(x: np.ndarray, y: np.ndarray, length: np.ndarray) -> tuple[list, list, list]:
    """Arrow polylines (shaft + tip marker) for each (x, y, length); zero-length arrows are hidden."""
    xs, ys, sizes = [], [], []
    for x0, y0, dx in zip(x, y, length, strict=True):
        visible = abs(dx) > 1e-3
        xs += [round(float(x0), DECIMALS), round(float(x0 + dx), DECIMALS), None]
        ys += [round(float(y0), DECIMALS), round(float(y0), DECIMALS), None]
        sizes += [0, 11 if visible else 0, 0]
    return xs, ys, sizes


def _scaled(values: np.ndarray, limit: float) -> np.ndarray:
    peak = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return values * (limit / peak) if peak > 0 else values * 0.0


def _round(values) -> list:
    return np.round(np.asarray(values, dtype=float), DECIMALS).tolist()


class _Geometry:
    """Where things sit in the physical view: springs in a chain, HRU oscillators one per row."""

    def __init__(self, view: EchoView):
        n = view.forward.position.shape[1]
        self.chain = view.system == "springs"
        self.n = n
        all_positions = np.concatenate([view.forward.position.ravel(), view.echoes.position[1].ravel()])
        peak = float(np.max(np.abs(all_positions))) if all_positions.size else 0.0
        self.scale = MAX_DISPLACEMENT / peak if peak > MAX_DISPLACEMENT else 1.0
        if self.chain:
            self.rest = np.arange(1, n + 1, dtype=float)
            self.row = np.zeros(n)
            self.walls = (0.0, float(n + 1))
        else:
            self.rest = np.ones(n)
            self.row = -np.arange(n, dtype=float)
            self.walls = (0.0, None)

    def x(self, position: np.ndarray) -> np.ndarray:
        return self.rest + self.scale * position

    def springs(self, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Zig-zags of every spring: (springs, points) arrays of x and y."""
        x = self.x(position)
        if self.chain:
            left = np.concatenate([[self.walls[0]], x])
            right = np.concatenate([x, [self.walls[1]]])
            row = np.zeros(self.n + 1)
        else:
            left, right, row = np.zeros(self.n), x, self.row
        return _spring_path(left, right, row)

    def y_range(self) -> list[float]:
        return [-0.75, 0.75] if self.chain else [-(self.n - 1) - 0.6, 1.0]

    def x_range(self) -> list[float]:
        return [-0.3, self.walls[1] + 0.3] if self.chain else [-0.3, 1.8]


def _widths(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    low, high = bounds
    peak = float(np.max(values)) if values.size else 0.0
    if peak <= 0:
        return np.full(values.shape, low)
    return low + (high - low) * np.clip(values / peak, 0.0, 1.0)


def _frames_data(view: EchoView, geometry: _Geometry, forward_steps: np.ndarray, echo_steps: np.ndarray):
    """Per frame: phase, label, positions, velocities, nudges, time-plot points (in display units)."""
    n = geometry.n
    velocity = view.forward.momentum / view.mass
    echo_position, echo_momentum = view.echoes.position[1], view.echoes.momentum[1]
    echo_velocity = echo_momentum / view.mass
    velocity_scale = ARROW_LENGTH / max(float(np.max(np.abs(np.concatenate([velocity, echo_velocity])))), 1e-300)
    nudge = _scaled(view.nudge_direction, ARROW_LENGTH)
    frames = []
    for t in forward_steps:
        frames.append(dict(phase="forward", label=f"forward t = {view.time[t]:.2f}", position=view.forward.position[t],
                           arrow=velocity[t] * velocity_scale, nudge=np.zeros(n), time=view.time[t], forward_step=t,
                           echo_step=None))
    final = view.forward.position[-1]
    for j in range(FLIP_FRAMES):
        turn = math.cos(math.pi * j / (FLIP_FRAMES - 1))  # +1 -> -1: the velocity arrows turn round
        frames.append(dict(phase="flip", label="momentum flip p → −p", position=final,
                           arrow=velocity[-1] * velocity_scale * turn,
                           nudge=nudge[0] if j == FLIP_FRAMES - 1 else np.zeros(n), time=view.time[-1],
                           forward_step=view.steps, echo_step=None))
    for k in echo_steps:
        mirror = view.steps - k
        frames.append(dict(phase="echo", label=f"echo k = {k} (mirrors t = {view.time[mirror]:.2f})",
                           position=echo_position[k], arrow=echo_velocity[k] * velocity_scale, nudge=nudge[k],
                           time=view.time[mirror], forward_step=mirror, echo_step=k))
    return frames


def _banner_text(phase: str, view: EchoView) -> str:
    if phase == "forward":
        return "FORWARD RUN"
    if phase == "flip":
        return "MOMENTUM FLIP  p → −p"
    return f"ECHO, nudged by +ε = {view.eps:.0e}, inputs replayed backwards"


def animation_figure(view: EchoView, max_frames: int = MAX_FRAMES) -> go.Figure:
    """Masses on springs running forward, flipping, and retracing (the +eps nudged echo).

    Top: the physical system (displacements scaled to fit, spring width ~ stiffness, velocity arrows
    above the masses, the nudge -eps dl/dq below, scaled to be visible). Bottom: positions over
    forward time, drawn once; only the markers, their tails and the time cursor move.
    """
    geometry = _Geometry(view)
    forward_steps, echo_steps = animation_frame_plan(view.steps, max_frames)
    frames_data = _frames_data(view, geometry, forward_steps, echo_steps)
    fig = make_subplots(rows=2, cols=1, row_heights=[0.58, 0.42], vertical_spacing=0.1)
    _add_static_traces(fig, view, geometry)
    animated_start = len(fig.data)
    _add_animated_traces(fig, view, geometry, frames_data[0]["position"])
    animated = list(range(animated_start, len(fig.data)))

    cursor_y = _time_range(view)
    for trace, update in zip((fig.data[i] for i in animated), _frame_traces(view, geometry, frames_data, 0, cursor_y),
                             strict=True):
        trace.update(update)
    # Frames of a fixed, known-valid shape: not validated trace by trace again (about 1 s for 300 frames).
    plotly_internals.attach_frames(fig, [
        plotly_internals.unvalidated_frame(name=str(i), data=_frame_traces(view, geometry, frames_data, i, cursor_y),
                                           traces=animated)
        for i in range(len(frames_data))])
    _animation_layout(fig, geometry, [data["label"] for data in frames_data], cursor_y)
    return fig


def _add_static_traces(fig: go.Figure, view: EchoView, geometry: _Geometry) -> None:
    """What never moves: the walls (top), the full forward run and the echo mapped back to forward time (bottom)."""
    names = _oscillator_names(view)
    wall_x = [geometry.walls[0]] if geometry.walls[1] is None else list(geometry.walls)
    for x in wall_x:
        y0, y1 = geometry.y_range()
        fig.add_trace(go.Scatter(x=[x, x], y=[y0 + 0.15, y1 - 0.15], mode="lines", showlegend=False,
                                 line=dict(color=style.NEUTRAL, width=6), hoverinfo="skip"), row=1, col=1)
    echo_position, _ = _echo_in_forward_time(view, 1)
    for i in range(geometry.n):
        fig.add_trace(go.Scatter(x=view.time, y=_round(view.forward.position[:, i]), mode="lines",
                                 line=dict(color=style.FORWARD, width=1.5), name="forward", legendgroup="forward",
                                 showlegend=i == 0, hovertemplate=f"{names[i]}<br>t=%{{x:.2f}}<br>q=%{{y:.3f}}"),
                      row=2, col=1)
        fig.add_trace(go.Scatter(x=view.time, y=_round(echo_position[:, i]), mode="lines",
                                 line=dict(color=style.ECHO_PLUS, width=2, dash="dot"), name="echo (+ε)",
                                 legendgroup="echo", showlegend=i == 0,
                                 hovertemplate=f"{names[i]} echo<br>t=%{{x:.2f}}<br>q=%{{y:.3f}}"), row=2, col=1)


def _add_animated_traces(fig: go.Figure, view: EchoView, geometry: _Geometry, first_position: np.ndarray) -> None:
    """The traces the frames update, in the order :func:`_frame_traces` returns their updates."""
    _add_system_traces(fig, view, geometry, first_position)
    y_top = geometry.y_range()[1] - 0.12
    x_mid = 0.5 * sum(geometry.x_range())
    fig.add_trace(go.Scatter(mode="text", x=[x_mid], y=[y_top], showlegend=False, hoverinfo="skip", name="banner",
                             textfont=dict(size=16)), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines", showlegend=False, hoverinfo="skip", name="time cursor",
                             line=dict(color=style.NEUTRAL, width=1, dash="dash")), row=2, col=1)
    fig.add_trace(go.Scatter(mode="lines", showlegend=False, hoverinfo="skip", opacity=0.6, name="tails",
                             line=dict(width=5)), row=2, col=1)
    fig.add_trace(go.Scatter(mode="markers", showlegend=False, hoverinfo="skip", marker=dict(size=10),
                             name="time markers"),
                  row=2, col=1)


def _add_system_traces(fig: go.Figure, view: EchoView, geometry: _Geometry, first_position: np.ndarray) -> None:
    """The physical view's moving parts: springs, masses, velocity and nudge arrows, the target."""
    stiffness_widths = _widths(view.stiffness, SPRING_WIDTH)
    spring_x, spring_y = geometry.springs(first_position)
    for s in range(len(spring_x)):
        fig.add_trace(go.Scatter(x=_round(spring_x[s]), y=_round(spring_y[s]), mode="lines", showlegend=False,
                                 name=f"spring {s + 1}",
                                 hoverinfo="skip", line=dict(color=style.NEUTRAL, width=float(stiffness_widths[s]))),
                      row=1, col=1)
    n = geometry.n
    mass_sizes = _widths(np.sqrt(view.mass), MASS_SIZE).tolist() if geometry.chain else OSCILLATOR_SIZE
    mass_line = [3 if i == view.target_mass else 0 for i in range(n)]
    fig.add_trace(go.Scatter(mode="markers+text", showlegend=False, text=[str(i + 1) for i in range(n)], name="masses",
                             textfont=dict(color="white", size=12), hoverinfo="skip",
                             marker=dict(symbol="square", size=mass_sizes, color=style.FORWARD,
                                         line=dict(color=style.TARGET, width=mass_line))), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", name="velocity", showlegend=True, hoverinfo="skip",
                             line=dict(color=style.FORWARD, width=3),
                             marker=dict(symbol="arrow", angleref="previous", color=style.FORWARD)), row=1, col=1)
    fig.add_trace(go.Scatter(mode="lines+markers", name="nudge −ε∂ℓ/∂q (scaled)", showlegend=True, hoverinfo="skip",
                             line=dict(color=NUDGE, width=3),
                             marker=dict(symbol="arrow", angleref="previous", color=NUDGE)), row=1, col=1)
    fig.add_trace(go.Scatter(mode="markers+text", showlegend=False, hoverinfo="skip", text=["target"], name="target",
                             textposition="top center", textfont=dict(color=style.TARGET),
                             marker=dict(symbol="diamond-open", size=16, color=style.TARGET, line=dict(width=2))),
                  row=1, col=1)


def _time_range(view: EchoView) -> list[float]:
    """The y range of the positions-over-time panel, also the extent of its time cursor."""
    span = [float(np.nanmin(view.forward.position)), float(np.nanmax(view.forward.position))]
    pad = 0.1 * max(span[1] - span[0], 1e-6)
    return [span[0] - pad, span[1] + pad]


def _frame_traces(view: EchoView, geometry: _Geometry, frames_data: list[dict], index: int,
                  cursor_y: list[float]) -> list[dict]:
    """Updates of every animated trace for frame ``index`` (the order of :func:`_add_animated_traces`)."""
    data = frames_data[index]
    colour = PHASE_COLOURS[data["phase"]]
    traces = _system_updates(view, geometry, data, colour)
    traces.append(dict(text=[_banner_text(data["phase"], view)], textfont=dict(color=colour)))
    traces.append(dict(x=[data["time"], data["time"]], y=_round(cursor_y)))
    traces.append(_tail_update(frames_data, index, geometry.n, colour))
    traces.append(dict(x=[round(float(data["time"]), DECIMALS)] * geometry.n, y=_round(data["position"]),
                       marker=dict(color=colour)))
    return traces


def _system_updates(view: EchoView, geometry: _Geometry, data: dict, colour: str) -> list[dict]:
    """Springs, masses, velocity and nudge arrows, and the target, at one frame."""
    position = data["position"]
    x = geometry.x(position)
    springs_x, springs_y = geometry.springs(position)
    traces = [dict(x=_round(springs_x[s]), y=_round(springs_y[s])) for s in range(len(springs_x))]
    traces.append(dict(x=_round(x), y=_round(geometry.row), marker=dict(color=colour)))
    arrow_x, arrow_y, arrow_size = _arrows(x, geometry.row + ARROW_OFFSET, data["arrow"])
    traces.append(dict(x=arrow_x, y=arrow_y, marker=dict(size=arrow_size), line=dict(color=colour)))
    nudge_x, nudge_y, nudge_size = _arrows(x, geometry.row - ARROW_OFFSET, data["nudge"])
    traces.append(dict(x=nudge_x, y=nudge_y, marker=dict(size=nudge_size)))
    target_index = view.target_mass
    if view.target is not None and data["forward_step"] > 0:
        target_x = geometry.rest[target_index] + geometry.scale * view.target[data["forward_step"]]
        traces.append(dict(x=[round(float(target_x), DECIMALS)], y=[geometry.row[target_index] + 0.32]))
    else:
        traces.append(dict(x=[None], y=[None]))
    return traces


def _tail_update(frames_data: list[dict], index: int, n: int, colour: str) -> dict:
    """The fading tails behind the time markers: the last TAIL_FRAMES frames of the same phase."""
    data = frames_data[index]
    start = max(0, index - TAIL_FRAMES)
    tail_x, tail_y = [], []
    for i in range(n):
        for previous in frames_data[start:index + 1]:
            if previous["phase"] == data["phase"] or data["phase"] == "flip":
                tail_x.append(previous["time"])
                tail_y.append(previous["position"][i])
        tail_x.append(None)
        tail_y.append(None)
    return dict(x=_round_optional(tail_x), y=_round_optional(tail_y), line=dict(color=colour))


def _animation_layout(fig: go.Figure, geometry: _Geometry, labels: list[str], cursor_y: list[float]) -> None:
    """Height, axes, margins and the player below the plot."""
    height = CHAIN_HEIGHT if geometry.chain else CHAIN_HEIGHT - 60 + ROW_HEIGHT * geometry.n
    style.base_layout(fig, height=height)
    fig.update_xaxes(range=geometry.x_range(), visible=False, row=1, col=1)
    fig.update_yaxes(range=geometry.y_range(), visible=False, row=1, col=1)
    fig.update_xaxes(title_text="forward time t = n h", row=2, col=1)
    fig.update_yaxes(title_text="position q", range=cursor_y, row=2, col=1)
    fig.update_layout(margin=dict(t=PLAYER_MARGIN_TOP, b=PLAYER_MARGIN_BOTTOM), legend=dict(y=1.0, yanchor="bottom"))
    _add_player(fig, labels, y=-PLAYER_GAP / (height - PLAYER_MARGIN_TOP - PLAYER_MARGIN_BOTTOM))


def _round_optional(values: list) -> list:
    return [None if value is None else round(float(value), DECIMALS) for value in values]


def _add_player(fig: go.Figure, labels: list[str], y: float) -> None:
    """Play / pause buttons and a frame slider, styled to read on light and dark backgrounds."""
    play = dict(frame=dict(duration=FRAME_MS, redraw=False), transition=dict(duration=0), fromcurrent=True,
                mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=y, xanchor="left", yanchor="top", showactive=False,
            bgcolor=PLAY_BUTTON, bordercolor=PLAY_BUTTON, font=dict(color="white", size=14),
            pad=dict(r=10, t=0),
            buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                     dict(label="❚❚ Pause", method="animate", args=[[None], pause]),
                     dict(label="↺ Replay", method="animate", args=[None, {**play, "fromcurrent": False}])],
        )],
        sliders=[dict(
            active=0, x=0.37, len=0.63, y=y, xanchor="left", yanchor="top", pad=dict(t=0, b=0),
            bgcolor=style.NEUTRAL, activebgcolor=PLAY_BUTTON, bordercolor=style.NEUTRAL, tickcolor=style.NEUTRAL,
            ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)", size=1),
            currentvalue=dict(prefix="", visible=True, xanchor="right", offset=4,
                              font=dict(color=style.NEUTRAL, size=13)),
            transition=dict(duration=0),
            steps=[dict(label=label, method="animate", args=[[str(i)], pause]) for i, label in enumerate(labels)],
        )],
    )


# ----------------------------------------------------------------------------------------------
# Static figures


def trajectories_figure(view: EchoView) -> go.Figure:
    """Positions over forward time (forward solid, echoes mapped back), and the split of the two echoes."""
    names = _oscillator_names(view)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.08)
    free, _ = _echo_in_forward_time(view, 0)
    plus, _ = _echo_in_forward_time(view, 1)
    minus, _ = _echo_in_forward_time(view, 2)
    split = (plus - minus) / (2 * view.eps)
    # Drawn bottom to top: the nudged echoes (they coincide with the rest at small eps), the forward
    # run, and the free echo dotted on top of it.
    lines = [("echo +ε (mapped back)", plus, dict(color=style.ECHO_PLUS, width=4)),
             ("echo −ε (mapped back)", minus, dict(color=style.ECHO_MINUS, width=1.5)),
             ("forward", view.forward.position, dict(color=style.FORWARD, width=2)),
             ("echo ε = 0 (mapped back)", free, dict(color=style.ECHO, width=3, dash="dot"))]
    for i in range(len(names)):
        for label, values, line in lines:
            fig.add_trace(go.Scatter(x=view.time, y=values[:, i], mode="lines", name=label, legendgroup=label,
                                     showlegend=i == 0, line=line,
                                     hovertemplate=f"{names[i]}<br>t=%{{x:.2f}}<br>q=%{{y:.4g}}"), row=1, col=1)
        fig.add_trace(go.Scatter(x=view.time, y=split[:, i], mode="lines", name="(q⁺ − q⁻) / 2ε",
                                 legendgroup="split", showlegend=i == 0, line=dict(color=style.TARGET, width=1.5),
                                 hovertemplate=f"{names[i]}<br>t=%{{x:.2f}}<br>split=%{{y:.4g}}"), row=2, col=1)
    style.base_layout(fig, height=520)
    fig.update_yaxes(title_text="position q", row=1, col=1)
    fig.update_yaxes(title_text="(q⁺ − q⁻) / 2ε", row=2, col=1)
    fig.update_xaxes(title_text="forward time t", row=2, col=1)
    return fig


def phase_portraits_figure(view: EchoView, columns: int = 3) -> go.Figure:
    """Position vs momentum per oscillator: forward solid, free echo dotted (its momentum un-flipped)."""
    names = _oscillator_names(view)
    n = len(names)
    cols = min(n, columns)
    rows = math.ceil(n / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.08,
                        vertical_spacing=0.16 if rows > 1 else 0.1)
    echo_position, echo_momentum = _echo_in_forward_time(view, 0)
    for i in range(n):
        row, col = i // cols + 1, i % cols + 1
        fig.add_trace(go.Scatter(x=view.forward.position[:, i], y=view.forward.momentum[:, i], mode="lines",
                                 name="forward", legendgroup="forward", showlegend=i == 0,
                                 line=dict(color=style.FORWARD, width=2)), row=row, col=col)
        fig.add_trace(go.Scatter(x=echo_position[:, i], y=echo_momentum[:, i], mode="lines",
                                 name="echo ε = 0, plotted as (q, −p)", legendgroup="echo", showlegend=i == 0,
                                 line=dict(color=style.ECHO, width=3, dash="dot")), row=row, col=col)
        fig.add_trace(go.Scatter(x=view.forward.position[:1, i], y=view.forward.momentum[:1, i], mode="markers",
                                 name="start Φ₀", legendgroup="start", showlegend=i == 0,
                                 marker=dict(color=style.FORWARD, size=9, symbol="circle")), row=row, col=col)
        fig.update_xaxes(title_text="q", row=row, col=col)
        fig.update_yaxes(title_text="p", row=row, col=col)
    style.base_layout(fig, height=320 * rows + 60)
    _legend_above_subplot_titles(fig)
    return fig


def _legend_above_subplot_titles(fig: go.Figure) -> None:
    fig.update_layout(margin=dict(t=100), legend=dict(y=0.99, yanchor="top", yref="container", x=0))


def energy_figure(view: EchoView) -> go.Figure:
    """Energy over forward time (forward and free echo), and the free echo's retrace error on a log scale."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("energy H(q, p; u)",
                                        "retrace error |E<sub>k</sub> − Σ<sub>z</sub>Φ<sub>N−k</sub>|"))
    fig.add_trace(go.Scatter(x=view.time, y=view.forward_energy, mode="lines", name="forward",
                             line=dict(color=style.FORWARD, width=2)), row=1, col=1)
    fig.add_trace(go.Scatter(x=view.time, y=view.echo_energy[0][::-1], mode="lines", name="echo ε = 0 (mapped back)",
                             line=dict(color=style.ECHO, width=3, dash="dot")), row=1, col=1)
    error = np.where(view.retrace_error > 0, view.retrace_error, np.nan)
    fig.add_trace(go.Scatter(x=view.time, y=error, mode="lines", name="retrace error",
                             line=dict(color=style.ECHO_MINUS, width=2)), row=1, col=2)
    machine = MACHINE_EPSILON.get(view.dtype, MACHINE_EPSILON["float64"])
    fig.add_trace(go.Scatter(x=[view.time[0], view.time[-1]], y=[machine, machine], mode="lines",
                             name=f"{view.dtype} round-off", line=dict(color=style.NEUTRAL, width=1, dash="dash")),
                  row=1, col=2)
    style.base_layout(fig, height=400)
    _legend_above_subplot_titles(fig)
    fig.update_xaxes(title_text="forward time t", row=1, col=1)
    fig.update_xaxes(title_text="echo time k h", row=1, col=2)
    fig.update_yaxes(title_text="H", row=1, col=1)
    fig.update_yaxes(title_text="max deviation", type="log", exponentformat="power", dtick=1, row=1, col=2)
    return fig
