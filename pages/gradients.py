"""Gradient lab: RHEL against BPTT, live, parameter by parameter."""

import streamlit as st

from rhel_viz.plots import gradients as plots
from rhel_viz.ui import cache, controls, figures, guards, shell, text

shell.require_app_shell()

st.title("Gradient lab: RHEL against BPTT")
text.markdown("gradients_intro")
config, settings = controls.gradient_lab_controls()
st.caption(f"Running: ε = {settings.eps:.0e}, γ = {settings.damping:g}, integrator {settings.integrator}, "
           f"∂H/∂θ read at {settings.gradient_point}-step positions, {settings.estimator} estimator, {config.dtype}.")

guards.stop_if_unstable(cache.stability(config))
result = cache.gradient_lab(config, settings)
for problem in result.problems:
    st.error(text.asset_text(f"gradients_problem_{problem}.md"), icon=":material/warning:")
if {"overflow", "rhel_not_finite"} & set(result.problems):
    guards.stop_page()
guards.warn_eps_roundoff(config.dtype, settings.eps, result.state_scale)

overall = result.overall
cols = st.columns(4)
cols[0].metric("Cosine (all parameters)", f"{overall.cosine:.6f}")
cols[1].metric("Relative error", f"{overall.rel_error:.2e}")
cols[2].metric("Norm ratio RHEL / BPTT", f"{overall.norm_ratio:.6f}")
cols[3].metric("Echo retrace error (ε = 0)", f"{result.retrace_error:.1e}")

# the figures first (the first screen of a projector), then their numbers per group
left, right = st.columns([3, 2])
shared = (config, settings)  # what the result was computed from: figures are built once, for all sessions
figures.show(cache.figure(plots.gradient_bars_figure, result.labels, result.rhel, result.bptt, key=shared),
             "bars", left)
figures.show(cache.figure(plots.gradient_scatter_figure, result.labels, result.groups, result.rhel, result.bptt,
                          key=shared), "scatter", right)
figures.table(plots.agreement_table(result.table), "agreement_table",
              {"cosine": ".6f", "norm ratio": ".6f", "relative error": ".2e"})

st.subheader("Input gradients over time")
channel = controls.input_channel(result)
figures.show(cache.figure(plots.input_gradients_figure, result.time, result.rhel_inputs, result.bptt_inputs,
                          channel, key=(shared, channel)), "inputs")

st.subheader("The gradient accumulator")
label = controls.accumulator_parameter(result)
index = result.labels.index(label)
figures.show(cache.figure(plots.accumulator_figure, result.time, result.integrand[:, index],
                          result.readout_part[index], result.bptt[index], label, key=(shared, label)),
             "accumulator")
text.markdown("gradients_accumulator")

st.subheader("Error against ε")
sweep = cache.eps_sweep(config, settings)
if guards.error_if_not_finite(sweep.finite, "guard_sweep_nonfinite.md"):
    figures.show(cache.figure(plots.eps_sweep_figure, sweep.eps, sweep.errors, settings.eps, key=shared), "sweep")
text.markdown("gradients_sweep")
text.markdown("gradients_breakers")

st.subheader("Echo = adjoint")
coordinate = controls.adjoint_coordinate(result)
figures.show(cache.figure(plots.adjoint_figure, result.costate_time, result.bptt_costate, result.echo_costate,
                          coordinate, key=(shared, coordinate)), "adjoint")
text.markdown("gradients_adjoint")
