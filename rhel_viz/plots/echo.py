"""Figures of the Echo page: pure functions from an :class:`~rhel_viz.lab.echo.EchoView` to Plotly figures.

Echo arrays come in echo order (index k mirrors forward step N - k). The animation draws each echo as it
runs, with its own momenta (the phase portrait shows the jump to (q, -p) at the flip); the static figures
overlay an echo on the forward run, so they map it back to forward time first (``[::-1]``) and, for
momenta, undo the flip (plot -p_echo).

Colour says which mass or oscillator (:data:`~rhel_viz.plots.style.OSCILLATOR_COLOURS`); line style and
marker say which run: forward solid, free echo dotted, +eps dashed (marker pointing up), -eps dash-dotted
(pointing down). The split of the nudged echoes from the free one is tiny at small eps, so the animation
draws it magnified, q_free + k (q_{±eps} - q_free), with k stated on the figure; the static figures and the
exported true-value traces are unmagnified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rhel_viz.lab.echo import EchoView
from rhel_viz.plots import plotly_internals, style

MAX_FRAMES = 300  # client-side frames in the animation, at most
FLIP_FRAMES = 12  # frames spent turning the velocity arrows round
MAX_SLIDER_STEPS = 60  # the player's slider: a step every few frames (each step costs the browser a drawn label)
TAIL_FRAMES = 10  # length of the fading tail behind each moving marker, in frames
FRAME_MS = 40  # playback speed: 25 frames per second
DECIMALS = 4  # rounding of drawn coordinates in the figure's traces: keeps the figure JSON small
SPRING_COILS = 6
SPRING_AMPLITUDE = 0.07
MAX_DISPLACEMENT = 0.3  # largest drawn displacement, in units of the rest spacing
ARROW_LENGTH = 0.35  # longest velocity / nudge arrow, in units of the rest spacing
# Offsets from a mass's (oscillator's) row, in row units, for the chain and for the HRU's rows (closer):
ARROW_ROW = {True: 0.3, False: 0.42}  # velocity arrows this far above, nudge arrows as far below
GHOST_ROW = {True: 0.16, False: 0.25}  # the +eps echo's marker this far above the free echo's, the -eps one below
TARGET_ROW = 0.45  # the target diamond, above the arrows
SPRING_WIDTH = (1.0, 7.0)  # line width of the softest and the stiffest spring
MASS_SIZE = (18.0, 32.0)  # marker size of the lightest and the heaviest mass
OSCILLATOR_SIZE = 13.0  # marker size of the (unit-mass) HRU oscillators, one per row
GHOST_SIZE = {True: 11.0, False: 8.0}  # the nudged echoes' markers, chain and HRU
ANIMATION_HEIGHT = 530  # pixels: with the page title and the player, on a 1280x720 screen's first view
MARGIN = dict(l=55, r=15, t=48, b=95)  # the player above the plot area; axis title and legend below it
PLAYER_GAP = 8  # pixels between the player and the plot area
SPLIT_FRACTION = 0.25  # auto magnification: the largest drawn split is about this fraction of the motion's range
NICE_STEPS = (1.0, 2.0, 3.0, 5.0)  # magnifications are these times a power of ten
MACHINE_EPSILON = {"float64": float(np.finfo(np.float64).eps), "float32": float(np.finfo(np.float32).eps)}
MAX_LOG_TICKS = 6  # labelled decades on a log axis, at most (more collide)
NUDGE = style.TARGET  # the nudge is the loss pushing on the echo: drawn in the target's colour
MODEBAR_REMOVE = ("zoom", "pan", "select", "lasso", "zoomIn", "zoomOut", "autoScale", "resetScale")  # fixed ranges
PLAY_BUTTON = "#2F6FDE"  # filled buttons with white text: legible on light and dark backgrounds
RUNS = ("forward", "free", "plus", "minus")
RUN_LABELS = {"forward": "forward", "free": "echo ε = 0", "plus": "echo +ε", "minus": "echo −ε"}
ECHOES = ("free", "plus", "minus")  # the leading axis of EchoView.echoes
PANEL = {"system": dict(row=1, col=1), "phase": dict(row=1, col=2), "time": dict(row=2, col=1)}


def _echo_in_forward_time(view: EchoView, which: int) -> tuple[np.ndarray, np.ndarray]:
    """Position and un-flipped momentum of echo ``which`` (0 free, 1 +eps, 2 -eps), in forward time."""
    return view.echoes.position[which][::-1], -view.echoes.momentum[which][::-1]


def oscillator_names(view: EchoView) -> list[str]:
    """``mass 1, mass 2`` for the masses and springs, ``oscillator 1, ...`` for the HRUs."""
    label = "mass" if view.system == "springs" else "oscillator"
    return [f"{label} {i + 1}" for i in range(view.forward.position.shape[1])]


def oscillator_colours(count: int) -> list[str]:
    """One colour per mass / oscillator, the same in every figure of the page."""
    return [style.OSCILLATOR_COLOURS[i % len(style.OSCILLATOR_COLOURS)] for i in range(count)]


def _translucent(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


# ----------------------------------------------------------------------------------------------
# The magnification of the nudged echoes' split


def _span(values: np.ndarray) -> float:
    span = float(np.ptp(values)) if values.size else 0.0
    return span if span > 0 else max(float(np.max(np.abs(values))) if values.size else 0.0, 1.0)


def relative_split(view: EchoView) -> float:
    """The largest split |x_{±eps} - x_free| of the echoes, over the forward run's range of x, for x = q and p."""
    free = view.echoes.position[0], view.echoes.momentum[0]
    nudged = view.echoes.position[1:], view.echoes.momentum[1:]
    forward = view.forward.position, view.forward.momentum
    return max(float(np.max(np.abs(n - f))) / _span(r) if n.size else 0.0
               for n, f, r in zip(nudged, free, forward, strict=True))


def _nice_floor(value: float) -> float:
    """The largest 1-2-3-5 number (times a power of ten) not above ``value``."""
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    step = max(s for s in NICE_STEPS if s <= mantissa * (1 + 1e-12))
    return step * 10.0**exponent


def auto_magnification(view: EchoView) -> float:
    """How much the animation magnifies the nudged echoes' split when the viewer lets it choose.

    The largest drawn split, in position or in momentum, is about :data:`SPLIT_FRACTION` of the forward
    run's range of that coordinate: a 1-2-3-5 number, and at least 1 (a large eps is drawn as it is).
    """
    split = relative_split(view)
    if not (math.isfinite(split) and split > 0):
        return 1.0
    return max(1.0, _nice_floor(SPLIT_FRACTION / split))


def format_magnification(k: float) -> str:
    """``30``, ``2,000``, ``5·10⁶``: how the figure states k."""
    if k < 1e4:
        return f"{k:,.0f}"
    exponent = math.floor(math.log10(k) + 1e-9)
    mantissa = round(k / 10.0**exponent, 6)
    power = "10" + str(exponent).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    return power if mantissa == 1 else f"{mantissa:g}·{power}"


def split_note(k: float) -> str:
    """What the figure says about the magnification."""
    return "±ε split at true scale" if k == 1 else f"±ε split shown ×{format_magnification(k)}"


@dataclass(frozen=True)
class DrawnRuns:
    """The forward run and the three echoes as the animation draws them (echo order, the echoes' own momenta):
    the nudged echoes at q_free + k (q_{±eps} - q_free), and likewise for p."""

    k: float
    forward_q: np.ndarray  # (N+1, n)
    forward_p: np.ndarray
    echo_q: np.ndarray  # (3, N+1, n): free, +eps, -eps
    echo_p: np.ndarray


def drawn_runs(view: EchoView, k: float) -> DrawnRuns:
    q, p = np.asarray(view.echoes.position, float), np.asarray(view.echoes.momentum, float)
    magnified = [(values[0], *(values[0] + k * (values[j] - values[0]) for j in (1, 2))) for values in (q, p)]
    return DrawnRuns(k=float(k), forward_q=np.asarray(view.forward.position, float),
                     forward_p=np.asarray(view.forward.momentum, float),
                     echo_q=np.stack(magnified[0]), echo_p=np.stack(magnified[1]))


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


def _round_optional(values: list) -> list:
    return [None if value is None else round(float(value), DECIMALS) for value in values]


def _padded(values: np.ndarray, fraction: float = 0.06) -> list[float]:
    """An axis range holding ``values`` (NaN ignored), padded; [-1, 1] around a constant."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    pad = fraction * (high - low) if high > low else 1.0
    return [low - pad, high + pad]


class _Geometry:
    """Where things sit in the physical view: springs in a chain, HRU oscillators one per row."""

    def __init__(self, view: EchoView, runs: DrawnRuns):
        n = view.forward.position.shape[1]
        self.chain = view.system == "springs"
        self.n = n
        peak = float(np.max(np.abs(np.concatenate([runs.forward_q.ravel(), runs.echo_q.ravel()])))) if n else 0.0
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
        return [-0.6, 0.85] if self.chain else [-(self.n - 1) - 0.6, 1.3]

    def x_range(self) -> list[float]:
        return [-0.3, self.walls[1] + 0.3] if self.chain else [-0.3, 1.8]


def _widths(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    low, high = bounds
    peak = float(np.max(values)) if values.size else 0.0
    if peak <= 0:
        return np.full(values.shape, low)
    return low + (high - low) * np.clip(values / peak, 0.0, 1.0)


def _frames_data(view: EchoView, runs: DrawnRuns, forward_steps: np.ndarray, echo_steps: np.ndarray) -> list[dict]:
    """Per frame: phase, label, the main state (forward, then the free echo), the nudged echoes' drawn states
    (echo only), velocities and nudges (display units), and the forward time it shows."""
    n = runs.forward_q.shape[1]
    velocity = runs.forward_p / view.mass
    echo_velocity = runs.echo_p[0] / view.mass
    peak = float(np.max(np.abs(np.concatenate([velocity.ravel(), echo_velocity.ravel()])))) if n else 0.0
    velocity_scale = ARROW_LENGTH / max(peak, 1e-300)
    nudge = _scaled(view.nudge_direction, ARROW_LENGTH)
    frames = []
    for t in forward_steps:
        frames.append(dict(phase="forward", banner=f"FORWARD RUN   t = {view.time[t]:.2f}", time=view.time[t],
                           q=runs.forward_q[t], p=runs.forward_p[t], nudged=None,
                           arrow=velocity[t] * velocity_scale, nudge=np.zeros(n), forward_step=t))
    for j in range(FLIP_FRAMES):
        turn = math.cos(math.pi * j / (FLIP_FRAMES - 1))  # +1 -> -1: the velocity arrows (and p) turn round
        frames.append(dict(phase="flip", banner="MOMENTUM FLIP   p → −p", time=view.time[-1],
                           q=runs.forward_q[-1], p=runs.forward_p[-1] * turn, nudged=None,
                           arrow=velocity[-1] * velocity_scale * turn,
                           nudge=nudge[0] if j == FLIP_FRAMES - 1 else np.zeros(n), forward_step=view.steps))
    for k in echo_steps:
        mirror = view.steps - k
        frames.append(dict(phase="echo", banner=f"ECHO   step {k}, mirrors t = {view.time[mirror]:.2f}",
                           time=view.time[mirror], q=runs.echo_q[0, k], p=runs.echo_p[0, k],
                           nudged=(runs.echo_q[1:, k], runs.echo_p[1:, k]), arrow=echo_velocity[k] * velocity_scale,
                           nudge=nudge[k], forward_step=mirror))
    return frames


def slider_frames(frames_data: list[dict], max_steps: int = MAX_SLIDER_STEPS) -> list[int]:
    """The frames the player's slider has a step for: evenly spaced, at most about ``max_steps``, always the
    first frame of each phase and the last frame.

    plotly.js draws and measures a label for every step whenever the figure is drawn (about 0.5 ms each), so
    a step per frame would cost ~0.1 s per draw at 214 frames; the animation itself plays every frame, and
    the slider's handle follows it from step to step.
    """
    stride = max(1, math.ceil(len(frames_data) / max_steps))
    chosen = set(range(0, len(frames_data), stride)) | {len(frames_data) - 1}
    chosen |= {i for i in range(1, len(frames_data)) if frames_data[i]["phase"] != frames_data[i - 1]["phase"]}
    return sorted(chosen)


def _slider_label(data: dict) -> str:
    return data["banner"].replace("   ", " ")


def animation_figure(view: EchoView, magnification: float | None = None, max_frames: int = MAX_FRAMES) -> go.Figure:
    """The forward run, the momentum flip and the three echoes, in three panels that move together.

    Top left: the physical system (masses on springs, or the HRU's oscillators one per row; displacements
    scaled to fit, spring width ~ stiffness, velocity arrows above, the nudge -eps dl/dq below). The filled
    markers are the forward run and then the free echo; the nudged echoes run beside them (▲ +eps, ▼ -eps).
    Top right: the phase portrait (q, p): the point runs along the forward orbit, jumps to (q, -p) at the
    flip and retraces the mirror image while the nudged echoes peel away. Bottom: positions over forward time.
    ``magnification`` is k of the drawn split (None: :func:`auto_magnification`).
    """
    k = auto_magnification(view) if magnification is None else float(magnification)
    runs = drawn_runs(view, k)
    geometry = _Geometry(view, runs)
    forward_steps, echo_steps = animation_frame_plan(view.steps, max_frames)
    frames_data = _frames_data(view, runs, forward_steps, echo_steps)
    fig = make_subplots(rows=2, cols=2, specs=[[{}, {}], [{"colspan": 2}, None]], column_widths=[0.6, 0.4],
                        row_heights=[0.56, 0.44], horizontal_spacing=0.1, vertical_spacing=0.13)
    q_range = _padded(np.concatenate([runs.forward_q.ravel(), runs.echo_q.ravel()]))
    p_range = _padded(np.concatenate([runs.forward_p.ravel(), runs.echo_p.ravel()]))
    ranges = {"time": q_range, "q": q_range, "p": p_range}
    _add_static_traces(fig, view, runs, geometry)
    animated_start = len(fig.data)
    _add_animated_traces(fig, view, geometry, frames_data[0]["q"])
    animated = list(range(animated_start, len(fig.data)))
    updates = [_frame_traces(view, geometry, frames_data, i, ranges) for i in range(len(frames_data))]
    for trace, update in zip((fig.data[i] for i in animated), updates[0], strict=True):
        trace.update(update)
    fixed = _unchanging(updates)
    # Frames of a fixed, known-valid shape: not validated trace by trace again (about 1 s for 300 frames).
    plotly_internals.attach_frames(fig, [
        plotly_internals.unvalidated_frame(
            name=str(i), traces=animated,
            data=[_frame_update(update, fixed[position]) for position, update in enumerate(frame)])
        for i, frame in enumerate(updates)])
    _animation_layout(fig, geometry, {i: _slider_label(frames_data[i]) for i in slider_frames(frames_data)}, ranges, k)
    return fig


def _run_line(run: str, colour: str) -> dict:
    """The line of a run: forward a broad pale band, the free echo dotted on it, the nudged echoes dashed."""
    if run == "forward":
        return dict(color=_translucent(colour, 0.45), width=4, dash=style.RUN_DASHES[run])
    return dict(color=colour, width=2 if run == "free" else 1.6, dash=style.RUN_DASHES[run])


def add_legend_entries(fig: go.Figure, names: list[str], colours: list[str], k: float | None = None,
                       runs: tuple[str, ...] = RUNS, symbols: bool = False, labels: dict[str, str] | None = None,
                       **subplot) -> None:
    """One legend for a figure: a coloured square per oscillator, then each run's line style (in grey).

    The entries draw nothing (one missing point: plotly.js lists no trace without points); a run's entry
    shares its legend group with that run's curves, so a click on it hides or shows them all. ``k``: the
    magnification of the nudged echoes' split, if drawn; ``symbols``: show each run's marker too; ``labels``:
    other names for some runs.
    """
    for name, colour in zip(names, colours, strict=True):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, legendgroup=f"legend {name}",
                                 marker=dict(symbol="square", size=12, color=colour), hoverinfo="skip"), **subplot)
    for run in runs:
        label = (labels or {}).get(run, RUN_LABELS[run])
        if k is not None and k != 1 and run in ("plus", "minus"):
            label += f" (split ×{format_magnification(k)})"
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers" if symbols else "lines", name=label,
                                 legendgroup=run, hoverinfo="skip",
                                 line=dict(color=style.NEUTRAL, width=2, dash=style.RUN_DASHES[run]),
                                 marker=dict(symbol=style.RUN_SYMBOLS[run], size=9, color=style.NEUTRAL)),
                      **subplot)


def _add_static_traces(fig: go.Figure, view: EchoView, runs: DrawnRuns, geometry: _Geometry) -> None:
    """What never moves: the walls; per oscillator the forward run and the three echoes (the nudged ones
    magnified), over forward time and in phase space; the nudged echoes' true positions over time, hidden (for
    the exports, in full precision); the legend."""
    names, colours = oscillator_names(view), oscillator_colours(geometry.n)
    wall_x = [geometry.walls[0]] if geometry.walls[1] is None else list(geometry.walls)
    y0, y1 = geometry.y_range()
    for number, x in enumerate(wall_x):
        fig.add_trace(go.Scatter(x=[x, x], y=[y0 + 0.15, y1 - 0.3], mode="lines", showlegend=False,
                                 name=("left wall", "right wall")[number], hoverinfo="skip",
                                 line=dict(color=style.NEUTRAL, width=6)), **PANEL["system"])
    magnified = runs.k != 1
    shown = f" (drawn: split ×{format_magnification(runs.k)})" if magnified else ""
    for i, (name, colour) in enumerate(zip(names, colours, strict=True)):
        curves = [("forward", runs.forward_q[:, i], runs.forward_q[:, i], runs.forward_p[:, i])]
        curves += [(run, runs.echo_q[j][::-1, i], runs.echo_q[j][:, i], runs.echo_p[j][:, i])
                   for j, run in enumerate(ECHOES)]
        for run, over_time, q, p in curves:
            note = shown if run in ("plus", "minus") else ""
            label = f"{RUN_LABELS[run]}, {name}"
            fig.add_trace(go.Scatter(x=view.time, y=_round(over_time), mode="lines", name=f"{label}: q(t){note}",
                                     legendgroup=run, showlegend=False, line=_run_line(run, colour),
                                     hovertemplate=f"{label}{note}<br>t=%{{x:.2f}}<br>q=%{{y:.4g}}<extra></extra>"),
                          **PANEL["time"])
            fig.add_trace(go.Scatter(x=_round(q), y=_round(p), mode="lines", name=f"{label}: (q, p){note}",
                                     legendgroup=run, showlegend=False, line=_run_line(run, colour),
                                     hovertemplate=f"{label}{note}<br>q=%{{x:.4g}}<br>p=%{{y:.4g}}<extra></extra>"),
                          **PANEL["phase"])
    if magnified:  # the numbers behind the drawing, never drawn: what the CSV and NPZ exports carry
        time = _round(view.time)
        for j, run in ((1, "plus"), (2, "minus")):
            for i, name in enumerate(names):
                fig.add_trace(go.Scatter(x=time, y=np.asarray(view.echoes.position[j][::-1, i], float),
                                         name=f"{RUN_LABELS[run]}, {name}: q(t), true values, not drawn",
                                         visible=False, showlegend=False), **PANEL["time"])
    add_legend_entries(fig, names, colours, runs.k, symbols=True, **PANEL["time"])


def _add_animated_traces(fig: go.Figure, view: EchoView, geometry: _Geometry, first_position: np.ndarray) -> None:
    """The traces the frames update, in the order :func:`_frame_traces` returns their updates."""
    colours = oscillator_colours(geometry.n)
    _add_system_traces(fig, view, geometry, first_position, colours)
    y_top = geometry.y_range()[1] - (0.12 if geometry.chain else 0.2)
    x_mid = 0.5 * sum(geometry.x_range())
    fig.add_trace(go.Scatter(mode="text", x=[x_mid], y=[y_top], showlegend=False, hoverinfo="skip", name="banner",
                             textfont=dict(size=14, color=style.NEUTRAL)), **PANEL["system"])
    fig.add_trace(go.Scatter(mode="lines", showlegend=False, hoverinfo="skip", name="time cursor",
                             line=dict(color=style.NEUTRAL, width=1, dash="dash")), **PANEL["time"])
    for name, colour in zip(oscillator_names(view), colours, strict=True):
        fig.add_trace(go.Scatter(mode="lines", showlegend=False, hoverinfo="skip", opacity=0.6, name=f"tail, {name}",
                                 line=dict(width=5, color=colour)), **PANEL["time"])
    for panel in ("time", "phase"):
        for run, label in (("free", "forward / echo ε = 0"), ("plus", "echo +ε"), ("minus", "echo −ε")):
            fig.add_trace(go.Scatter(mode="markers", showlegend=False, hoverinfo="skip",
                                     name=f"{panel} marker, {label}",
                                     marker=dict(symbol=style.RUN_SYMBOLS[run], size=10 if run == "free" else 11,
                                                 color=colours, line=dict(color="white", width=1))), **PANEL[panel])


def _add_system_traces(fig: go.Figure, view: EchoView, geometry: _Geometry, first_position: np.ndarray,
                       colours: list[str]) -> None:
    """The physical view's moving parts: springs, masses (forward, then the free echo), the nudged echoes'
    markers, velocity and nudge arrows, the target."""
    stiffness_widths = _widths(view.stiffness, SPRING_WIDTH)
    spring_x, spring_y = geometry.springs(first_position)
    for s in range(len(spring_x)):
        fig.add_trace(go.Scatter(x=_round(spring_x[s]), y=_round(spring_y[s]), mode="lines", showlegend=False,
                                 name=f"spring {s + 1}",
                                 hoverinfo="skip", line=dict(color=style.NEUTRAL, width=float(stiffness_widths[s]))),
                      **PANEL["system"])
    n = geometry.n
    sizes = _widths(np.sqrt(view.mass), MASS_SIZE).tolist() if geometry.chain else OSCILLATOR_SIZE
    ring = [3 if i == view.target_mass else 0 for i in range(n)]
    label = "masses" if geometry.chain else "oscillators"
    fig.add_trace(go.Scatter(mode="markers+text", showlegend=False, text=[str(i + 1) for i in range(n)], name=label,
                             textfont=dict(color="white", size=11 if geometry.chain else 1), hoverinfo="skip",
                             marker=dict(symbol="square" if geometry.chain else "circle", size=sizes, color=colours,
                                         line=dict(color=style.TARGET, width=ring))), **PANEL["system"])
    for run in ("plus", "minus"):
        fig.add_trace(go.Scatter(mode="markers", showlegend=False, hoverinfo="skip",
                                 name=f"{label}, {RUN_LABELS[run]} (drawn)",
                                 marker=dict(symbol=style.RUN_SYMBOLS[run], size=GHOST_SIZE[geometry.chain],
                                             color=colours, line=dict(color="white", width=1))), **PANEL["system"])
    fig.add_trace(go.Scatter(mode="lines+markers", name="velocity", showlegend=False, hoverinfo="skip",
                             line=dict(color=style.NEUTRAL, width=3),
                             marker=dict(symbol="arrow", angleref="previous", color=style.NEUTRAL)), **PANEL["system"])
    fig.add_trace(go.Scatter(mode="lines+markers", name="nudge −ε∂ℓ/∂q on the +ε echo (scaled)", showlegend=False,
                             hoverinfo="skip", line=dict(color=NUDGE, width=3),
                             marker=dict(symbol="arrow", angleref="previous", color=NUDGE)), **PANEL["system"])
    fig.add_trace(go.Scatter(mode="markers+text", showlegend=False, hoverinfo="skip", text=["target"], name="target",
                             textposition="middle right", textfont=dict(color=style.TARGET),
                             marker=dict(symbol="diamond-open", size=13, color=style.TARGET, line=dict(width=2))),
                  **PANEL["system"])


def _frame_traces(view: EchoView, geometry: _Geometry, frames_data: list[dict], index: int,
                  ranges: dict[str, list[float]]) -> list[dict]:
    """Updates of every animated trace for frame ``index`` (the order of :func:`_add_animated_traces`)."""
    data = frames_data[index]
    traces = _system_updates(view, geometry, data)
    traces.append(dict(text=[data["banner"]]))
    time = round(float(data["time"]), DECIMALS)
    traces.append(dict(x=[time, time], y=_round(ranges["time"])))
    traces += _tail_updates(frames_data, index, geometry.n)
    n = geometry.n
    nudged_q, nudged_p = data["nudged"] if data["nudged"] is not None else (np.full((2, n), np.nan),) * 2
    traces.append(dict(x=[time] * n, y=_round(data["q"])))
    nudged_time = [time if data["nudged"] is not None else None] * n
    traces += [dict(x=nudged_time, y=_rounded_or_none(nudged_q[j])) for j in (0, 1)]
    traces.append(dict(x=_round(data["q"]), y=_round(data["p"])))
    traces += [dict(x=_rounded_or_none(nudged_q[j]), y=_rounded_or_none(nudged_p[j])) for j in (0, 1)]
    return traces


def _unchanging(updates: list[list[dict]]) -> list[set[str]]:
    """Per animated trace, the coordinates (``x``, ``y``) that are the same in every frame (say, the rows the
    masses move along): the figure's traces hold them, so the frames leave them out."""
    first = updates[0]
    return [{key for key in ("x", "y") if key in update and all(frame[position].get(key) == update[key]
                                                                 for frame in updates)}
            for position, update in enumerate(first)]


def _frame_update(update: dict, unchanging: set[str]) -> dict:
    """A frame's update of one trace, without its ``unchanging`` coordinates."""
    return {key: value for key, value in update.items() if key not in unchanging}


def _rounded_or_none(values: np.ndarray) -> list:
    return [None if not np.isfinite(value) else round(float(value), DECIMALS) for value in values]


def _system_updates(view: EchoView, geometry: _Geometry, data: dict) -> list[dict]:
    """Springs, masses, the nudged echoes' markers, velocity and nudge arrows, and the target, at one frame."""
    position = data["q"]
    x = geometry.x(position)
    springs_x, springs_y = geometry.springs(position)
    traces = [dict(x=_round(springs_x[s]), y=_round(springs_y[s])) for s in range(len(springs_x))]
    traces.append(dict(x=_round(x), y=_round(geometry.row)))
    if data["nudged"] is None:
        traces += [dict(x=[None] * geometry.n, y=[None] * geometry.n)] * 2
    else:
        offset = GHOST_ROW[geometry.chain]
        for j, sign in ((0, 1.0), (1, -1.0)):
            traces.append(dict(x=_round(geometry.x(data["nudged"][0][j])), y=_round(geometry.row + sign * offset)))
    arrow_x, arrow_y, arrow_size = _arrows(x, geometry.row + ARROW_ROW[geometry.chain], data["arrow"])
    traces.append(dict(x=arrow_x, y=arrow_y, marker=dict(size=arrow_size)))
    nudge_x, nudge_y, nudge_size = _arrows(x, geometry.row - ARROW_ROW[geometry.chain], data["nudge"])
    traces.append(dict(x=nudge_x, y=nudge_y, marker=dict(size=nudge_size)))
    target_index = view.target_mass
    if view.target is not None and data["forward_step"] > 0:
        target_x = geometry.rest[target_index] + geometry.scale * view.target[data["forward_step"]]
        traces.append(dict(x=[round(float(target_x), DECIMALS)], y=[geometry.row[target_index] + TARGET_ROW]))
    else:
        traces.append(dict(x=[None], y=[None]))
    return traces


def _tail_updates(frames_data: list[dict], index: int, n: int) -> list[dict]:
    """The fading tails behind the time markers, one per oscillator: the last TAIL_FRAMES frames of the same
    phase."""
    data = frames_data[index]
    previous = [frame for frame in frames_data[max(0, index - TAIL_FRAMES):index + 1]
                if frame["phase"] == data["phase"] or data["phase"] == "flip"]
    return [dict(x=_round_optional([frame["time"] for frame in previous]),
                 y=_round_optional([frame["q"][i] for frame in previous])) for i in range(n)]


def _animation_layout(fig: go.Figure, geometry: _Geometry, labels: dict[int, str], ranges: dict[str, list[float]],
                      k: float) -> None:
    """Height, axes, margins, the player above the plot area, the legend below it, and k stated."""
    style.base_layout(fig, height=ANIMATION_HEIGHT)
    fig.update_layout(margin=MARGIN, hovermode="closest", modebar_remove=MODEBAR_REMOVE,
                      legend=dict(orientation="h", x=0, xanchor="left", y=0, yanchor="bottom", yref="container"))
    fig.update_xaxes(range=geometry.x_range(), visible=False, **PANEL["system"])
    fig.update_yaxes(range=geometry.y_range(), visible=False, **PANEL["system"])
    fig.update_xaxes(title_text="position q", title_standoff=4, range=ranges["q"], **PANEL["phase"])
    fig.update_yaxes(title_text="momentum p", title_standoff=2, range=ranges["p"], **PANEL["phase"])
    fig.update_xaxes(title_text="forward time t = n h", title_standoff=4, **PANEL["time"])
    fig.update_yaxes(title_text="position q", title_standoff=2, range=ranges["time"], **PANEL["time"])
    time_top = fig.get_subplot(**PANEL["time"]).yaxis.domain[1]
    fig.add_annotation(text=split_note(k), x=0, y=time_top, xref="paper", yref="paper", xanchor="left",
                       yanchor="bottom", showarrow=False, font=dict(color=style.NEUTRAL, size=13), name="split note")
    plot_height = ANIMATION_HEIGHT - MARGIN["t"] - MARGIN["b"]
    _add_player(fig, labels, y=1 + PLAYER_GAP / plot_height)


def _add_player(fig: go.Figure, labels: dict[int, str], y: float) -> None:
    """Play / pause buttons and a frame slider above the plot area, styled to read on light and dark
    backgrounds; ``labels``: the slider's steps, frame index -> label. The banner in the physical view says
    where the animation is."""
    play = dict(frame=dict(duration=FRAME_MS, redraw=False), transition=dict(duration=0), fromcurrent=True,
                mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=y, xanchor="left", yanchor="bottom", showactive=False,
            bgcolor=PLAY_BUTTON, bordercolor=PLAY_BUTTON, font=dict(color="white", size=14),
            pad=dict(r=10, t=0, b=0),
            buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                     dict(label="❚❚ Pause", method="animate", args=[[None], pause]),
                     dict(label="↺ Replay", method="animate", args=[None, {**play, "fromcurrent": False}])],
        )],
        sliders=[dict(
            active=0, x=0.42, len=0.58, y=y, xanchor="left", yanchor="bottom", pad=dict(t=0, b=0, l=0, r=0),
            bgcolor=style.NEUTRAL, activebgcolor=PLAY_BUTTON, bordercolor=style.NEUTRAL, tickcolor=style.NEUTRAL,
            ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)", size=1),
            currentvalue=dict(visible=False), transition=dict(duration=0),
            steps=[dict(label=label, method="animate", args=[[str(i)], pause]) for i, label in labels.items()],
        )],
    )


# ----------------------------------------------------------------------------------------------
# Static figures


def trajectories_figure(view: EchoView) -> go.Figure:
    """Positions over forward time (forward run, the three echoes mapped back, at true scale) and the split
    of the two nudged echoes per unit of nudging; one colour per oscillator."""
    names = oscillator_names(view)
    colours = oscillator_colours(len(names))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.08)
    echoes = {run: _echo_in_forward_time(view, j)[0] for j, run in enumerate(ECHOES)}
    split = (echoes["plus"] - echoes["minus"]) / (2 * view.eps)
    # Drawn bottom to top: the nudged echoes (they coincide with the rest at small eps), the forward run as a
    # broad pale band, and the free echo dotted on top of it.
    lines = [("plus", echoes["plus"]), ("minus", echoes["minus"]), ("forward", view.forward.position),
             ("free", echoes["free"])]
    for i, (name, colour) in enumerate(zip(names, colours, strict=True)):
        for run, values in lines:
            label = f"{RUN_LABELS[run]}, {name}"
            fig.add_trace(go.Scatter(x=view.time, y=values[:, i], mode="lines", name=label, legendgroup=run,
                                     showlegend=False, line=_run_line(run, colour),
                                     hovertemplate=f"{label}<br>t=%{{x:.2f}}<br>q=%{{y:.4g}}<extra></extra>"),
                          row=1, col=1)
        fig.add_trace(go.Scatter(x=view.time, y=split[:, i], mode="lines", name=f"(q⁺ − q⁻) / 2ε, {name}",
                                 showlegend=False, line=dict(color=colour, width=1.8),
                                 hovertemplate=f"{name}<br>t=%{{x:.2f}}<br>split=%{{y:.4g}}<extra></extra>"),
                      row=2, col=1)
    add_legend_entries(fig, names, colours, row=1, col=1)
    style.base_layout(fig, height=520)
    fig.update_yaxes(title_text="position q", row=1, col=1)
    fig.update_yaxes(title_text="(q⁺ − q⁻) / 2ε", row=2, col=1)
    fig.update_xaxes(title_text="forward time t", row=2, col=1)
    return fig


def phase_portraits_figure(view: EchoView, columns: int = 3) -> go.Figure:
    """Position vs momentum per oscillator: forward solid, free echo dotted (its momentum un-flipped)."""
    names = oscillator_names(view)
    colours = oscillator_colours(len(names))
    n = len(names)
    cols = min(n, columns)
    rows = math.ceil(n / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.08,
                        vertical_spacing=0.16 if rows > 1 else 0.1)
    echo_position, echo_momentum = _echo_in_forward_time(view, 0)
    for i, (name, colour) in enumerate(zip(names, colours, strict=True)):
        row, col = i // cols + 1, i % cols + 1
        fig.add_trace(go.Scatter(x=view.forward.position[:, i], y=view.forward.momentum[:, i], mode="lines",
                                 name=f"forward, {name}", legendgroup="forward", showlegend=False,
                                 line=_run_line("forward", colour)), row=row, col=col)
        fig.add_trace(go.Scatter(x=echo_position[:, i], y=echo_momentum[:, i], mode="lines",
                                 name=f"echo ε = 0 as (q, −p), {name}", legendgroup="free", showlegend=False,
                                 line=_run_line("free", colour)), row=row, col=col)
        fig.add_trace(go.Scatter(x=view.forward.position[:1, i], y=view.forward.momentum[:1, i], mode="markers",
                                 name=f"start Φ₀, {name}", legendgroup="start", showlegend=False,
                                 marker=dict(color=colour, size=9, symbol="circle")), row=row, col=col)
        fig.update_xaxes(title_text="q", row=row, col=col)
        fig.update_yaxes(title_text="p", row=row, col=col)
    add_legend_entries(fig, names, colours, runs=("forward", "free"), labels={"free": "echo ε = 0, plotted as (q, −p)"},
                       row=1, col=1)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="start Φ₀", legendgroup="start", hoverinfo="skip",
                             marker=dict(color=style.NEUTRAL, size=9, symbol="circle")), row=1, col=1)
    style.base_layout(fig, height=320 * rows + 60)
    _legend_above_subplot_titles(fig)
    return fig


def _legend_above_subplot_titles(fig: go.Figure) -> None:
    fig.update_layout(margin=dict(t=100), legend=dict(y=0.99, yanchor="top", yref="container", x=0))


def log_tick_step(values: np.ndarray) -> int:
    """Decades between labelled ticks of a log axis showing ``values`` (> 0): at most MAX_LOG_TICKS labels."""
    positive = values[np.isfinite(values) & (values > 0)]
    if not positive.size:
        return 1
    decades = math.ceil(math.log10(positive.max())) - math.floor(math.log10(positive.min()))
    return max(1, math.ceil(decades / MAX_LOG_TICKS))


def energy_figure(view: EchoView) -> go.Figure:
    """Energy over forward time (forward and free echo), and the free echo's retrace error on a log scale."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("energy H(q, p; u)",
                                        "retrace error |E<sub>k</sub> − Σ<sub>z</sub>Φ<sub>N−k</sub>|"))
    fig.add_trace(go.Scatter(x=view.time, y=view.forward_energy, mode="lines", name="forward",
                             line={**_run_line("forward", style.NEUTRAL), "width": 6}), row=1, col=1)
    fig.add_trace(go.Scatter(x=view.time, y=view.echo_energy[0][::-1], mode="lines", name="echo ε = 0 (mapped back)",
                             line=_run_line("free", style.NEUTRAL)), row=1, col=1)
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
    step = log_tick_step(np.append(error, machine))
    fig.update_yaxes(title_text="max deviation", type="log", exponentformat="power", tick0=0, dtick=step,
                     row=1, col=2)
    return fig
