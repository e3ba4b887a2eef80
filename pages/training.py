"""Training playground: the same model trained by RHEL and by BPTT, side by side, live."""

import streamlit as st

from rhel_viz.lab.tasks import TASKS
from rhel_viz.ui import guards, shell, text
from rhel_viz.ui import training as ui

shell.require_app_shell()

page_runs = ui.count_page_run()
st.title("Training playground")
choices = ui.controls()
st.markdown(f"**{TASKS[choices.settings.task].title}.** {TASKS[choices.settings.task].description}")
guards.warn_eps_roundoff(choices.settings.dtype, choices.hyper.eps)
ui.buttons(choices)
playback = ui.playback_controls()
sample = st.slider("Sample shown", 0, ui.MAX_SAMPLE, 0, key="train_sample", bind="query-params",
                   help="which sequence of the data set the prediction plot shows")
ui.page_run_marker(page_runs)
ui.live_view(choices, sample, playback)
with st.expander("What am I looking at?"):
    text.markdown("training")
