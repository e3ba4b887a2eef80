"""The Echo page's figure builders: pure functions of an EchoView (no streamlit)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rhel_viz.lab.echo import EchoView, run_echo_view
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.plots import echo as plots

MAX_FIGURE_MB = 2.0


@pytest.fixture(scope="module")
def springs_view() -> EchoView:
    return run_echo_view(ProblemConfig(steps=50), eps=1e-3)


@pytest.fixture(scope="module")
def linear_view() -> EchoView:
    return run_echo_view(ProblemConfig(system="linear", steps=50), eps=1e-3)


def _frame_trace(spec: dict, frame: dict, name: str) -> dict:
    """The update a frame makes to the animated trace called ``name``."""
    index = next(i for i, trace in enumerate(spec["data"]) if trace.get("name") == name)
    return frame["data"][frame["traces"].index(index)]


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
    banners = {_frame_trace(spec, frame, "banner")["text"][0].split(",")[0] for frame in frames}
    assert banners == {"FORWARD RUN", "MOMENTUM FLIP  p → −p", "ECHO"}
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert [button["label"] for button in buttons] == ["▶ Play", "❚❚ Pause", "↺ Replay"]
    assert len(spec["layout"]["sliders"][0]["steps"]) == len(frames)


def test_velocity_arrows_turn_round_at_the_flip(springs_view):
    spec = json.loads(plots.animation_figure(springs_view).to_json())
    flips = [frame for frame in spec["frames"]
             if _frame_trace(spec, frame, "banner")["text"][0].startswith("MOMENTUM FLIP")]
    first, last = (_frame_trace(spec, frame, "velocity")["x"] for frame in (flips[0], flips[-1]))
    first_length = first[1] - first[0]
    last_length = last[1] - last[0]
    assert first_length * last_length < 0 and abs(first_length + last_length) < 1e-3


def test_default_animation_json_is_under_two_megabytes():
    view = run_echo_view(ProblemConfig(), eps=1e-4)
    size_mb = len(plots.animation_figure(view).to_json()) / 1e6
    assert size_mb < MAX_FIGURE_MB, size_mb


def test_trajectories_overlay_the_free_echo_on_the_forward_run(springs_view):
    fig = plots.trajectories_figure(springs_view)
    forward = [trace for trace in fig.data if trace.name == "forward"]
    free = [trace for trace in fig.data if trace.name == "echo ε = 0 (mapped back)"]
    assert len(forward) == len(free) == 2
    np.testing.assert_allclose(free[0].y, forward[0].y, atol=1e-12)
    assert any(trace.name == "(q⁺ − q⁻) / 2ε" for trace in fig.data)


def test_phase_portrait_plots_the_unflipped_echo_momentum(linear_view):
    fig = plots.phase_portraits_figure(linear_view)
    forward = [trace for trace in fig.data if trace.name == "forward"]
    echo = [trace for trace in fig.data if trace.name.startswith("echo")]
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
