"""Home: what RHEL is, in a few sentences and one picture."""

import streamlit as st

from rhel_viz.ui import shell, text, theme, urlstate, warmup

shell.require_app_shell()

st.title("rhel-viz: learning by echoes")
warmup.show_progress()  # while the server prepares every setting in the background
theme.diagram("rhel_diagram.svg")  # inline: follows the light/dark theme
text.markdown("home")
st.subheader("Pages")
text.markdown("pages")
st.subheader("Lecture presets")
text.markdown("presets")
urlstate.preset_links()
