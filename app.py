"""rhel-viz: the Streamlit entry point. Pages plug in here; everything else lives in rhel_viz/."""

import streamlit as st

st.set_page_config(page_title="rhel-viz: Recurrent Hamiltonian Echo Learning", page_icon="assets/icon.svg",
                   layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/echo.py", title="Echo", icon=":material/replay:", url_path="echo"),
    st.Page("pages/gradients.py", title="Gradient lab", icon=":material/compare_arrows:", url_path="gradients"),
    st.Page("pages/training.py", title="Training playground", icon=":material/model_training:",
            url_path="training"),
    st.Page("pages/deep.py", title="Deep and long", icon=":material/stacks:", url_path="deep"),
]

st.navigation(PAGES).run()
