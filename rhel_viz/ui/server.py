"""The app's web server: Streamlit's own (``st.App``), plus one route per sub-page so that a page opened
first at its own URL (``/echo``) loads without a 404, and a :func:`lifespan` that starts the warm-up.

Streamlit's frontend does not know where its server lives. Opened at ``/echo``, it probes
``/echo/_stcore/health`` and ``/echo/_stcore/host-config`` first (``/echo`` might be a base path), which
the server answers 404 on purpose, then ``/_stcore/...``. The frontend skips that probe when the page
defines ``window.__streamlit.BACKEND_BASE_URL`` before its bundle loads. So for each sub-page path we
serve Streamlit's own ``index.html`` with that one line added: the page's URL without its last segment,
computed in the browser (it holds behind a proxy that adds a path prefix too). The root URL needs
nothing: there the probe has only one candidate.

Nothing a visitor sends reaches the added line; the file is Streamlit's, read once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

__all__ = ["BACKEND_BASE_URL_SCRIPT", "LAST_SEGMENT", "lifespan", "page_html", "page_routes"]

#: A URL path's last segment (and a trailing slash): what the page's path adds to the server's.
LAST_SEGMENT = r"[^/]*/?$"
#: Defines the server's address for Streamlit's frontend: this URL without its last path segment.
_JS_LAST_SEGMENT = LAST_SEGMENT.replace("/", "\\/")  # as a JavaScript regex literal
BACKEND_BASE_URL_SCRIPT = ("<script>window.__streamlit = {BACKEND_BASE_URL: window.location.origin"
                           f" + window.location.pathname.replace(/{_JS_LAST_SEGMENT}/, '')}};</script>")
INDEX_HTML = Path(st.__file__).parent / "static" / "index.html"


@cache
def page_html() -> str:
    """Streamlit's ``index.html`` with :data:`BACKEND_BASE_URL_SCRIPT` first in its ``<head>``."""
    html = INDEX_HTML.read_text(encoding="utf-8")
    if "<head>" not in html:  # a Streamlit whose page we do not know: serve it unchanged (probes 404 again)
        return html
    return html.replace("<head>", "<head>\n    " + BACKEND_BASE_URL_SCRIPT, 1)


async def _serve_page(request: Request) -> HTMLResponse:
    return HTMLResponse(page_html(), headers={"Cache-Control": "no-cache"})


def page_routes(url_paths: Iterable[str], base_url_path: str | None = None) -> list[BaseRoute]:
    """One GET route per sub-page path (``"echo"`` -> ``/echo``), under the server's ``baseUrlPath``
    (``base_url_path`` None: the server's option)."""
    if base_url_path is None:
        base_url_path = st.get_option("server.baseUrlPath") or ""
    prefix = "/" + base_url_path.strip("/") if base_url_path.strip("/") else ""
    return [Route(f"{prefix}/{path.strip('/')}", _serve_page, methods=["GET", "HEAD"])
            for path in url_paths if path.strip("/")]



@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Server start: JAX configured as the pages need it, then the background warm-up
    (:mod:`rhel_viz.ui.warmup`); server stop: the warm-up is asked to stop."""
    from rhel_viz.ui import shell, warmup  # JAX and the lab: only the server process needs them

    shell.configure_jax()
    warmup.start()
    try:
        yield
    finally:
        warmup.stop()
