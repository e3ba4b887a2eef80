"""The app's server routes (rhel_viz.ui.server): each sub-page URL gets Streamlit's page with the line that
tells its frontend where the server is, so a page opened first at its own URL makes no 404 probe. The
browser tests (tests/browser/test_presentation.py) check the result in Chromium: no 404 on any page."""

from __future__ import annotations

import ast
import asyncio
import re

import pytest
from starlette.requests import Request

from rhel_viz.ui import server
from tests.helpers import ROOT


def _page_table() -> tuple[tuple[str, str, str, str], ...]:
    """app.py's PAGE_TABLE, read without importing app.py (importing it builds the server's ASGI app)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "PAGE_TABLE" for target in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("app.py has no PAGE_TABLE")


def test_app_py_defines_streamlits_asgi_app_so_streamlit_run_serves_the_routes():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.app_name == "app"


def test_every_sub_page_has_a_route_and_the_home_page_none():
    url_paths = [url_path for _, _, _, url_path in _page_table()]
    assert sorted(url_paths) == ["", "deep", "echo", "gradients", "training"]
    assert [route.path for route in server.page_routes(url_paths, "")] == [
        "/echo", "/gradients", "/training", "/deep"]
    assert [route.path for route in server.page_routes(["echo"], "/rhel/")] == ["/rhel/echo"]


@pytest.mark.parametrize(("path", "server_path"), [
    ("/echo", "/"), ("/echo/", "/"), ("/rhel/echo", "/rhel/"), ("/a/b/echo/", "/a/b/")])
def test_the_script_strips_the_pages_segment(path, server_path):
    """The browser runs LAST_SEGMENT as a JavaScript regex; Python's reads it the same way."""
    assert re.sub(server.LAST_SEGMENT, "", path, count=1) == server_path
    assert r"pathname.replace(/[^\/]*\/?$/, '')" in server.BACKEND_BASE_URL_SCRIPT


def test_the_route_serves_streamlits_page_with_one_added_line_first_in_head():
    route = server.page_routes(["echo"], "")[0]
    request = Request({"type": "http", "method": "GET", "path": "/echo", "headers": [], "query_string": b""})
    response = asyncio.run(route.endpoint(request))
    html = response.body.decode()
    assert response.status_code == 200 and response.headers["cache-control"] == "no-cache"
    assert html.count(server.BACKEND_BASE_URL_SCRIPT) == 1
    assert html.index(server.BACKEND_BASE_URL_SCRIPT) < html.index('<script type="module"')
    assert html.replace("\n    " + server.BACKEND_BASE_URL_SCRIPT, "") == server.INDEX_HTML.read_text(encoding="utf-8")
