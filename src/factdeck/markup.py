"""Plain card text → the HTML Anki shows. Text is escaped first, so no author HTML ever reaches a
student's Anki; only the small markup below is turned into tags."""

from __future__ import annotations

import html
import re
import unicodedata

# The text between two markers never holds the marker itself: each opening is matched against
# the next marker only, so a field full of unclosed `**` takes linear time, not quadratic.
_BOLD = re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*(?![*\w])")
_TAG = re.compile(r"<[^>]*>")


def to_html(text: str) -> str:
    """Escape text, then apply **bold**, *italic* and line breaks."""
    if not _SPECIAL.search(text):  # most text: nothing to escape, mark up or break
        return text.strip()
    escaped = html.escape(text.strip(), quote=False)
    if "*" in escaped:  # most text has no markup: skip the two searches
        escaped = _ITALIC.sub(r"<i>\1</i>", _BOLD.sub(r"<b>\1</b>", escaped))
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


# Characters that take no room on screen: zero-width spaces and joiners, soft hyphens, direction
# marks (all of Unicode category Cf), and a few letters and symbols that are drawn blank.
_SHOWS = re.compile(r"[A-Za-z0-9]")
_SPECIAL = re.compile(r"[<>&*\r\n]")
# Format characters, and combining marks with nothing to combine with (a lone accent or
# variation selector draws nothing, or a dotted circle).
_UNSEEN = {"Cf", "Mn", "Me"}
_BLANK = {"\u115f", "\u1160", "\u2800", "\u3164", "\uffa0", "\u034f"}


def is_blank(text: str) -> bool:
    """True if text shows nothing: only whitespace and invisible characters."""
    if _SHOWS.search(text):  # a letter or digit of the Latin alphabet: the usual, quick answer
        return False
    return all(c.isspace() or c in _BLANK or unicodedata.category(c) in _UNSEEN for c in text)


def visible_text(html_text: str) -> str:
    """Roughly what a student sees of an HTML field: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", html_text)).strip()
