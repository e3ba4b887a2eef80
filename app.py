"""rhel-viz: the Streamlit entry point. Pages plug in here; everything else lives in rhel_viz/."""

import streamlit as st

from rhel_viz.ui import shell, theme, urlstate
from rhel_viz.ui.lecture import current_lecture

shell.configure_jax()  # float64 on, and compiled programs kept on disk between runs

lecture = current_lecture()
st.set_page_config(page_title="rhel-viz: Recurrent Hamiltonian Echo Learning", page_icon="assets/icon.svg",
                   layout="wide", initial_sidebar_state="collapsed" if lecture.present else "auto",
                   menu_items=theme.MENU_ITEMS)  # the top-right menu, with Streamlit's theme picker

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/echo.py", title="Echo", icon=":material/replay:", url_path="echo"),
    st.Page("pages/gradients.py", title="Gradient lab", icon=":material/compare_arrows:", url_path="gradients"),
    st.Page("pages/training.py", title="Training playground", icon=":material/model_training:",
            url_path="training"),
    st.Page("pages/deep.py", title="Deep and long", icon=":material/stacks:", url_path="deep"),
]

page = st.navigation(PAGES)
shell.run_page(page, urlstate.start(page.url_path))
