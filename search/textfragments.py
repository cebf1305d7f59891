"""Text fragments (page#:~:text=...): links that browsers scroll to a piece of a page's text, and mark."""

from __future__ import annotations

import re
from urllib.parse import quote

TEXT_DIRECTIVE = ":~:text="
PLAIN = re.compile(r"[A-Za-z0-9 ]*")


def text_directive(text: str) -> str:
    """The fragment directive for the text, its whitespace collapsed ('' for none): percent-encoded, "-" too
    (it separates a directive's prefix and suffix from its text)."""
    words = " ".join(text.split())
    if not words:
        return ""
    if PLAIN.fullmatch(words):  # letters, digits and spaces, as most are: quote() walks them one by one
        return TEXT_DIRECTIVE + words.replace(" ", "%20")
    return TEXT_DIRECTIVE + quote(words, safe="").replace("-", "%2D")
