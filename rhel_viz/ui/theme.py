"""Light and dark: what the app does so that both themes work, and the theme-following Home diagram.

Streamlit picks the theme in the browser, never from Python (Streamlit 1.67 has no API to set it).
``.streamlit/config.toml`` defines a ``[theme.light]`` and a ``[theme.dark]`` section, so Streamlit offers
System (the viewer's preference, the default), Light and Dark in its top-right menu; with
``client.toolbarMode = "minimal"`` that menu is shown only when the app sets a menu item, which
:data:`MENU_ITEMS` does. A link with ``?embed_options=dark_theme`` (or ``light_theme``) opens in that
theme: Streamlit reads it before the first run and keeps it out of ``st.query_params``.

The Home diagram is inlined (an ``<img>`` would draw in its own document, blind to the app's theme) and
coloured with ``currentColor`` and CSS ``light-dark()``, which follow the ``color-scheme`` Streamlit sets
on the app: right from the first paint and on every switch, without a rerun. ``st.context.theme`` is not
used for it: Streamlit documents it as possibly wrong on a session's first run and just after a switch.
"""

from __future__ import annotations

import re

import streamlit as st

from rhel_viz.ui import text

#: ``st.set_page_config(menu_items=...)``: an "About" entry, which makes the menu (and its theme picker) appear.
MENU_ITEMS = {"About": text.asset_text("about.md")}

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def inline_svg_markup(name: str) -> str:
    """``assets/<name>`` as markup for ``st.markdown``: comments and blank lines dropped, the ``<svg ...>`` tag
    alone on the first line. Markdown then passes it through untouched, as one raw HTML block (CommonMark's
    type 7: an open tag alone on its line, up to the first blank line)."""
    svg = _COMMENT.sub("", text.asset_text(name))
    return "\n".join(line.strip() for line in svg.splitlines() if line.strip())


def diagram(name: str) -> None:
    """Draw an SVG asset inline, so that its ``currentColor`` and ``light-dark()`` follow the app's theme."""
    st.markdown(inline_svg_markup(name), unsafe_allow_html=True)
