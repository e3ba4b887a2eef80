"""rhel-viz: the Streamlit entry point. Pages plug in here; everything else lives in rhel_viz/."""

import streamlit as st

st.set_page_config(page_title="rhel-viz: Recurrent Hamiltonian Echo Learning", page_icon="assets/icon.svg",
                   layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/echo.py", title="Echo", icon=":material/replay:", url_path="echo"),
]

st.navigation(PAGES).run()
