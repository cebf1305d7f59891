"""postsearch: full-text search for sites built from Markdown posts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["open_index", "open_or_build", "build_index", "SearchIndex", "Settings", "PostsearchError", "__version__"]

if TYPE_CHECKING:
    from .config import Settings
    from .errors import PostsearchError
    from .indexer import build_index
    from .query import SearchIndex, open_index, open_or_build

LAZY = {
    "open_index": "query",
    "SearchIndex": "query",
    "build_index": "indexer",
    "open_or_build": "query",
    "Settings": "config",
    "PostsearchError": "errors",
}


def __getattr__(name: str) -> Any:
    # Imported on first use so `postsearch query` never loads the indexing stack.
    if name in LAZY:
        from importlib import import_module

        return getattr(import_module(f".{LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'search' has no attribute {name!r}")
