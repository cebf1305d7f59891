"""What a search returns: frozen dataclasses holding plain values (no Whoosh object), and their JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .snippets import Fragment


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

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `postsearch query --json` prints."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "suggestion": self.suggestion,
            "corrected": self.corrected,
            "hits": [post_dict(hit) for hit in self.hits],
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
            {"heading": s.heading, "anchor": s.anchor, "url": s.url, "snippet": s.snippet, "score": round(s.score, 4)}
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
