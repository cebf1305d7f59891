"""The search page's results as plain HTML, served with /?q=... for readers without JavaScript (the script then
takes the page over). Every field is escaped; snippets are already escaped HTML with <mark> around matches."""

from __future__ import annotations

import re

from .results import PostHit, SearchResults
from .snippets import escape

SAFE_URL = re.compile(r"(?:/(?![/\\])|https?://)[^\x00-\x20\x7f-\x9f]*", re.IGNORECASE)  # as the page's safeUrl


def search_form(query: str) -> str:
    """A form that submits the query to this page."""
    return (
        '<form class="ps ps-static" action="" method="get" role="search">'
        '<label class="ps-label" for="ps-static-q">Search the posts</label> '
        f'<input id="ps-static-q" class="ps-input" type="search" name="q" value="{escape(query)}"> '
        '<button type="submit">Search</button></form>'
    )


def link(url: str, text: str) -> str:
    """A link when the URL stays on a site (a path, or an http(s) address), else the text alone."""
    return f'<a href="{escape(url)}">{escape(text)}</a>' if SAFE_URL.fullmatch(url) else escape(text)


def results_html(results: SearchResults) -> str:
    """The status line and the list of posts with their sections and snippets."""
    count = "1 matching post." if results.total == 1 else f"{results.total} matching posts."
    status = f'<p class="ps-status">{count}</p>'
    if results.suggestion:
        status = f'<p class="ps-status">Did you mean {escape(results.suggestion)}? {count}</p>'
    return status + '<ol class="ps-results">' + "".join(post_html(hit) for hit in results.hits) + "</ol>"


def post_html(hit: PostHit) -> str:
    sections = "".join(
        f'<li class="ps-section">{link(section.url, " › ".join(section.heading_path))}'
        f'<p class="ps-snippet">{section.snippet}</p></li>'
        for section in hit.sections
    )
    return f'<li class="ps-hit"><h2>{link(hit.url, hit.title)}</h2><ul>{sections}</ul></li>'
