"""User text from a shared link is shown literally: no heading, link, image or math, and cut to a sane length."""

from __future__ import annotations

import re
from html import escape

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from rhel_viz.ui import usertext
from rhel_viz.ui.lecture import lecture_flags
from tests.helpers import ROOT

#: The value reported against commit 4f7ca0d: it broke out of the note's backticks.
INJECTION = ("0`\n\n# This server has moved\n\nPlease [log in here](http://evil.example/login) "
             "![t](http://127.0.0.1:9/p.png) `")
MORE = ["<img src=x onerror=alert(1)>", "www.evil.example", "$\\frac{1}{0}$", "*bold* _it_ ~~gone~~", "a\u200bb\tc\rd",
        "[x]: http://evil.example", "<http://evil.example>", "| a | b |\n|---|---|", "\\", "```"]
COMMONMARK = MarkdownIt("commonmark")


def _rendered(markdown: str) -> str:
    return COMMONMARK.render(markdown)


def _no_markup(html: str) -> None:
    """Only what our own note writes (paragraphs, lists, bold, code spans); nothing a value could open."""
    for tag in ("<a", "<img", "<h1", "<h2", "<em", "<script", "<table", "<pre", "<del"):
        assert tag not in html, (tag, html)


@pytest.mark.parametrize("value", [INJECTION, *MORE])
def test_escaped_text_renders_as_plain_text(value):
    html = _rendered("- " + usertext.ignored_note("h", value, "expected a number"))
    _no_markup(html)
    assert html.count("<li>") == 1  # one line: the value's line breaks do not start new blocks
    codes = re.findall(r"<code>(.*?)</code>", html, flags=re.S)
    assert codes[0] == "h" and codes[1] == escape(usertext.visible(value)[:usertext.MAX_CHARS]), codes


def test_the_visible_text_is_the_value_itself():
    html = _rendered(usertext.shown(INJECTION, limit=10_000))
    _no_markup(html)
    assert "# This server has moved" in html and "[log in here](http://evil.example/login)" in html


def test_long_values_and_many_notes_are_cut_and_counted():
    assert usertext.shown("x" * 10_000) == f"` {'x' * usertext.MAX_CHARS} `… (9,940 more characters)"
    listed = usertext.note_list([f"note {i}" for i in range(500)])
    assert listed.count("\n") == usertext.MAX_NOTES and listed.endswith("… and 490 more")


def test_lecture_flag_notes_are_escaped():
    _, notes = lecture_flags({"hide": "controls,[x](http://evil.example)"})
    assert len(notes) == 1
    _no_markup(_rendered(notes[0]))


def test_injection_through_a_link_shows_no_markup_on_the_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"steps": "50", "h": INJECTION, "x" * 10_000: "1",
                            **{f"unknown_{i}": "[x](http://evil.example)" for i in range(500)}})
    at.switch_page("pages/echo.py").run()
    assert not at.exception
    notes = [warning.value for warning in at.warning if "link parameters were ignored" in warning.value]
    assert len(notes) == 1
    _no_markup(_rendered(notes[0]))
    assert len(notes[0]) < 3_000  # 502 bad parameters, 10 kB of them in one key: cut and counted
    assert "… and 492 more" in notes[0]


def test_a_repeated_key_is_dropped_with_its_own_reason():
    from rhel_viz.ui import urlstate

    _, dropped, notes = urlstate.check("echo", {"h": ["0.1", "0.2"]})
    assert dropped == ["h"] and len(notes) == 1 and "given 2 times" in notes[0], notes
