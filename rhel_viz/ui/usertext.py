r"""Text a visitor typed (URL keys and values), made safe to show inside the app's own markdown.

Streamlit renders ``st.warning``/``st.markdown`` text as CommonMark with GitHub's extensions and math:
a raw value could open a heading, a link to another site, an image the browser fetches, or break out of
a code span with a backtick. Backslash escapes are not enough (GitHub's autolinks still turn an escaped
``http\:\/\/...`` into a link), so user text is shown as a *code span* whose backtick fence is longer
than any run of backticks inside it: CommonMark shows a code span's content literally (no links, no
emphasis, no math). Line breaks and other control or invisible characters become spaces first, and long
values are cut to :data:`MAX_CHARS` with a count of what was cut. No streamlit here: pure functions.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 60  # longest piece of user text shown (a 10 kB URL value is cut here)
MAX_NOTES = 10  # most ignored-parameter notes shown at once; the rest are counted


def visible(text: str) -> str:
    """``text`` on one line: control, separator and invisible characters (newlines, tabs, zero-width) as spaces."""
    return "".join(" " if unicodedata.category(character)[0] in "CZ" else character for character in text)


def code_span(text: str) -> str:
    """A CommonMark code span showing ``text`` literally, whatever backticks it holds.

    The fence is one backtick longer than the longest run inside, and one space pads each side (CommonMark
    strips exactly one from each side, so a value that starts or ends with a backtick survives whole).
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def shown(text: str, limit: int = MAX_CHARS) -> str:
    """User text on one line, cut to ``limit`` characters (saying how many were cut), as a code span."""
    text = visible(str(text))
    if not text:
        return "(empty)"
    if len(text) <= limit:
        return code_span(text)
    return f"{code_span(text[:limit])}… ({len(text) - limit:,} more characters)"


def ignored_note(key: str, value: str, reason: str) -> str:
    """One line of the "link parameters were ignored" note: the visitor's ``key=value``, then our reason."""
    return f"{shown(key)} = {shown(value)} ({reason})"


def note_list(notes: list[str], limit: int = MAX_NOTES) -> str:
    """The notes as a markdown list, at most ``limit`` of them, then how many more there were."""
    lines = [f"- {note}" for note in notes[:limit]]
    if len(notes) > limit:
        lines.append(f"- … and {len(notes) - limit:,} more")
    return "\n".join(lines)
