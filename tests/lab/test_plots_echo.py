"""The Echo page's figure builders: pure functions of an EchoView (no streamlit)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rhel_viz.lab import scenarios
from rhel_viz.lab.echo import EchoView, run_echo_view
from rhel_viz.lab.presets import load_presets
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.plots import echo as plots
from rhel_viz.plots import files, style

MAX_FIGURE_MB = 2.0
CLEAR_SPLIT = 0.05  # the drawn nudged echoes differ from the free one by this fraction of the axis range, at least


@pytest.fixture(scope="module")
def springs_view() -> EchoView:
    return run_echo_view(ProblemConfig(steps=50), eps=1e-3)


@pytest.fixture(scope="module")
def linear_view() -> EchoView:
    return run_echo_view(ProblemConfig(system="linear", steps=50), eps=1e-3)


@pytest.fixture(scope="module")
def symmetry_view() -> EchoView:
    """The "Symmetry breaking with eps" preset: eps = 0.1 on the masses and springs, N = 50."""
    config, physics = scenarios.echo_config(load_presets()["Symmetry breaking with eps"].params)
    return run_echo_view(config, physics.eps, physics.damping, physics.integrator)


def _frame_trace(spec: dict, frame: dict, name: str) -> dict:
    """The update a frame makes to the animated trace called ``name``."""
    index = next(i for i, trace in enumerate(spec["data"]) if trace.get("name") == name)
    return frame["data"][frame["traces"].index(index)]


def _phase_frames(spec: dict, phase: str) -> list[dict]:
    prefix = {"forward": "FORWARD", "flip": "MOMENTUM FLIP", "echo": "ECHO"}[phase]
    return [frame for frame in spec["frames"] if _frame_trace(spec, frame, "banner")["text"][0].startswith(prefix)]


def _markers(spec: dict, frame: dict, panel: str) -> dict[str, np.ndarray]:
    """The (x, y) of the free (or forward), +eps and -eps markers of a panel in a frame, as float arrays."""
    names = {"free": "forward / echo ε = 0", "plus": "echo +ε", "minus": "echo −ε"}
    return {run: np.array([_frame_trace(spec, frame, f"{panel} marker, {name}")[axis] for axis in "xy"],
                          dtype=float) for run, name in names.items()}


def test_frame_plan_keeps_both_ends_and_the_frame_budget():
    for steps in (50, 100, 200, 400, 800):
        forward, echo = plots.animation_frame_plan(steps)
        assert forward[0] == 0 and forward[-1] == steps
        assert echo[0] == 0 and echo[-1] == steps
        assert len(forward) + len(echo) + plots.FLIP_FRAMES <= plots.MAX_FRAMES


@pytest.mark.parametrize("view_name", ["springs_view", "linear_view"])
def test_animation_has_frames_that_update_only_animated_traces(view_name, request):
    view = request.getfixturevalue(view_name)
    fig = plots.animation_figure(view)
    spec = json.loads(fig.to_json())
    frames = spec["frames"]
    assert plots.FLIP_FRAMES < len(frames) <= plots.MAX_FRAMES
    animated = set(frames[0]["traces"])
    assert len(animated) < len(spec["data"])  # the walls and full trajectories are static
    assert all(len(frame["data"]) == len(frame["traces"]) for frame in frames)
    banners = {_frame_trace(spec, frame, "banner")["text"][0].split("   ")[0] for frame in frames}
    assert banners == {"FORWARD RUN", "MOMENTUM FLIP", "ECHO"}
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert [button["label"] for button in buttons] == ["▶ Play", "❚❚ Pause", "↺ Replay"]
    steps = [step["args"][0][0] for step in spec["layout"]["sliders"][0]["steps"]]
    names = [frame["name"] for frame in frames]
    assert steps == sorted(set(steps), key=names.index) and set(steps) <= set(names)  # frames, in order
    assert len(steps) <= plots.MAX_SLIDER_STEPS + 3 and steps[0] == names[0] and steps[-1] == names[-1]
    phase_starts = [frame["name"] for previous, frame in zip(frames, frames[1:], strict=False)
                    if _frame_trace(spec, previous, "banner")["text"][0].split()[0]
                    != _frame_trace(spec, frame, "banner")["text"][0].split()[0]]
    assert len(phase_starts) == 2 and set(phase_starts) <= set(steps)  # the flip and the echo can be reached


def test_frames_leave_out_only_what_never_moves(springs_view):
    """The rows the masses and springs sit on are in the figure's traces, not in every frame; what moves is in
    every frame (the masses' x, the ghosts' hiding and showing)."""
    spec = json.loads(plots.animation_figure(springs_view).to_json())
    by_name = {trace.get("name"): index for index, trace in enumerate(spec["data"])}
    for frame in spec["frames"]:
        updates = dict(zip(frame["traces"], frame["data"], strict=True))
        assert "y" not in updates[by_name["masses"]] and "x" in updates[by_name["masses"]]
        assert "y" not in updates[by_name["spring 1"]] and "x" in updates[by_name["spring 1"]]
        assert {"x", "y"} <= set(updates[by_name["masses, echo +ε (drawn)"]])  # None in the forward run, then rows
    assert spec["data"][by_name["masses"]]["y"] == [0.0, 0.0]


def test_velocity_arrows_turn_round_at_the_flip(springs_view):
    spec = json.loads(plots.animation_figure(springs_view).to_json())
    flips = _phase_frames(spec, "flip")
    first, last = (_frame_trace(spec, frame, "velocity")["x"] for frame in (flips[0], flips[-1]))
    first_length = first[1] - first[0]
    last_length = last[1] - last[0]
    assert first_length * last_length < 0 and abs(first_length + last_length) < 1e-3


def test_default_animation_json_is_under_two_megabytes():
    view = run_echo_view(ProblemConfig(), eps=1e-4)
    size_mb = len(plots.animation_figure(view).to_json()) / 1e6
    assert size_mb < MAX_FIGURE_MB, size_mb


def test_frames_move_the_free_and_both_nudged_echoes(springs_view):
    """Forward frames move one marker per oscillator; echo frames the free, +eps and -eps echoes, apart."""
    spec = json.loads(plots.animation_figure(springs_view).to_json())
    forward, echo = _phase_frames(spec, "forward"), _phase_frames(spec, "echo")
    for panel in ("time", "phase"):
        first = _markers(spec, forward[1], panel)
        assert np.isfinite(first["free"]).all() and np.isnan(first["plus"]).all() and np.isnan(first["minus"]).all()
        last = _markers(spec, echo[-1], panel)
        assert all(np.isfinite(values).all() for values in last.values())
        assert not np.allclose(last["plus"], last["free"]) and not np.allclose(last["minus"], last["free"])
    ghosts = _frame_trace(spec, echo[-1], "masses, echo +ε (drawn)")["x"]
    assert all(value is not None for value in ghosts)


def test_phase_point_runs_forward_then_jumps_to_the_mirrored_state(springs_view):
    """The phase portrait's point: (q_t, p_t) going forward, (q_N, -p_N) once flipped, then the free echo,
    which retraces the mirror image (q_{N-k}, -p_{N-k}) of the forward run."""
    view = springs_view
    spec = json.loads(plots.animation_figure(view).to_json())
    forward_steps, echo_steps = plots.animation_frame_plan(view.steps)
    tolerance = 2 * 10.0**-plots.DECIMALS
    for frame, t in zip(_phase_frames(spec, "forward"), forward_steps, strict=True):
        point = _markers(spec, frame, "phase")["free"]
        np.testing.assert_allclose(point, [view.forward.position[t], view.forward.momentum[t]], atol=tolerance)
    flipped = _markers(spec, _phase_frames(spec, "flip")[-1], "phase")["free"]
    np.testing.assert_allclose(flipped, [view.forward.position[-1], -view.forward.momentum[-1]], atol=tolerance)
    for frame, k in zip(_phase_frames(spec, "echo"), echo_steps, strict=True):
        point = _markers(spec, frame, "phase")["free"]
        mirror = view.steps - k
        np.testing.assert_allclose(point, [view.forward.position[mirror], -view.forward.momentum[mirror]],
                                   atol=tolerance)


def test_symmetry_preset_draws_a_clear_split_and_states_k(symmetry_view):
    """With the preset's eps = 0.1 the split is still under 1 % of the motion; drawn magnified, the nudged
    echoes stand clear of the free one at the echo's end (t = 0): in the positions panel for each mass and
    sign (its curves and the last frame's markers), and in the phase portrait's momenta."""
    view = symmetry_view
    k = plots.auto_magnification(view)
    assert k > 1 and plots.relative_split(view) < 0.01
    fig = plots.animation_figure(view)
    spec = json.loads(fig.to_json())
    layout = spec["layout"]
    by_name = {trace.name: trace for trace in fig.data}
    q_range = np.ptp(layout["yaxis3"]["range"])  # the positions panel
    for i in (1, 2):
        free_curve = by_name[f"echo ε = 0, mass {i}: q(t)"]
        assert free_curve.x[0] == 0  # forward time: the echo ends at t = 0
        free = np.asarray(free_curve.y, dtype=float)
        for run in ("+", "−"):
            drawn = np.asarray(by_name[f"echo {run}ε, mass {i}: q(t) (drawn: split ×{plots.format_magnification(k)})"]
                               .y, dtype=float)
            assert abs(drawn[0] - free[0]) >= CLEAR_SPLIT * q_range, (i, run)
    end = {panel: _markers(spec, spec["frames"][-1], panel) for panel in ("time", "phase")}
    p_range = np.ptp(layout["yaxis2"]["range"])  # the phase portrait's momentum axis
    for run in ("plus", "minus"):  # the last frame's markers: each mass's q apart, and the p of at least one
        assert np.min(np.abs(end["time"][run][1] - end["time"]["free"][1])) >= CLEAR_SPLIT * q_range, run
        assert np.max(np.abs(end["phase"][run][1] - end["phase"]["free"][1])) >= CLEAR_SPLIT * p_range, run
    stated = f"×{plots.format_magnification(k)}"
    assert any(stated in annotation["text"] for annotation in layout["annotations"])
    assert any(stated in (trace.get("name") or "") for trace in spec["data"] if trace.get("showlegend", True))


def test_exports_carry_the_true_values_and_name_every_trace(symmetry_view):
    view = symmetry_view
    fig = plots.animation_figure(view)
    rows = files.figure_table(fig)
    assert not [row for row in rows if row["trace"].startswith("trace ")]
    assert all(trace.name for trace in fig.data)
    true_plus = [row["y"] for row in rows if row["trace"] == "echo +ε, mass 2: q(t), true values, not drawn"]
    np.testing.assert_array_equal(np.asarray(true_plus, dtype=float), view.echoes.position[1][::-1, 1])
    drawn = {row["trace"] for row in rows if "(drawn:" in row["trace"]}
    assert drawn and all(f"split ×{plots.format_magnification(plots.auto_magnification(view))}" in name
                         for name in drawn)
    true_scale = files.figure_table(plots.animation_figure(view, magnification=1))
    assert not [row for row in true_scale if "(drawn:" in row["trace"] or "true values" in row["trace"]]


def test_magnification_is_a_round_number_the_viewer_can_override(springs_view):
    k = plots.auto_magnification(springs_view)
    mantissa = k / 10 ** np.floor(np.log10(k))
    assert min(abs(mantissa - step) for step in plots.NICE_STEPS) < 1e-9
    assert 0.1 <= k * plots.relative_split(springs_view) <= plots.SPLIT_FRACTION
    fig = plots.animation_figure(springs_view, magnification=100)
    assert "×100" in fig.layout.annotations[-1].text
    assert plots.animation_figure(springs_view, magnification=1).layout.annotations[-1].text == plots.split_note(1)
    assert plots.format_magnification(5e6) == "5·10⁶" and plots.format_magnification(2000) == "2,000"


def test_each_oscillator_has_one_colour_in_every_figure(linear_view):
    colours = plots.oscillator_colours(6)
    assert len(set(colours)) == 6
    figures = [plots.animation_figure(linear_view), plots.trajectories_figure(linear_view),
               plots.phase_portraits_figure(linear_view)]
    for i, colour in enumerate(colours):
        band = plots._translucent(colour, 0.45)
        for fig in figures:
            forward = [trace for trace in fig.data if (trace.name or "").startswith(f"forward, oscillator {i + 1}")]
            assert forward and all(trace.line.color == band for trace in forward)
            assert all(trace.line.dash == style.RUN_DASHES["forward"] for trace in forward)
            free = [trace for trace in fig.data if (trace.name or "").startswith(f"echo ε = 0, oscillator {i + 1}")
                    or (trace.name or "").startswith(f"echo ε = 0 as (q, −p), oscillator {i + 1}")]
            assert free and all(trace.line.color == colour and trace.line.dash == "dot" for trace in free)
    masses = next(trace for trace in figures[0].data if trace.name == "oscillators")
    assert list(masses.marker.color) == colours


def test_trajectories_overlay_the_free_echo_on_the_forward_run(springs_view):
    fig = plots.trajectories_figure(springs_view)
    forward = [trace for trace in fig.data if trace.name.startswith("forward, mass")]
    free = [trace for trace in fig.data if trace.name.startswith("echo ε = 0, mass")]
    assert len(forward) == len(free) == 2
    np.testing.assert_allclose(free[0].y, forward[0].y, atol=1e-12)
    assert any(trace.name.startswith("(q⁺ − q⁻) / 2ε") for trace in fig.data)
    legend = [trace.name for trace in fig.data if trace.showlegend is not False]
    assert legend == ["mass 1", "mass 2", "forward", "echo ε = 0", "echo +ε", "echo −ε"]


def test_phase_portrait_plots_the_unflipped_echo_momentum(linear_view):
    fig = plots.phase_portraits_figure(linear_view)
    forward = [trace for trace in fig.data if trace.name.startswith("forward, oscillator")]
    echo = [trace for trace in fig.data if trace.name.startswith("echo ε = 0 as (q, −p), oscillator")]
    assert len(forward) == len(echo) == 6
    np.testing.assert_allclose(echo[3].y, forward[3].y, atol=1e-12)


def test_energy_figure_uses_a_log_scale_and_hides_exact_zeros(springs_view):
    fig = plots.energy_figure(springs_view)
    assert fig.layout.xaxis2.title.text == "echo time k h"
    assert fig.layout.yaxis2.type == "log"
    error = next(trace for trace in fig.data if trace.name == "retrace error")
    values = np.asarray(error.y, dtype=float)
    assert np.isnan(values[0])  # the flip itself is exact: log scale cannot show 0
    assert np.nanmax(values) < 1e-12


def test_log_axis_labels_at_most_a_few_decades():
    assert plots.log_tick_step(np.array([1e-16, 1e-15])) == 1
    assert plots.log_tick_step(np.array([2e-16, 30.0, np.nan])) == 3  # 18 decades: every third
    euler = run_echo_view(ProblemConfig(steps=50), eps=1e-3, integrator="euler")
    axis = plots.energy_figure(euler).layout.yaxis2
    decades = np.log10(np.nanmax(euler.retrace_error)) - np.log10(plots.MACHINE_EPSILON["float64"])
    assert decades / axis.dtick <= plots.MAX_LOG_TICKS + 1


def test_retrace_error_is_round_off_only_for_the_leapfrog():
    leapfrog = run_echo_view(ProblemConfig(steps=50), eps=1e-3)
    friction = run_echo_view(ProblemConfig(steps=50), eps=1e-3, damping=0.05)
    euler = run_echo_view(ProblemConfig(steps=50), eps=1e-3, integrator="euler")
    assert leapfrog.retrace_error.max() < 1e-13
    assert friction.retrace_error.max() > 1e-3
    assert euler.retrace_error.max() > 1e-3
    assert leapfrog.stable and leapfrog.finite


def test_unstable_step_is_flagged():
    config = ProblemConfig(steps=50, step_size=1.0, param_overrides=(("k_wall", (10.0, 10.0)),))
    assert not run_echo_view(config, eps=1e-3).stable


def test_figure_module_does_not_import_streamlit():
    assert "st" not in vars(plots) and "streamlit" not in vars(plots)
    source = open(plots.__file__, encoding="utf-8").read()
    assert "import streamlit" not in source


def test_every_echo_figure_draws_ticks_axis_titles_and_legends_in_the_theme_text_colour(springs_view):
    """Axis titles set after :func:`~rhel_viz.plots.style.base_layout` as a plain string would drop it."""
    for builder in (plots.animation_figure, plots.trajectories_figure, plots.phase_portraits_figure,
                    plots.energy_figure):
        fig = builder(springs_view)
        assert fig.layout.legend.font.color == style.THEME_TEXT, builder.__name__
        for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
            assert axis.tickfont.color == axis.title.font.color == style.THEME_TEXT, (builder.__name__, axis)
