"""What a search returns: frozen dataclasses holding plain values (no Whoosh object), and their JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .snippets import Fragment


def plural(count: int, noun: str) -> str:
    """'1 post', '2 posts'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True)
class SectionHit:
    """One matching section of a post."""

    heading: str
    heading_path: tuple[str, ...]
    anchor: str
    url: str
    snippet: str
    fragments: tuple[Fragment, ...]
    score: float
    short_snippet: str = ""  # HTML: the one fragment with the most distinct matches, for a line per section
    text_url: str = ""  # url with a text fragment for the words around the short snippet's first match


@dataclass(frozen=True)
class PostHit:
    """One matching post with its best sections."""

    path: str
    url: str
    title: str
    date: str | None
    tags: tuple[str, ...]
    score: float
    sections: tuple[SectionHit, ...]


@dataclass(frozen=True)
class SearchResults:
    """A page of results for one query."""

    query: str
    total: int
    page: int
    pages: int
    suggestion: str | None
    corrected: bool
    hits: tuple[PostHit, ...]
    generation: int = -1  # the index generation that answered
    partial: bool = False  # the query ran out of time: what it found by then
    facets: Facets | None = None  # when asked for
    build_id: str = ""  # the build that answered (see SearchIndex.build_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `postsearch query --json` prints."""
        data = {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "suggestion": self.suggestion,
            "corrected": self.corrected,
            "partial": self.partial,
            "hits": [post_dict(hit) for hit in self.hits],
        }
        if self.facets is not None:
            data["facets"] = self.facets.to_dict()
        return data


FacetCounts = tuple[tuple[str, int], ...]  # (value, posts), most posts first


@dataclass(frozen=True)
class Facets:
    """How many of the matching posts have each tag, category, author and year."""

    tags: FacetCounts = ()
    categories: FacetCounts = ()
    authors: FacetCounts = ()
    years: FacetCounts = ()

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """Each facet as a list of {"value", "count"}."""
        return {
            name: [{"value": value, "count": count} for value, count in getattr(self, name)]
            for name in ("tags", "categories", "authors", "years")
        }


def post_dict(hit: PostHit) -> dict[str, Any]:
    """A hit as JSON: the post's fields and its sections without the terminal fragments."""
    return {
        "path": hit.path,
        "url": hit.url,
        "title": hit.title,
        "date": hit.date,
        "tags": list(hit.tags),
        "score": round(hit.score, 4),
        "sections": [
            {
                "heading": s.heading,
                "heading_path": list(s.heading_path),
                "anchor": s.anchor,
                "url": s.url,
                "snippet": s.snippet,
                "short_snippet": s.short_snippet,
                "text_url": s.text_url,
                "score": round(s.score, 4),
            }
            for s in hit.sections
        ],
    }


@dataclass(frozen=True)
class IndexStats:
    """Facts about an index."""

    posts: int
    sections: int
    size_bytes: int
    built_at: str
    index_dir: str
    posts_dir: str
    settings: dict[str, Any]
    build_id: str = ""  # the build that answers (made anew by each commit)
    generation: int = -1


@dataclass(frozen=True)
class Completion:
    """One as-you-type completion: a post title, a section heading or a word."""

    kind: str  # "title", "heading" or "word"
    text: str
    url: str = ""  # the post's or section's URL (none for a word)
    title: str = ""  # a heading's post title


@dataclass(frozen=True)
class Completions:
    """What to offer while a query is typed, best first."""

    query: str
    items: tuple[Completion, ...]
    generation: int = -1

    def to_dict(self) -> dict[str, Any]:
        """The JSON of /suggest."""
        def of(kind: str) -> list[Completion]:
            return [item for item in self.items if item.kind == kind]

        return {
            "query": self.query,
            "titles": [{"text": c.text, "url": c.url} for c in of("title")],
            "headings": [{"text": c.text, "url": c.url, "title": c.title} for c in of("heading")],
            "words": [c.text for c in of("word")],
        }


@dataclass(frozen=True)
class Link:
    """A URL a search result can link to: a post's page, or one of its sections (url#anchor)."""

    url: str
    path: str  # the post's file, from the posts folder
    title: str = ""  # the post's title
    heading: str = ""  # '' for the post's page itself


@dataclass(frozen=True)
class LinkCheck:
    """Which of an index's links a built site holds."""

    checked: int
    pages: int
    missing: tuple[tuple[Link, str], ...]  # each missing link with the reason

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON."""
        return {
            "checked": self.checked,
            "pages": self.pages,
            "missing": [{"url": link.url, "path": link.path, "heading": link.heading, "reason": why} for link, why in self.missing],
        }
