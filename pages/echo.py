"""Echo: a Hamiltonian system runs forward, flips its momenta, and retraces itself (spec a, b; moments 1, 2, 6)."""

import streamlit as st

from rhel_viz.experiments import LEAPFROG_STABILITY_LIMIT
from rhel_viz.plots import echo as plots
from rhel_viz.ui import cache, controls, figures, shell, text

shell.require_app_shell()

st.title("The echo: run forward, flip, retrace")
text.markdown("echo_intro")

config = controls.problem_controls()
physics = controls.physics_controls()
config = controls.spring_controls(config)
view = cache.echo_view(config, physics.eps, physics.damping, physics.integrator)

if not view.stable:
    st.warning(text.asset_text("echo_unstable.md").format(
        stability=view.stability, omega=view.max_frequency, step_size=view.step_size,
        limit=LEAPFROG_STABILITY_LIMIT / view.max_frequency), icon="⚠️")
    st.stop()
if not view.finite:
    st.error(text.asset_text("echo_nonfinite.md"), icon="🚫")
    st.stop()

stability, retrace, frames = st.columns(3)
stability.metric("h·ω_max (stable below 2)", f"{view.stability:.3f}")
retrace.metric("Max retrace error, ε = 0", f"{view.max_retrace_error:.1e}")
frames.metric("Steps N", view.steps)

st.subheader("Forward, flip, echo")
text.markdown("echo_animation")
figures.show(plots.animation_figure(view), "echo_animation", animation=True)

st.subheader("Trajectories over time")
text.markdown("echo_trajectories")
figures.show(plots.trajectories_figure(view), "echo_trajectories")

st.subheader("Phase portraits")
text.markdown("echo_phase")
figures.show(plots.phase_portraits_figure(view), "echo_phase")

st.subheader("Energy and retrace error")
text.markdown("echo_energy")
figures.show(plots.energy_figure(view), "echo_energy")
