"""Light and dark: what the app does so that both themes work.

Streamlit picks the theme in the browser, never from Python (Streamlit 1.67 has no API to set it).
``.streamlit/config.toml`` defines a ``[theme.light]`` and a ``[theme.dark]`` section, so Streamlit offers
System (the viewer's preference, the default), Light and Dark in its top-right menu; with
``client.toolbarMode = "minimal"`` that menu is shown only when the app sets a menu item, which
:data:`MENU_ITEMS` does. A link with ``?embed_options=dark_theme`` (or ``light_theme``) opens in that
theme: Streamlit reads it before the first run and keeps it out of ``st.query_params``.
"""

from __future__ import annotations

from rhel_viz.ui import text

#: ``st.set_page_config(menu_items=...)``: an "About" entry, which makes the menu (and its theme picker) appear.
MENU_ITEMS = {"About": text.asset_text("about.md")}
