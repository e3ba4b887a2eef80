"""The app shell and home page in AppTest."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from streamlit.testing.v1 import AppTest

from rhel_viz.ui import theme
from tests.helpers import ROOT

SVG = "{http://www.w3.org/2000/svg}"


def test_home_renders_without_exception():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "learning by echoes" in at.title[0].value
    assert any("Recurrent Hamiltonian Echo Learning" in md.value for md in at.markdown)


def test_home_diagram_is_inlined_and_follows_the_theme():
    """Inlined (an <img> could not see the app's theme) as one raw-HTML Markdown block, coloured by the theme."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    svgs = [md.value for md in at.markdown if md.value.startswith("<svg")]
    assert len(svgs) == 1 and svgs[0] == theme.inline_svg_markup("rhel_diagram.svg")


def test_diagram_markup_is_one_valid_svg_without_fixed_colours_for_text():
    markup = theme.inline_svg_markup("rhel_diagram.svg")
    first, *rest = markup.splitlines()
    assert first.startswith("<svg ") and first.endswith(">") and rest and all(line.strip() for line in rest)
    assert "<!--" not in markup
    root = ElementTree.fromstring(markup)
    assert root.tag == f"{SVG}svg" and "rhel-diagram" in root.get("class")
    for element in root.iter(f"{SVG}text"):
        # the theme's text colour (currentColor) or an accent with a light-dark() rule, never a bare fill
        assert element.get("class") in ("ink", "muted") or element.get("class").endswith("-text"), element.text
    style = root.find(f"{SVG}style").text
    for name in ("blue", "orange", "teal", "red"):
        assert re.search(rf"\.{name}-text {{ fill: light-dark\(", style), name
