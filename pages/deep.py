"""Deep and long: RHEL chained through an HSSM (Fig. 4), and its memory and time against N."""

import streamlit as st

from rhel_viz.lab.deep import LIVE_SEQ_LENS
from rhel_viz.lab.scaling import MODELS
from rhel_viz.plots import deep as plots
from rhel_viz.ui import cache, controls, figures, guards, shell, text

shell.require_app_shell()


def _summary(table, key: str) -> None:
    figures.table(table, key, {name: ".2f" for name in table.columns if name != plots.SUMMARY_MEASURE})


st.title("Deep and long: RHEL in a stacked HSSM")
text.markdown("deep_intro")

st.subheader("In every layer: RHEL against BPTT (Fig. 4)")
settings = controls.agreement_controls()
agreement = cache.layer_agreement(settings)
guards.warn_eps_roundoff(settings.dtype, settings.eps, asset="guard_float32_eps_deep.md")
st.caption(f"{agreement.depth} layers, N = {agreement.steps} steps, {settings.dtype}, ε = {settings.eps:.0e}; "
           f"loss {agreement.loss_rhel:.6g} (RHEL run) and {agreement.loss_bptt:.6g} (BPTT run).")
figures.show(plots.agreement_figure(agreement.rows), "deep_agreement_chart")
st.caption(text.asset_text(f"deep_groups_{settings.layer}.md"))  # what A, B, δ (c), α stand for
with st.expander("Exact values"):
    figures.table(plots.agreement_table(agreement.rows), "deep_agreement_table",
                  {"cosine": ".8f", "norm ratio": ".8f"})
text.markdown("deep_agreement")

st.subheader("Memory and time against sequence length")
model = st.selectbox("Model", MODELS, format_func=plots.MODEL_LABELS.get, key="deep_model", bind="query-params")
live_on = st.toggle(f"Measure live on this server: N = {', '.join(map(str, LIVE_SEQ_LENS))}, float32, ε = 0.1",
                    key="deep_live", bind="query-params",
                    help="compiles and times every method at each length once per server (seconds for the HRU "
                    "layer, a minute or more for the HSSM on two cores, step by step so that other visitors' work goes "
                    "in between), then cached")
if live_on:
    live = cache.live_scaling(model)
    left, right = st.columns(2)
    figures.show(plots.memory_figure(live.rows, "XLA peak memory (live)"), "deep_live_memory", left)
    figures.show(plots.time_figure(live.rows, "Gradient time (live)"), "deep_live_time", right)
    _summary(plots.summary_table({model: live.summary}), "deep_live_summary")

st.markdown("**Benchmark, 1k to 50k steps** (`python -m rhel_viz bench scaling`, every configuration in a "
            "fresh process, median of warm runs)")
report = cache.scaling_report()
if report is None:
    st.info(text.asset_text("deep_bench_missing.md"), icon=":material/info:")
else:
    machine = report["machine"]
    st.caption(f"Measured {machine['date']} on {machine['device']} ({machine['cpu_count']} CPUs, "
               f"{machine['platform']}), JAX {machine['jax']}.")
    rows = [row for row in report["rows"] if row["model"] == model]
    left, right = st.columns(2)
    figures.show(plots.memory_figure(rows, "XLA peak memory"), "deep_bench_memory", left)
    figures.show(plots.time_figure(rows, "Gradient time"), "deep_bench_time", right)
    _summary(plots.summary_table(report["summary"]), "deep_bench_summary")
text.markdown("deep_memory")
