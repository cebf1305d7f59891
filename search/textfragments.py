"""Text fragments (page#:~:text=...): links that browsers scroll to a piece of a page's text, and mark."""

from __future__ import annotations

from urllib.parse import quote

TEXT_DIRECTIVE = ":~:text="


def text_directive(text: str) -> str:
    """The fragment directive for the text, its whitespace collapsed ('' for none): percent-encoded, "-" too
    (it separates a directive's prefix and suffix from its text)."""
    words = " ".join(text.split())
    return TEXT_DIRECTIVE + quote(words, safe="").replace("-", "%2D") if words else ""
