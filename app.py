"""rhel-viz: the Streamlit entry point. Pages plug in here; everything else lives in rhel_viz/.

``streamlit run app.py`` reads this file twice, in two roles. The server imports it as a module and finds
``app``: Streamlit's ASGI app with a route per sub-page (:mod:`rhel_viz.ui.server`: a page opened at its
own URL loads without a 404). Every visitor's session then runs it as the script ``__main__``: the pages.
"""

import streamlit as st

#: (file, title, icon, url path): the pages, in the order of the navigation; the first is the home page.
PAGE_TABLE = (
    ("pages/home.py", "Home", ":material/home:", ""),
    ("pages/echo.py", "Echo", ":material/replay:", "echo"),
    ("pages/gradients.py", "Gradient lab", ":material/compare_arrows:", "gradients"),
    ("pages/training.py", "Training playground", ":material/model_training:", "training"),
    ("pages/deep.py", "Deep and long", ":material/stacks:", "deep"),
)

if __name__ == "__main__":  # a visitor's session
    from rhel_viz.ui import shell, theme, urlstate
    from rhel_viz.ui.lecture import current_lecture

    shell.configure_jax()  # float64 on, and compiled programs kept on disk between runs

    lecture = current_lecture()
    st.set_page_config(page_title="rhel-viz: Recurrent Hamiltonian Echo Learning", page_icon="assets/icon.svg",
                       layout="wide", initial_sidebar_state="collapsed" if lecture.present else "auto",
                       menu_items=theme.MENU_ITEMS)  # the top-right menu, with Streamlit's theme picker

    PAGES = [st.Page(file, title=title, icon=icon, default=not url_path, **({"url_path": url_path} if url_path else {}))
             for file, title, icon, url_path in PAGE_TABLE]
    page = st.navigation(PAGES)
    shell.run_page(page, urlstate.start(page.url_path))
else:  # the server, importing this file (`streamlit run app.py`, or uvicorn app:app)
    from rhel_viz.ui import server

    # Written out as ``st.App(...)``: that is how `streamlit run` recognises an ASGI app in a script.
    app = st.App(__file__, routes=server.page_routes(url_path for _, _, _, url_path in PAGE_TABLE),
                 lifespan=server.lifespan)  # starts the background warm-up (rhel_viz/ui/warmup.py)
