"""User text from a shared link is shown literally: no heading, link, image or math, and cut to a sane length."""

from __future__ import annotations

import random
import re
import string
from html import escape

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from rhel_viz.ui import urlstate, usertext
from rhel_viz.ui.lecture import lecture_flags
from tests.helpers import ROOT

#: The value reported against commit 4f7ca0d: it broke out of the note's backticks.
INJECTION = ("0`\n\n# This server has moved\n\nPlease [log in here](http://evil.example/login) "
             "![t](http://127.0.0.1:9/p.png) `")
MORE = ["<img src=x onerror=alert(1)>", "www.evil.example", "$\\frac{1}{0}$", "*bold* _it_ ~~gone~~", "a\u200bb\tc\rd",
        "[x]: http://evil.example", "<http://evil.example>", "| a | b |\n|---|---|", "\\", "```"]
COMMONMARK = MarkdownIt("commonmark")
PRINTABLE = string.printable + "é€漢字\u200b\u2028\U0001f600"


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


# --- the rendered note, page by page: hostile and random link values through AppTest --------------------------------

SENTINEL = "ZQX"  # in every hostile key and value: it may appear inside code spans only
FRAGMENTS = [INJECTION, *MORE, "``` ``", "`", "````x", "\n\n## heading\n", "![i](http://evil.example/i.png)",
             "[link](javascript:alert(1))", "<script>alert(1)</script>", "</div><h1>x</h1>", "&lt;b&gt;", "> quote",
             "1. item", "- item", "\r\n", "\u202eevil", "$$x$$", "***", "<!-- x -->", "\\`"]
#: Kept valid so that each page computes one small, shared problem.
SAFE = {"echo": {"steps": "50"}, "gradients": {"steps": "50"}}
PAGE_FILES = {"": "pages/home.py", "echo": "pages/echo.py", "gradients": "pages/gradients.py",
              "training": "pages/training.py", "deep": "pages/deep.py"}
#: Per page, values that pass the URL check but not the view (options known only as the page runs) and the
#: keys whose notes that gives, in order.
LATE = {"echo": ({"system": "linear", "mass_1": "2"}, ["mass_1"]),
        "gradients": ({"input_channel": "63", "accumulator_param": f"{SENTINEL}_x[7,7]"},
                      ["input_channel", "accumulator_param"]),
        "training": ({"train_delay": "10", "train_steps_memory": "1000"}, ["train_delay", "train_steps_memory"]),
        "deep": ({}, []), "": ({}, [])}


def _hostile(rng: random.Random, long: bool = False) -> str:
    """A few hostile fragments around the sentinel (and a space: no value is a valid option or label)."""
    noise = "".join(rng.choice(PRINTABLE) for _ in range(rng.randint(0, 30)))
    parts = rng.sample(FRAGMENTS, rng.randint(1, 3)) + [f" {SENTINEL} ", noise]
    rng.shuffle(parts)
    text = "".join(parts)
    return text + "x" * 10_000 if long else text


def _rendered_note(at: AppTest) -> str:
    assert not at.exception, [exception.value for exception in at.exception]
    notes = [warning.value for warning in at.warning if "link parameters were ignored" in warning.value]
    assert len(notes) == 1, notes
    return notes[0]


def _assert_only_code_spans_carry_user_text(note: str, lines: int, long_texts: list[str]) -> None:
    """The note as Streamlit's markdown reads it: our bold header, then one list item per dropped value (at most
    MAX_NOTES, then a count); user text only in code spans, each cut to MAX_CHARS with a count of what was cut."""
    _no_markup(_rendered(note))
    tokens = COMMONMARK.parse(note)
    blocks = [token.type for token in tokens if token.type != "inline"]
    items = min(lines, usertext.MAX_NOTES) + (lines > usertext.MAX_NOTES)
    assert blocks == ["paragraph_open", "paragraph_close", "bullet_list_open",
                      *["list_item_open", "paragraph_open", "paragraph_close", "list_item_close"] * items,
                      "bullet_list_close"], blocks
    spans = 0
    for inline in (token for token in tokens if token.type == "inline"):
        for child in inline.children:
            assert child.type in ("text", "code_inline", "strong_open", "strong_close"), (child.type, child.content)
            if child.type == "code_inline":
                spans += 1
                assert len(child.content) <= usertext.MAX_CHARS, child.content
            elif child.type == "text":  # our own words: no user text, no stray backtick or markup
                for mark in (SENTINEL, "`", "<", "http", "]("):
                    assert mark not in child.content, (mark, child.content)
    assert spans >= 2 * min(lines, usertext.MAX_NOTES) - note.count("(empty)")  # a key and a value per line
    if lines > usertext.MAX_NOTES:
        assert note.endswith(f"- … and {lines - usertext.MAX_NOTES:,} more"), note[-200:]
    for text in long_texts:
        assert f"… ({len(usertext.visible(text)) - usertext.MAX_CHARS:,} more characters)" in note


@pytest.mark.parametrize("page", list(PAGE_FILES))
def test_hostile_links_give_one_note_with_user_text_only_in_code_spans(page):
    """Every page, fed random hostile keys and values (and a 10 kB key and value, a repeated key, bad lecture
    flags), draws one note whose user text sits in code spans, cut and counted; then a short link whose values
    only the running page can refuse (options of the computed problem or the chosen task) joins the same note."""
    rng = random.Random(f"url fuzz {page}")
    known = [key for key in urlstate.PAGE_PARAMS[page] if key not in SAFE.get(page, {})]
    long_key, long_value = _hostile(rng, long=True), _hostile(rng, long=True)
    query = {long_key: "1", **({known[0]: long_value} if known else {"x": long_value}),
             **{key: _hostile(rng) for key in rng.sample(known[1:-1], max(0, min(len(known) - 2, 12)))},
             **{_hostile(rng): _hostile(rng) for _ in range(300)},
             "hide": ",".join(_hostile(rng).replace(",", " ") for _ in range(3)),
             **SAFE.get(page, {})}
    if known:
        query[known[-1]] = [_hostile(rng), _hostile(rng)]  # given twice
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(query)
    at.switch_page(PAGE_FILES[page]).run()
    raw = {key: value if isinstance(value, list) else [value] for key, value in query.items()}
    lines = len(urlstate.check(page, raw)[2]) + len(lecture_flags({"hide": query["hide"]})[1])
    assert lines > 300
    note = _rendered_note(at)
    _assert_only_code_spans_carry_user_text(note, lines, [long_key, long_value])
    assert len(note) < 4_000  # 300 bad keys, 20 kB of them in one key and one value: cut and counted
    if page in ("gradients", "deep"):  # each page's figures are drawn all the same
        assert at.get("plotly_chart")

    late, late_keys = LATE[page]
    unknown = {_hostile(rng): _hostile(rng) for _ in range(2)}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update({**unknown, **SAFE.get(page, {}), **late})
    at.switch_page(PAGE_FILES[page]).run()
    note = _rendered_note(at)
    _assert_only_code_spans_carry_user_text(note, len(unknown) + len(late_keys), [])
    positions = [note.index(f"{usertext.shown(key)} = ") for key in late_keys]
    assert positions == sorted(positions) and all(position > 0 for position in positions)


def test_a_repeated_key_is_dropped_with_its_own_reason():
    _, dropped, notes = urlstate.check("echo", {"h": ["0.1", "0.2"]})
    assert dropped == ["h"] and len(notes) == 1 and "given 2 times" in notes[0], notes
