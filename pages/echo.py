"""Echo: a Hamiltonian system runs forward, flips its momenta, and retraces itself.

Three teaching moments: the perfect echo at ε = 0, symmetry breaking by the ±ε nudges, and friction breaking the echo.
The animation leads, with the controls that matter most for it beside it; the explanations follow.
"""

import streamlit as st

from rhel_viz.plots import echo as plots
from rhel_viz.ui import cache, controls, figures, guards, shell, text
from rhel_viz.ui.lecture import current_lecture

shell.require_app_shell()

st.title("The echo: run forward, flip, retrace")

if current_lecture().show_controls:
    picture, knobs = st.columns([3, 1], gap="medium")
else:  # ?hide=controls: the view is fixed by the link; the controls still run, hidden (hide_controls.css)
    picture, knobs = st.container(), st.container(key="page_controls")
config, physics = controls.echo_controls(main=knobs)
magnification = controls.split_magnification(knobs)
with picture:
    guards.stop_if_unstable(cache.stability(config))
    view = cache.echo_view(config, physics.eps, physics.damping, physics.integrator)
    guards.stop_if_not_finite(view.finite)
    guards.warn_eps_roundoff(config.dtype, physics.eps, view.state_scale)
    figures.show(cache.figure(plots.animation_figure, view, magnification, key=(config, physics, magnification)),
                 "echo_animation", animation=True)
    text.markdown("echo_animation_springs" if view.system == "springs" else "echo_animation_oscillators")

stability, retrace, frames = st.columns(3)
stability.metric("h·ω_max (stable below 2)", f"{view.stability:.3f}")
retrace.metric("Max retrace error, ε = 0", f"{view.max_retrace_error:.1e}")
frames.metric("Steps N", view.steps)

st.subheader("Forward, flip, echo")
text.markdown("echo_intro")
shared = (config, physics)  # what the view was computed from: figures are built once per view, for all sessions

st.subheader("Trajectories over time")
text.markdown("echo_trajectories")
figures.show(cache.figure(plots.trajectories_figure, view, key=shared), "echo_trajectories")

st.subheader("Phase portraits")
text.markdown("echo_phase")
figures.show(cache.figure(plots.phase_portraits_figure, view, key=shared), "echo_phase")

st.subheader("Energy and retrace error")
text.markdown("echo_energy")
figures.show(cache.figure(plots.energy_figure, view, key=shared), "echo_energy")
